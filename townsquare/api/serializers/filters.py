"""The Filter, FilterKeyword, FilterStatus and FilterResult entities (filters v2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from townsquare.api.serializers.common import iso
from townsquare.filters.models import Filter, FilterKeyword, FilterStatus


def keyword_entity(keyword: FilterKeyword) -> dict[str, Any]:
    return {"id": str(keyword.pk), "keyword": keyword.keyword, "whole_word": keyword.whole_word}


def status_entity(row: FilterStatus) -> dict[str, Any]:
    return {"id": str(row.pk), "status_id": str(row.post_id)}


def filter_summary(
    filter_id: int, title: str, context: Sequence[str], action: str, expires_at: datetime | None
) -> dict[str, Any]:
    """A filter as a status's `filtered` names it (without its keywords and posts, as
    Mastodon gives it there)."""
    return {
        "id": str(filter_id),
        "title": title,
        "context": list(context),
        "expires_at": iso(expires_at),
        "filter_action": action,
    }


def filter_entity(
    item: Filter,
    keywords: Iterable[FilterKeyword] | None = None,
    statuses: Iterable[FilterStatus] | None = None,
) -> dict[str, Any]:
    """The whole Filter: `keywords` and `statuses` default to the prefetched relations."""
    entity = filter_summary(item.pk, item.title, item.context, item.action, item.expires_at)
    words = keywords if keywords is not None else item.keywords.all()
    posts = statuses if statuses is not None else item.statuses.all()
    entity["keywords"] = [keyword_entity(k) for k in sorted(words, key=lambda k: k.pk)]
    entity["statuses"] = [status_entity(s) for s in sorted(posts, key=lambda s: s.pk)]
    return entity
