from __future__ import annotations

from typing import Any

from django import template
from django.core.files.storage import default_storage
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

from townsquare.posts.display import hydrate
from townsquare.site import emoji as custom_emoji
from townsquare.web import render

register = template.Library()


@register.filter
def media_url(path: str) -> str:
    return default_storage.url(path) if path else ""


@register.filter
def avatar(person: Any, size: int = 44) -> SafeString:
    """The same avatar markup as on post cards (one implementation, in web/render.py)."""
    return mark_safe(render.avatar_html(person, size=size))  # noqa: S308 - escaped there


@register.filter
def emojify(html: str) -> SafeString:
    """Sanitized post HTML with the site's custom emoji drawn (as on post cards)."""
    return mark_safe(custom_emoji.emojify(html or ""))  # noqa: S308 - sanitized HTML in


@register.simple_tag(takes_context=True)
def post_cards(context: dict[str, Any], posts: list[Any]) -> SafeString:
    """Cards for listed posts: everything they show is loaded for the page at once."""
    request = context["request"]
    user = getattr(request, "user", None)
    views = hydrate(
        user,
        posts,
        pinned_ids=context.get("pinned_ids") or frozenset(),
        group_pinned_ids=context.get("group_pinned_ids") or frozenset(),
        acting_ids=context.get("acting_ids") or frozenset(),
    )
    return render.post_cards(views, user, get_token(request), request.get_full_path())
