"""Reading link preview cards."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from townsquare.core.rows import ModelReader
from townsquare.core.sql import id_in
from townsquare.links.models import Card, CardStatus
from townsquare.site import features

_CARD = ModelReader(Card)


def previews_enabled() -> bool:
    """Whether link previews are fetched and shown: the operator's "link_previews" switch,
    and TOWNSQUARE_LINK_PREVIEWS, the environment's hard off for sites that want no outbound
    fetches at all. Both must be on; while either is off no fetch is queued or made, and no
    card is shown (cards fetched before stay stored, and show again once both are on)."""
    return bool(settings.TOWNSQUARE["LINK_PREVIEWS"]) and features.enabled("link_previews")


def cards_for(post_ids: list[int]) -> dict[int, Card]:
    """The ready card of each of these posts that has one, in one query."""
    if not post_ids:
        return {}
    where, params = id_in("pc.post_id", post_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT pc.post_id, {_CARD.columns('c')} FROM links_postcard pc"  # noqa: S608
            f" JOIN links_card c ON c.id = pc.card_id WHERE {where} AND c.status = %s",
            [*params, int(CardStatus.READY)],
        )
        rows = cursor.fetchall()
    return {row[0]: _CARD.build(row[1:]) for row in rows}
