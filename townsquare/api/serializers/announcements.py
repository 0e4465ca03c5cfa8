"""Mastodon's Announcement entity, from the announcements `site.state` keeps."""

from __future__ import annotations

from typing import Any

from townsquare.api.serializers.common import iso
from townsquare.site import emoji
from townsquare.site.announcements import Shown


def announcement(shown: Shown, *, read: bool | None) -> dict[str, Any]:
    """Reactions, mentions, linked statuses and tags are not kept for announcements here:
    always empty lists."""
    return {
        "id": str(shown.id),
        "content": shown.html,
        "starts_at": iso(shown.starts_at),
        "ends_at": iso(shown.ends_at),
        "all_day": shown.all_day,
        "published_at": iso(shown.published_at),
        "updated_at": iso(shown.updated_at),
        "read": read,
        "mentions": [],
        "statuses": [],
        "tags": [],
        "emojis": emoji.used_in(shown.text),
        "reactions": [],
    }
