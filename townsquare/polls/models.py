"""Polls on posts: a poll, its options, and who chose what. Counts are kept on the rows by the
write layer (`polls.actions`)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from townsquare.core.ids import next_id

MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_TITLE_LENGTH = 50
MIN_DURATION = 5 * 60  # seconds
MAX_DURATION = 7 * 24 * 60 * 60


class Poll(models.Model):
    """A poll attached to one post. `closed_at` is set by the closing job once voters and the
    author have been told the results (the flag that keeps the job from running twice)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    post = models.OneToOneField("posts.Post", on_delete=models.CASCADE, related_name="poll")
    expires_at = models.DateTimeField()
    multiple = models.BooleanField(default=False)
    votes_count = models.PositiveIntegerField(default=0)  # options chosen, all voters
    voters_count = models.PositiveIntegerField(default=0)  # members who voted
    closed_at = models.DateTimeField(null=True, blank=True)
    # Counts stay hidden from voters and visitors until the poll ends (its author sees them).
    hide_totals = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"poll {self.pk} on post {self.post_id}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or timezone.now())


class PollOption(models.Model):
    """One answer of a poll; `position` counts from 0 in the order the author wrote them."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=MAX_TITLE_LENGTH)
    votes_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="poll_option_position")
        ]

    def __str__(self) -> str:
        return self.title


class PollVote(models.Model):
    """One option chosen by one member (a multiple-choice vote is several rows)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes", db_index=False)
    option = models.ForeignKey(
        PollOption, on_delete=models.CASCADE, related_name="votes", db_index=False
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["poll", "option", "voter"], name="poll_vote_once")
        ]
        indexes = [
            models.Index(fields=["voter", "poll"], name="poll_vote_voter_idx"),
            models.Index(fields=["option"], name="poll_vote_option_idx"),
        ]

    def __str__(self) -> str:
        return f"vote by {self.voter_id} in poll {self.poll_id}"
