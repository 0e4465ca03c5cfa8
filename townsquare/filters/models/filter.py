from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id

# Where a filter applies, as Mastodon names the places.
CONTEXTS = ("home", "notifications", "public", "thread", "account")


class FilterAction(models.TextChoices):
    WARN = "warn", _("Show with a warning")
    HIDE = "hide", _("Hide completely")
    BLUR_MEDIA = "blur_media", _("Hide media behind a warning")


class Filter(models.Model):
    """A member's filter: posts matching its keywords (or the posts it names) are shown with a
    warning, or left out, in the places (`context`) it applies to, until `expires_at`."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    title = models.CharField(max_length=200)
    context = models.JSONField(default=list)  # a list of CONTEXTS
    action = models.CharField(
        max_length=10, choices=FilterAction.choices, default=FilterAction.WARN
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner", "id"], name="filter_owner_idx")]

    def __str__(self) -> str:
        return f"filter {self.pk} of {self.owner_id}"


class FilterKeyword(models.Model):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="keywords")
    keyword = models.CharField(max_length=200)
    whole_word = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.keyword


class FilterStatus(models.Model):
    """One post a filter names (the post stays filtered whatever its text)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="statuses")
    post = models.ForeignKey("posts.Post", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["filter", "post"], name="filter_status_unique")
        ]

    def __str__(self) -> str:
        return f"post {self.post_id} in filter {self.filter_id}"
