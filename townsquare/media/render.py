"""A post's attachments as HTML: a grid of images, a video player, or a looping GIF-video.

Everything is escaped here; no JavaScript is needed (sensitive media sits in a <details>).
The blurhash is drawn into a tiny PNG data: URI shown behind each image while it loads.
"""

from __future__ import annotations

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.media import blurhash, storage
from townsquare.media.models import Kind, MediaAttachment, Status

NO_DESCRIPTION = gettext_lazy("Image without a description")
GRID_SIZES = "(max-width: 700px) 100vw, 640px"


def _focus_style(item: MediaAttachment) -> str:
    x = (max(-1.0, min(1.0, item.focus_x)) + 1) / 2 * 100
    y = (1 - max(-1.0, min(1.0, item.focus_y))) / 2 * 100
    style = f"object-position: {x:.0f}% {y:.0f}%;"
    placeholder = blurhash.data_uri(item.blurhash) if item.blurhash else ""
    if placeholder:
        style += f" background-image: url({placeholder});"
    return style


def _dimensions(item: MediaAttachment) -> str:
    if item.width and item.height:
        return format_html(' width="{}" height="{}"', int(item.width), int(item.height))
    return ""


def _image(item: MediaAttachment) -> str:
    sizes = [s for s in item.sizes or [] if isinstance(s, dict) and s.get("path")]
    largest = storage.url(item.file_path)
    src = storage.url(sizes[-1]["path"]) if sizes else largest
    srcset = ", ".join(f"{storage.url(s['path'])} {int(s['width'])}w" for s in sizes)
    srcset_attr = format_html(' srcset="{}" sizes="{}"', srcset, GRID_SIZES) if srcset else ""
    return format_html(
        '<a class="media-link" href="{}"><img src="{}"{}{} alt="{}" loading="lazy" '
        'decoding="async" style="{}"></a>',
        largest,
        src,
        mark_safe(srcset_attr),  # noqa: S308 - built with format_html above
        mark_safe(_dimensions(item)),  # noqa: S308 - built with format_html above
        item.description or str(NO_DESCRIPTION),
        _focus_style(item),
    )


def _video(item: MediaAttachment) -> str:
    poster_path = item.sizes[0]["path"] if item.sizes else item.thumbnail_path
    poster = format_html(' poster="{}"', storage.url(poster_path)) if poster_path else ""
    label = item.description or (_("Looping video") if item.kind == Kind.GIFV else _("Video"))
    if item.kind == Kind.GIFV:
        mode = 'autoplay loop muted playsinline preload="auto"'
    else:
        mode = 'controls playsinline preload="none"'
    return format_html(
        '<video {} src="{}"{}{} aria-label="{}" style="{}"><a href="{}">{}</a></video>',
        mark_safe(mode),  # noqa: S308 - a constant
        storage.url(item.file_path),
        mark_safe(poster),  # noqa: S308 - built with format_html above
        mark_safe(_dimensions(item)),  # noqa: S308 - built with format_html above
        label,
        _focus_style(item),
        storage.url(item.file_path),
        _("Download the video"),
    )


def _item(item: MediaAttachment) -> str:
    if item.status == Status.FAILED:
        return format_html(
            '<div class="media-item media-failed" role="note"><span>{}</span></div>',
            _("This file could not be processed."),
        )
    if item.status != Status.READY or not item.file_path:
        return format_html(
            '<div class="media-item media-pending" role="status"><span>{}</span></div>',
            _("Processing…"),
        )
    kind_class = {Kind.IMAGE: "media-image", Kind.VIDEO: "media-video"}.get(
        Kind(item.kind), "media-gifv"
    )
    body = _image(item) if item.kind == Kind.IMAGE else _video(item)
    return f'<figure class="media-item {kind_class}">{body}</figure>'


def gallery_html(attachments: list[MediaAttachment], *, sensitive: bool) -> str:
    """The attachments of one post as safe HTML ("" when there are none)."""
    if not attachments:
        return ""
    count = min(len(attachments), 4)
    items = "".join(_item(item) for item in attachments)
    grid = f'<div class="media-gallery media-count-{count}">{items}</div>'
    if sensitive:
        summary = escape(_("Sensitive media — show"))
        grid = f'<details class="media-sensitive"><summary>{summary}</summary>{grid}</details>'
    return SafeString(grid)
