"""The link preview job: fetch the page through the outbound client, read its metadata and
image, then store the card in one step. A page that cannot be fetched or read leaves a
failed card (which shows nothing), never a half-filled one and never a crashed job."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from townsquare.core import http
from townsquare.core.jobs import INTERACTIVE, retried
from townsquare.links.models import Card, CardStatus
from townsquare.links.parse import PageMeta, decode_html, parse_oembed, parse_page
from townsquare.links.queries import previews_enabled
from townsquare.media.images import Shape, process_image
from townsquare.site.limits import current_limits

logger = logging.getLogger(__name__)

PREVIEW_SHAPE = Shape("previews", 400, 210)
HTML_TYPES = {"text/html", "application/xhtml+xml"}
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
OEMBED_MAX_BYTES = 256 * 1024


def delete_image(path: str) -> None:
    if path:
        default_storage.delete(path)


@dataclass
class Preview:
    title: str
    description: str
    site_name: str
    image: str  # storage path, or ""


def _fetch_image(url: str) -> str:
    """The stored, resized preview image, or "" when there is none we can use."""
    try:
        limit = current_limits().image_bytes
        response = http.get(url, accept="image/*", max_bytes=limit)
        if response.status != 200 or not response.content_type.startswith("image/"):
            return ""
        return process_image(io.BytesIO(response.content), PREVIEW_SHAPE)
    except (http.OutboundError, ValidationError) as exc:
        logger.info("no preview image from %s: %s", url[:200], exc)
        return ""


def _fetch_oembed(url: str) -> PageMeta:
    try:
        response = http.get(url, accept="application/json", max_bytes=OEMBED_MAX_BYTES)
    except http.OutboundError as exc:
        logger.info("no oEmbed from %s: %s", url[:200], exc)
        return PageMeta()
    if response.status != 200:
        return PageMeta()
    return parse_oembed(response.content, response.url)


def gather_preview(url: str) -> Preview | None:
    """Fetch and read a page; None when it has nothing to show. Raises OutboundError when
    the page cannot be fetched."""
    response = http.get(url, accept=HTML_ACCEPT)
    if response.status != 200 or response.content_type not in HTML_TYPES:
        return None
    meta = parse_page(decode_html(response.content, response.charset), response.url)
    if meta.oembed_url and not (meta.title and meta.image_url):
        extra = _fetch_oembed(meta.oembed_url)
        meta.title = meta.title or extra.title
        meta.site_name = meta.site_name or extra.site_name
        meta.image_url = meta.image_url or extra.image_url
    if not meta.title:
        return None
    image = _fetch_image(meta.image_url) if meta.image_url else ""
    return Preview(meta.title, meta.description, meta.site_name, image)


def _save(card_id: int, preview: Preview | None) -> str:
    """Write the outcome in one transaction: the whole preview, or a failed card."""
    with transaction.atomic():
        card = Card.objects.select_for_update().filter(pk=card_id).first()
        if card is None:
            transaction.on_commit(lambda: delete_image(preview.image if preview else ""))
            return "gone"
        old_image = card.image
        card.fetched_at = timezone.now()
        if preview is not None:
            card.status = CardStatus.READY
            card.title = preview.title
            card.description = preview.description
            card.site_name = preview.site_name
            card.image = preview.image
        elif card.status != CardStatus.READY:  # a refresh that fails keeps the last preview
            card.status = CardStatus.FAILED
            card.title = card.description = card.site_name = card.image = ""
        card.save()
        if old_image and old_image != card.image:
            transaction.on_commit(lambda: delete_image(old_image))
    return "ready" if preview is not None else "failed"


@task(priority=INTERACTIVE)
@retried()
def fetch_card(card_id: int) -> str:
    """Fill in a link preview card from its page. Returns "ready", "failed" or why it skipped."""
    card = Card.objects.filter(pk=card_id).values("url", "provider").first()
    if card is None:
        return "gone"
    if card["provider"]:  # embeds need nothing from the network
        return "embed"
    if not previews_enabled():
        return "disabled"
    try:
        preview = gather_preview(card["url"])
    except http.OutboundError as exc:
        logger.info("no preview for card %s: %s", card_id, exc)
        preview = None
    except Exception:  # a hostile or broken page must never crash the job
        logger.exception("reading the page for card %s failed", card_id)
        preview = None
    try:
        return _save(card_id, preview)
    except BaseException:
        if preview is not None:
            delete_image(preview.image)  # not kept by a card: nothing half-written
        raise
