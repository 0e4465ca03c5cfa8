"""The PreviewCard entity."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from townsquare.api.serializers.common import media_url
from townsquare.links.models import Card


def card(item: Card) -> dict[str, Any]:
    host = urlsplit(item.url).hostname or ""
    return {
        "url": item.url,
        "title": item.title or host,
        "description": item.description or "",
        "type": "video" if item.provider else "link",
        "author_name": "",
        "author_url": "",
        "provider_name": item.site_name or host,
        "provider_url": "",
        "html": "",
        "width": 0,
        "height": 0,
        "image": media_url(item.image),
        "image_description": "",
        "embed_url": "",
        "blurhash": None,
        "language": None,
        "published_at": None,
        "authors": [],
    }
