from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class Visibility(models.IntegerChoices):
    PUBLIC = 0, _("Public")  # anyone, listed on the public timeline
    UNLISTED = 1, _("Unlisted")  # anyone with the link or on the profile; not on public timelines
    FOLLOWERS = 2, _("Followers only")  # accepted followers and mentioned members
    MENTIONED = 3, _("Mentioned people only")  # only the members it mentions


class Post(models.Model):
    """A post, a reply (in_reply_to), a share (reblog_of, no text of its own) or a quote share
    (quote_of, with text). Counts are kept on the row by the write layer."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    text = models.TextField()
    html = models.TextField()
    visibility = models.SmallIntegerField(choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(default=timezone.now)

    # Threads: the post answered (None once it is deleted), its author, and the thread's root
    # (the first post of the conversation; a post that answers nothing is its own root).
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        db_index=False,
    )
    in_reply_to_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    conversation_id = models.BigIntegerField(null=True, blank=True)
    # A post made in a group (replies inherit it): seen as the group's privacy says, in the
    # group and its members' home feeds (not on profiles or public timelines).
    group = models.ForeignKey(
        "communities.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )
    # A group post waiting for a moderator's approval (groups that approve new posts): seen
    # by its author (and the group's moderators, in their queue) only, reaching no feed yet.
    held = models.BooleanField(default=False)
    # Shares: a share is a post of its own pointing at the original, deleted with it.
    reblog_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="shares",
        db_index=False,
    )
    quote_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotes",
        db_index=False,
    )
    spoiler_text = models.CharField(max_length=500, blank=True)  # content warning
    sensitive = models.BooleanField(default=False)  # media hidden until clicked
    edited_at = models.DateTimeField(null=True, blank=True)
    # The client application it was posted with (an OAuth application id; shown to the author
    # only). A plain column, not a key: deleting an app must not touch every post it made.
    application_id = models.BigIntegerField(null=True, blank=True)
    # Removed by a moderator (moderation.enforcement; not the author deleting it): hidden
    # everywhere, kept for the evidence hold, restored when the removal is undone.
    removed_at = models.DateTimeField(null=True, blank=True)

    replies_count = models.PositiveIntegerField(default=0)
    likes_count = models.PositiveIntegerField(default=0)
    shares_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["author", "-id"], name="post_author_idx"),
            models.Index(fields=["visibility", "-id"], name="post_visibility_idx"),
            models.Index(fields=["conversation_id", "id"], name="post_conversation_idx"),
            models.Index(fields=["in_reply_to", "id"], name="post_reply_idx"),
            models.Index(fields=["reblog_of", "id"], name="post_reblog_idx"),
            models.Index(fields=["quote_of"], name="post_quote_idx"),
            models.Index(
                fields=["group", "-id"],
                condition=models.Q(group__isnull=False),
                name="post_group_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "reblog_of"],
                condition=models.Q(reblog_of__isnull=False),
                name="post_one_share_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"post {self.pk} by {self.author_id}"

    @property
    def thread_root_id(self) -> int:
        return self.conversation_id or self.pk
