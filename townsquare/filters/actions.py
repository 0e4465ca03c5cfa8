"""The write layer for filters: a member's keyword and post filters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.filters.models import CONTEXTS, Filter, FilterAction, FilterKeyword, FilterStatus
from townsquare.posts.models import Post
from townsquare.realtime import publish

MAX_FILTERS = 100  # per member
MAX_KEYWORDS = 100  # per filter
MAX_TITLE_LENGTH = 200
MAX_KEYWORD_LENGTH = 200
MAX_EXPIRES_IN = 10 * 365 * 24 * 60 * 60  # ten years, in seconds


@dataclass(frozen=True)
class KeywordChange:
    """One entry of `keywords_attributes`: a new keyword (no id), a change to one (id), or
    its removal (id and destroy)."""

    keyword: str | None = None
    whole_word: bool | None = None
    id: int | None = None
    destroy: bool = False


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Title can't be blank"))
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationError(
            _("Title is too long (at most %(count)d characters)") % {"count": MAX_TITLE_LENGTH}
        )
    return title


def _clean_context(context: Sequence[str]) -> list[str]:
    picked = [c for c in CONTEXTS if c in set(context)]
    if not context or not picked or any(c not in CONTEXTS for c in context):
        raise ValidationError(_("Context None or invalid context supplied"))
    return picked


def _clean_action(action: str) -> str:
    if action not in FilterAction.values:
        raise ValidationError(_("Filter action is not included in the list"))
    return action


def _clean_keyword(keyword: str | None) -> str:
    keyword = (keyword or "").strip()
    if not keyword:
        raise ValidationError(_("Keyword can't be blank"))
    if len(keyword) > MAX_KEYWORD_LENGTH:
        raise ValidationError(
            _("Keyword is too long (at most %(count)d characters)") % {"count": MAX_KEYWORD_LENGTH}
        )
    return keyword


def _expiry(expires_in: int | None) -> datetime | None:
    if expires_in is None:
        return None
    if not 0 < expires_in <= MAX_EXPIRES_IN:
        raise ValidationError(_("Expires in must be a number of seconds, at most ten years"))
    return timezone.now() + timedelta(seconds=expires_in)


def _own(owner: User, item: Filter) -> None:
    if item.owner_id != owner.pk:
        raise Http404


def _apply_keywords(item: Filter, changes: Sequence[KeywordChange]) -> None:
    existing = {k.pk: k for k in FilterKeyword.objects.filter(filter=item)}
    for change in changes:
        if change.id is not None:
            keyword = existing.get(change.id)
            if keyword is None:
                raise Http404
            if change.destroy:
                keyword.delete()
                existing.pop(change.id)
                continue
            fields = []
            if change.keyword is not None:
                keyword.keyword = _clean_keyword(change.keyword)
                fields.append("keyword")
            if change.whole_word is not None:
                keyword.whole_word = change.whole_word
                fields.append("whole_word")
            if fields:
                keyword.save(update_fields=fields)
        elif not change.destroy:
            FilterKeyword.objects.create(
                filter=item,
                keyword=_clean_keyword(change.keyword),
                whole_word=True if change.whole_word is None else change.whole_word,
            )
    if FilterKeyword.objects.filter(filter=item).count() > MAX_KEYWORDS:
        raise ValidationError(
            _("A filter has at most %(count)d keywords") % {"count": MAX_KEYWORDS}
        )


def create_filter(
    owner: User,
    *,
    title: str,
    context: Sequence[str],
    action: str = FilterAction.WARN,
    expires_in: int | None = None,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    title = _clean_title(title)
    picked = _clean_context(context)
    action = _clean_action(action)
    expires_at = _expiry(expires_in)
    if any(change.id is not None for change in keywords):
        raise Http404  # as Mastodon: a new filter has no keywords to change yet
    with transaction.atomic():
        if Filter.objects.filter(owner=owner).count() >= MAX_FILTERS:
            raise ValidationError(
                _("You can have at most %(count)d filters") % {"count": MAX_FILTERS}
            )
        item = Filter.objects.create(
            owner=owner, title=title, context=picked, action=action, expires_at=expires_at
        )
        _apply_keywords(item, keywords)
        _mark(owner, has_filters=True)
    return item


def _mark(owner: User, *, has_filters: bool) -> None:
    """Keep `User.has_filters` true while the member has a filter (pages of statuses skip the
    filters query for everyone else)."""
    User.objects.filter(pk=owner.pk).update(has_filters=has_filters)
    owner.has_filters = has_filters
    publish.filters_changed(owner.pk)


_UNSET: object = object()


def update_filter(
    owner: User,
    item: Filter,
    *,
    title: str | None = None,
    context: Sequence[str] | None = None,
    action: str | None = None,
    expires_in: int | None | object = _UNSET,
    keywords: Sequence[KeywordChange] = (),
) -> Filter:
    """Change a filter; `expires_in=None` makes it last for good, leaving it out keeps the
    expiry as it was."""
    _own(owner, item)
    fields: list[str] = []
    if title is not None:
        item.title = _clean_title(title)
        fields.append("title")
    if context is not None:
        item.context = _clean_context(context)
        fields.append("context")
    if action is not None:
        item.action = _clean_action(action)
        fields.append("action")
    if expires_in is not _UNSET:
        item.expires_at = _expiry(expires_in if isinstance(expires_in, int) else None)
        fields.append("expires_at")
    with transaction.atomic():
        if fields:
            item.save(update_fields=fields)
        _apply_keywords(item, keywords)
        publish.filters_changed(owner.pk)
    return item


def delete_filter(owner: User, item: Filter) -> None:
    _own(owner, item)
    with transaction.atomic():
        item.delete()
        _mark(owner, has_filters=Filter.objects.filter(owner=owner).exists())


def add_keyword(
    owner: User, item: Filter, *, keyword: str, whole_word: bool = True
) -> FilterKeyword:
    _own(owner, item)
    with transaction.atomic():
        if FilterKeyword.objects.filter(filter=item).count() >= MAX_KEYWORDS:
            raise ValidationError(
                _("A filter has at most %(count)d keywords") % {"count": MAX_KEYWORDS}
            )
        publish.filters_changed(owner.pk)
        return FilterKeyword.objects.create(
            filter=item, keyword=_clean_keyword(keyword), whole_word=whole_word
        )


def update_keyword(
    owner: User, keyword: FilterKeyword, *, text: str, whole_word: bool | None = None
) -> FilterKeyword:
    _own(owner, keyword.filter)
    keyword.keyword = _clean_keyword(text)
    if whole_word is not None:
        keyword.whole_word = whole_word
    with transaction.atomic():
        keyword.save(update_fields=["keyword", "whole_word"])
        publish.filters_changed(owner.pk)
    return keyword


def delete_keyword(owner: User, keyword: FilterKeyword) -> None:
    _own(owner, keyword.filter)
    with transaction.atomic():
        keyword.delete()
        publish.filters_changed(owner.pk)


def add_status(owner: User, item: Filter, post: Post) -> FilterStatus:
    """Filter one post (which the owner can see: the caller checks through posts.queries)."""
    _own(owner, item)
    if FilterStatus.objects.filter(filter=item, post=post).exists():
        raise ValidationError(_("Status has already been taken"))
    with transaction.atomic():
        publish.filters_changed(owner.pk)
        return FilterStatus.objects.create(filter=item, post=post)


def delete_status(owner: User, row: FilterStatus) -> None:
    _own(owner, row.filter)
    with transaction.atomic():
        row.delete()
        publish.filters_changed(owner.pk)
