"""The write layer for link previews: which card a post shows."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from townsquare.core.jobs import enqueue
from townsquare.core.text import URL_RE
from townsquare.links import tasks
from townsquare.links.embeds import find_embed
from townsquare.links.models import Card, CardStatus, PostCard
from townsquare.links.models.card import MAX_URL_LENGTH, url_key
from townsquare.links.queries import previews_enabled

FRESH_FOR = timedelta(days=7)  # a ready card is fetched again after this
RETRY_FAILED_AFTER = timedelta(hours=6)
REQUEST_AGAIN_AFTER = timedelta(hours=1)  # a fetch job enqueued less long ago is still due
_TRAILING = ".,;:!?)]}'\""


def first_link(text: str) -> str | None:
    """The first http(s) link in a post's plain text (without its #fragment), if any."""
    for match in URL_RE.finditer(text or ""):
        url = match.group(0)
        while url and url[-1] in _TRAILING:
            if url[-1] == ")" and url.count("(") >= url.count(")"):
                break
            url = url[:-1]
        url = url.split("#", 1)[0]
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- raises ValueError when the port is not a number
        except ValueError:
            continue
        if parts.hostname and len(url) <= MAX_URL_LENGTH:
            return url
    return None


def _fetch_due(card: Card) -> bool:
    now = timezone.now()
    if card.provider or card.requested_at > now - REQUEST_AGAIN_AFTER:
        return False
    if card.status == CardStatus.PENDING or card.fetched_at is None:
        return True
    age = now - card.fetched_at
    return age > (FRESH_FOR if card.status == CardStatus.READY else RETRY_FAILED_AFTER)


def _card_for(url: str) -> Card:
    embed = find_embed(url)
    now = timezone.now()
    defaults: dict[str, object] = {"url": url, "requested_at": now}
    if embed is not None:  # known from the URL alone: no request to the video site at all
        defaults.update(
            status=CardStatus.READY,
            provider=embed.provider,
            embed_id=embed.video_id,
            site_name=embed.provider_name,
            fetched_at=now,
        )
    card, created = Card.objects.get_or_create(url_key=url_key(url), defaults=defaults)
    if created and embed is None:
        enqueue(tasks.fetch_card, card.pk)
    elif _fetch_due(card):
        Card.objects.filter(pk=card.pk).update(requested_at=now)
        enqueue(tasks.fetch_card, card.pk)
    return card


def schedule_preview(post_id: int, text: str) -> None:
    """Show the card of the first link in a post's text under it (a new card is fetched by a
    job). Called by posts.actions when a post is created or edited, inside its transaction."""
    if not previews_enabled():
        return
    url = first_link(text)
    with transaction.atomic():
        if url is None:
            PostCard.objects.filter(post_id=post_id).delete()
            return
        card = _card_for(url)
        PostCard.objects.update_or_create(post_id=post_id, defaults={"card": card})
