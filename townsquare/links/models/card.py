"""Link preview cards: one per URL, shared by every post that links to it."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

MAX_URL_LENGTH = 2000


class CardStatus(models.IntegerChoices):
    PENDING = 0, "Pending"  # the fetch job has not finished yet
    READY = 1, "Ready"
    FAILED = 2, "Failed"  # nothing to show (the page could not be fetched or read)


def url_key(url: str) -> str:
    """The unique key of a URL (URLs can be longer than an index entry may be)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class Card(models.Model):
    """What a link shows under a post: title, description, site name and image, or for a
    YouTube or Vimeo link the video to embed once clicked."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    url = models.TextField()
    url_key = models.CharField(max_length=64, unique=True)
    status = models.SmallIntegerField(choices=CardStatus.choices, default=CardStatus.PENDING)
    title = models.CharField(max_length=300, blank=True)
    description = models.CharField(max_length=500, blank=True)
    site_name = models.CharField(max_length=200, blank=True)
    image = models.CharField(max_length=255, blank=True)  # path in default storage
    provider = models.CharField(max_length=20, blank=True)  # "youtube", "vimeo" or ""
    embed_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    requested_at = models.DateTimeField(default=timezone.now)  # the last fetch job enqueued
    fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"card {self.pk} for {self.url[:80]}"


class PostCard(models.Model):
    """The card a post shows (for the first link in its text)."""

    post = models.OneToOneField(
        "posts.Post", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"post {self.post_id} shows card {self.card_id}"
