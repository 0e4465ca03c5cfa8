"""Read-side queries for filters, and applying them to a page of statuses."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.api.serializers.filters import filter_summary
from townsquare.filters.models import Filter, FilterAction, FilterKeyword, FilterStatus


def filters_of(owner: User) -> QuerySet[Filter]:
    """The owner's filters (expired ones too, as Mastodon lists them), with their keywords
    and posts prefetched."""
    return (
        Filter.objects.filter(owner=owner).order_by("id").prefetch_related("keywords", "statuses")
    )


def get_filter(owner: User, filter_id: int) -> Filter | None:
    return filters_of(owner).filter(pk=filter_id).first()


def get_keyword(owner: User, keyword_id: int) -> FilterKeyword | None:
    return (
        FilterKeyword.objects.select_related("filter")
        .filter(pk=keyword_id, filter__owner=owner)
        .first()
    )


def get_filter_status(owner: User, row_id: int) -> FilterStatus | None:
    return (
        FilterStatus.objects.select_related("filter").filter(pk=row_id, filter__owner=owner).first()
    )


def active(owner: User) -> QuerySet[Filter]:
    now = timezone.now()
    return filters_of(owner).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))


@dataclass
class ActiveFilter:
    """A filter in force, ready to match posts against."""

    id: int
    title: str
    context: list[str]
    action: str
    expires_at: datetime | None
    keywords: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    post_ids: set[int] = field(default_factory=set)


def keyword_pattern(keyword: str, whole_word: bool) -> re.Pattern[str]:
    """A case-insensitive pattern for `keyword`; with `whole_word`, it must start and end at a
    word boundary (where the keyword itself starts or ends with a letter or digit)."""
    body = re.escape(keyword)
    if whole_word:
        start = r"\b" if re.match(r"\w", keyword) else ""
        end = r"\b" if re.search(r"\w$", keyword) else ""
        body = f"{start}{body}{end}"
    return re.compile(body, re.IGNORECASE)


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def active_filters(member_id: int, context: str) -> list[ActiveFilter]:
    """The member's unexpired filters that apply in `context`, in one query."""
    sql = (
        "SELECT f.id, f.title, f.context, f.action, f.expires_at, 1, k.keyword, k.whole_word, 0"
        " FROM filters_filter f JOIN filters_filterkeyword k ON k.filter_id = f.id"
        " WHERE f.owner_id = %s AND (f.expires_at IS NULL OR f.expires_at > %s)"
        " UNION ALL"
        " SELECT f.id, f.title, f.context, f.action, f.expires_at, 2, '', FALSE, s.post_id"
        " FROM filters_filter f JOIN filters_filterstatus s ON s.filter_id = f.id"
        " WHERE f.owner_id = %s AND (f.expires_at IS NULL OR f.expires_at > %s)"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(sql, [member_id, now, member_id, now])
        rows = cursor.fetchall()
    found: dict[int, ActiveFilter] = {}
    for filter_id, title, raw_context, action, expires_at, kind, word, whole, post_id in rows:
        item = found.get(filter_id)
        if item is None:
            places = json.loads(raw_context) if isinstance(raw_context, str) else raw_context
            item = ActiveFilter(filter_id, title, list(places or []), action, _when(expires_at))
            found[filter_id] = item
        if kind == 1:
            item.keywords.append((word, keyword_pattern(word, bool(whole))))
        else:
            item.post_ids.add(int(post_id))
    return [f for _, f in sorted(found.items()) if context in f.context]


_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")


def plain_text(status: dict[str, Any]) -> str:
    """What keywords are matched against: the content warning, the text without its markup,
    media descriptions and poll options (as Mastodon does)."""
    content = _BREAKS.sub("\n", str(status.get("content") or ""))
    parts = [str(status.get("spoiler_text") or ""), html.unescape(_TAGS.sub("", content))]
    parts += [str(m.get("description") or "") for m in status.get("media_attachments") or []]
    poll = status.get("poll")
    if isinstance(poll, dict):
        parts += [str(o.get("title") or "") for o in poll.get("options") or []]
    return "\n\n".join(p for p in parts if p)


def _results(filters: Sequence[ActiveFilter], shown: dict[str, Any]) -> list[dict[str, Any]]:
    status_id = int(shown["id"])
    text: str | None = None
    results: list[dict[str, Any]] = []
    for item in filters:
        keyword_matches: list[str] = []
        if item.keywords:
            if text is None:
                text = plain_text(shown)
            keyword_matches = [word for word, pattern in item.keywords if pattern.search(text)]
        status_matches = [str(status_id)] if status_id in item.post_ids else []
        if keyword_matches or status_matches:
            results.append(
                {
                    "filter": filter_summary(
                        item.id, item.title, item.context, item.action, item.expires_at
                    ),
                    "keyword_matches": keyword_matches or None,
                    "status_matches": status_matches or None,
                }
            )
    return results


def apply_filters(
    viewer: User | None, context: str, statuses: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Set each status's `filtered` for `viewer` in `context` (home, notifications, public,
    thread, account), and leave out those a `hide` filter matches. The viewer's own posts are
    never filtered. One query, for the viewer's filters."""
    if viewer is None or not statuses or not viewer.has_filters:
        return statuses
    filters = active_filters(viewer.pk, context)
    if not filters:
        return statuses
    mine = str(viewer.pk)
    kept: list[dict[str, Any]] = []
    for status in statuses:
        if status.get("account", {}).get("id") == mine:
            kept.append(status)
            continue
        shown = status["reblog"] if isinstance(status.get("reblog"), dict) else status
        results = _results(filters, shown)
        if any(r["filter"]["filter_action"] == FilterAction.HIDE for r in results):
            continue
        status["filtered"] = results
        if shown is not status:
            shown["filtered"] = results
        kept.append(status)
    return kept
