"""Reading link preview cards."""

from __future__ import annotations

from townsquare.core.sql import id_in
from townsquare.links.models import Card, CardStatus


def cards_for(post_ids: list[int]) -> dict[int, Card]:
    """The ready card of each of these posts that has one, in one query."""
    if not post_ids:
        return {}
    where, params = id_in("pc.post_id", post_ids)
    rows = Card.objects.raw(
        "SELECT c.*, pc.post_id AS shown_on FROM links_postcard pc"  # noqa: S608 - constant SQL
        f" JOIN links_card c ON c.id = pc.card_id WHERE {where} AND c.status = %s",
        [*params, int(CardStatus.READY)],
    )
    return {row.shown_on: row for row in rows}  # type: ignore[attr-defined]
