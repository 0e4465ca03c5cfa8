"""Reading attachments. Visibility is the post's: callers pass ids of posts already allowed."""

from __future__ import annotations

from townsquare.media.models import MediaAttachment


def attachments_for(post_ids: list[int]) -> dict[int, list[MediaAttachment]]:
    """Each post's attachments in order, in one query; posts without any are absent."""
    found: dict[int, list[MediaAttachment]] = {}
    if not post_ids:
        return found
    rows = MediaAttachment.objects.filter(post_id__in=list(post_ids)).order_by(
        "post_id", "position", "id"
    )
    for row in rows:
        assert row.post_id is not None
        found.setdefault(row.post_id, []).append(row)
    return found
