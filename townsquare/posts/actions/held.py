"""Group posts held for a moderator's approval, published when approved.

Approval publishes the post now: it becomes a new row with a new id (ids are time-ordered, and
feeds, the group's page and API clients polling with `since_id` all go by id, so a post
approved hours after it was written would otherwise arrive far down, or never, for them). What
belongs to the held row (mentions, hashtags, media, poll, link card, edits) moves to the new
one, and the held row goes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.conversations.models import ConversationState
from townsquare.core.ids import next_id
from townsquare.notifications.models import ThreadMute
from townsquare.posts.actions.publishing import (
    _announce,
    _check_group_posting,
    _schedule_preview,
    _settle_pending_notice,
)
from townsquare.posts.models import Post


def release_held(post: Post) -> Post | None:
    """Publish a held group post, or one a content rule held (the caller, the groups' write layer, checked who approves).
    Refused (ValidationError) when its author may no longer post in the group (they left,
    were banned or are muted); None when it is not waiting any more (approved or deleted at
    the same moment). Returns the published post."""
    with transaction.atomic():
        held = Post.objects.select_for_update().filter(pk=post.pk, held=True).first()
        if held is None:
            return None
        if held.group_id is not None:  # else held by a content rule (moderation.rules)
            _check_group_posting(held.author, held.group_id, reply=True)
        old_id = held.pk
        if held.group_id is not None:
            _settle_pending_notice(held)
        held.pk = next_id()
        held.held = False
        held.created_at = timezone.now()
        if held.in_reply_to_id is None:  # a reply (held by a rule) stays in its thread
            held.conversation_id = held.pk
        held.save(force_insert=True)
        _move_references(old_id, held.pk)
        Post.objects.filter(pk=old_id).delete()
        published = Post.objects.select_related("author").get(pk=held.pk)
        mentioned = list(User.objects.filter(pk__in=published.mentions.values("user_id")))
        quoted = (
            Post.objects.filter(pk=published.quote_of_id).first() if published.quote_of_id else None
        )
        _schedule_preview(published)
        _announce(published, None, quoted, mentioned)
    return published


def _move_references(old_id: int, new_id: int) -> None:
    """Point every row that refers to post `old_id` at `new_id`: each foreign key to posts
    (found from the models, so a new one is never missed) and the thread ids kept as plain
    numbers."""
    for relation in Post._meta.related_objects:
        if relation.many_to_many:
            continue
        column = relation.field.attname
        relation.related_model._base_manager.filter(**{column: old_id}).update(**{column: new_id})
    ThreadMute.objects.filter(conversation_id=old_id).update(conversation_id=new_id)
    ConversationState.objects.filter(conversation_id=old_id).update(conversation_id=new_id)
