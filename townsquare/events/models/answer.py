from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id


class Answer(models.TextChoices):
    GOING = "going", _("Going")
    INTERESTED = "interested", _("Interested")
    NOT_GOING = "not_going", _("Not going")


# The answers that get a reminder, and that list the event among the member's own.
ATTENDING = (Answer.GOING, Answer.INTERESTED)


class EventAnswer(models.Model):
    """A member's answer to an event: one per (event, member), changed in place."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(max_length=12, choices=Answer.choices)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="event_answer_unique")
        ]
        indexes = [
            models.Index(fields=["member", "answer"], name="event_answer_member_idx"),
            models.Index(fields=["event", "answer"], name="event_answer_event_idx"),
        ]
