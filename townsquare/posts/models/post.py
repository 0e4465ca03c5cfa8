from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Visibility(models.IntegerChoices):
    PUBLIC = 0, "Public"  # anyone, listed on the public timeline
    UNLISTED = 1, "Unlisted"  # anyone with the link or on the profile; not on public timelines
    FOLLOWERS = 2, "Followers only"  # accepted followers and mentioned members
    MENTIONED = 3, "Mentioned people only"  # only the members it mentions


class Post(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    text = models.TextField()
    html = models.TextField()
    visibility = models.SmallIntegerField(choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_idx"),
            models.Index(fields=["visibility", "-id"], name="post_visibility_idx"),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} by {self.author_id}"
