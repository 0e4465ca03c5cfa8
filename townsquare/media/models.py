"""Media attachments: an uploaded image, video or looping GIF-video, processed by a job."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id


class Kind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    GIFV = "gifv", "Looping video"  # an animated GIF, converted to a silent looping video


class Status(models.TextChoices):
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


MAX_DESCRIPTION = 1500


class MediaAttachment(models.Model):
    """One uploaded file. It belongs to its owner until a post takes it (`post` set).

    `original_path` is the upload as received (kept only until processing succeeds: it may
    carry location metadata). `file_path` is what pages show (the largest display image, or the
    video); `sizes` lists every display image as {"path", "width", "height"}; `thumbnail_path`
    is the small image (for a video, its poster frame). `token` makes stored names unguessable
    and the same on every run of the processing job, so a retry overwrites, never duplicates.
    """

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_attachments"
    )
    post = models.ForeignKey(
        "posts.Post",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="media_attachments",
        db_index=False,  # the (post, position) index serves lookups by post
    )
    position = models.PositiveSmallIntegerField(default=0)
    # Waiting for a scheduled post (kept from the abandoned-upload clean-up until published).
    scheduled_post = models.ForeignKey(
        "posts.ScheduledPost",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Or the direct message it was sent with (images only; see messaging).
    message = models.ForeignKey(
        "messaging.Message",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="media_attachments",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)
    error = models.CharField(max_length=300, blank=True)
    token = models.CharField(max_length=32)
    original_path = models.CharField(max_length=300, blank=True)
    original_type = models.CharField(max_length=12, blank=True)  # jpeg, png, gif, webp, mp4, webm
    file_path = models.CharField(max_length=300, blank=True)
    sizes: models.JSONField[Any] = models.JSONField(default=list, blank=True)
    thumbnail_path = models.CharField(max_length=300, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)  # seconds, for video
    blurhash = models.CharField(max_length=100, blank=True)
    focus_x = models.FloatField(default=0.0)  # -1 (left) .. 1 (right)
    focus_y = models.FloatField(default=0.0)  # -1 (bottom) .. 1 (top), as Mastodon has it
    description = models.TextField(blank=True, max_length=MAX_DESCRIPTION)  # alt text
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["post", "position"], name="media_post_position_idx"),
            models.Index(
                fields=["created_at"],
                condition=models.Q(post__isnull=True),
                name="media_unattached_idx",
            ),
            models.Index(fields=["owner", "-id"], name="media_owner_idx"),
            models.Index(
                fields=["scheduled_post"],
                condition=models.Q(scheduled_post__isnull=False),
                name="media_scheduled_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == Status.READY

    def stored_paths(self) -> list[str]:
        """Every stored file of this attachment, each once."""
        paths = [self.original_path, self.file_path, self.thumbnail_path]
        paths += [size.get("path", "") for size in self.sizes or [] if isinstance(size, dict)]
        return list(dict.fromkeys(p for p in paths if p))
