"""A post's link preview as HTML: a card, or a video that loads only once clicked."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.files.storage import default_storage
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from townsquare.links.embeds import embed_for
from townsquare.links.models import Card, CardStatus

_REL = "nofollow noopener noreferrer ugc"


def _site_of(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")


def _safe_href(url: str, fallback: str = "") -> str:
    return url if url.lower().startswith(("http://", "https://")) else fallback


def _embed_html(card: Card) -> SafeString:
    embed = embed_for(card.provider, card.embed_id)
    if embed is None:
        return mark_safe("")  # noqa: S308 -- empty
    title = card.title or _("%(site)s video") % {"site": embed.provider_name}
    # Without JavaScript this is a plain link to the video; links.js swaps in the player on
    # click, so the video site hears nothing until the reader asks for it.
    return format_html(
        '<div class="link-embed link-embed-{}" data-embed-src="{}" data-embed-title="{}">'
        '<a class="link-embed-play" href="{}" rel="{}">'
        '<span class="link-embed-icon" aria-hidden="true">▶</span>'
        '<span class="link-card-text"><strong class="link-card-title">{}</strong>'
        '<span class="link-card-site">{}</span></span></a></div>',
        embed.provider,
        embed.player_url,
        title,
        _safe_href(card.url, embed.watch_url),
        _REL,
        title,
        _("%(site)s · plays here when you click") % {"site": embed.provider_name},
    )


def card_html(card: Card | None) -> SafeString:
    """Escaped HTML for a post's card; "" while it is pending, when it failed, or when the
    page had nothing to show."""
    if card is None or card.status != CardStatus.READY:
        return mark_safe("")  # noqa: S308 -- empty
    if card.provider:
        return _embed_html(card)
    href = _safe_href(card.url)
    if not href or not card.title:
        return mark_safe("")  # noqa: S308 -- empty
    image = (
        format_html(
            '<img class="link-card-image" src="{}" alt="" loading="lazy" width="400" height="210">',
            default_storage.url(card.image),
        )
        if card.image
        else ""
    )
    description = (
        format_html('<span class="link-card-description">{}</span>', card.description)
        if card.description
        else ""
    )
    return format_html(
        '<a class="link-card" href="{}" rel="{}">{}<span class="link-card-text">'
        '<span class="link-card-site">{}</span><strong class="link-card-title">{}</strong>{}'
        "</span></a>",
        href,
        _REL,
        image,
        card.site_name or _site_of(card.url),
        card.title,
        description,
    )
