"""The MediaAttachment entity."""

from __future__ import annotations

from typing import Any

from townsquare.api.serializers.common import media_url
from townsquare.media.models import MediaAttachment, Status


def _meta(width: int | None, height: int | None) -> dict[str, Any] | None:
    if not width or not height:
        return None
    return {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6),
    }


def attachment(item: MediaAttachment) -> dict[str, Any]:
    ready = item.status == Status.READY
    sizes = [s for s in item.sizes or [] if isinstance(s, dict) and s.get("path")]
    if item.kind == "image":
        preview = sizes[0] if sizes else None
        preview_path = preview["path"] if preview else item.file_path
    else:
        preview = sizes[0] if sizes else None
        preview_path = preview["path"] if preview else item.thumbnail_path
    meta: dict[str, Any] = {"focus": {"x": item.focus_x, "y": item.focus_y}}
    original = _meta(item.width, item.height)
    if original:
        if item.duration:
            original["duration"] = item.duration
        meta["original"] = original
    if preview:
        small = _meta(int(preview.get("width") or 0), int(preview.get("height") or 0))
        if small:
            meta["small"] = small
    return {
        "id": str(item.pk),
        "type": item.kind if item.kind in ("image", "video", "gifv") else "unknown",
        "url": media_url(item.file_path) if ready else None,
        "preview_url": media_url(preview_path) if ready and preview_path else None,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": item.description or None,
        "blurhash": item.blurhash or None,
    }
