"""Reading link preview cards."""

from __future__ import annotations

from townsquare.links.models import Card, CardStatus, PostCard


def cards_for(post_ids: list[int]) -> dict[int, Card]:
    """The ready card of each of these posts that has one, in one query."""
    if not post_ids:
        return {}
    rows = PostCard.objects.filter(
        post_id__in=post_ids, card__status=CardStatus.READY
    ).select_related("card")
    return {row.post_id: row.card for row in rows}
