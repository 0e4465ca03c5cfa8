from __future__ import annotations

from django import template
from django.core.files.storage import default_storage
from django.urls import reverse

from townsquare.posts.models import Post

register = template.Library()


@register.filter
def media_url(path: str) -> str:
    return default_storage.url(path) if path else ""


@register.filter
def permalink(post: Post) -> str:
    return reverse("post", args=[post.author.username, post.pk])


@register.filter
def initial(name: str) -> str:
    return (name or "?")[:1].upper()
