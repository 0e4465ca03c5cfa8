"""Custom emoji: small images members write as `:shortcode:`.

The set in use (enabled emoji) is kept by `state` for a few seconds in each process, with a
`version` that changes only when the set does: post cards (web/render.py) and the API's
cached statuses put it in their cache keys, so an emoji added, changed or disabled shows in
every post at once in the process that changed it, and within seconds in the others.

Post text is stored with the shortcodes as written. The web replaces them with images when a
card is rendered (once per post and version: cached); the API leaves them in `content` and
lists the emoji used in `emojis`, as Mastodon does (apps draw them).

Uploads: PNG, GIF or WebP of at most 256 KB, shrunk to fit 128x128. An animated GIF or WebP
stays animated (up to `MAX_FRAMES` frames); `static_url` is always a still PNG of the first
frame.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageSequence

from townsquare.accounts.models import User
from townsquare.core.ids import next_id
from townsquare.media import images
from townsquare.moderation import audit
from townsquare.site import state
from townsquare.site.models import CustomEmoji

PERMISSION = "manage_announcements"
SHORTCODE_RE = re.compile(r"[a-zA-Z0-9_]{2,30}")
# `:name:` in text, not glued to a word on either side ("12:30:00" is a time, not an emoji).
IN_TEXT_RE = re.compile(r"(?<![A-Za-z0-9_]):([a-zA-Z0-9_]{2,30}):(?![A-Za-z0-9_])")
# Post HTML (web/render.py) is sanitized: a "<" always starts a tag. Links are kept whole, so
# nothing inside one (its address, its text) becomes an image.
_TAG_OR_LINK_RE = re.compile(r"(<a\b[^>]*>.*?</a>|<[^>]*>)", re.S | re.I)
MAX_BYTES = 256 * 1024
EDGE = 128
MAX_FRAMES = 200
MAX_DECODED_PIXELS = 40_000_000  # width x height x frames
FORMATS = frozenset({"PNG", "GIF", "WEBP"})
MAX_CATEGORY = 50


@dataclass(frozen=True)
class Emoji:
    shortcode: str
    url: str  # absolute
    static_url: str
    visible_in_picker: bool
    category: str

    def entity(self) -> dict[str, Any]:
        """Mastodon's CustomEmoji entity."""
        return {
            "shortcode": self.shortcode,
            "url": self.url,
            "static_url": self.static_url,
            "visible_in_picker": self.visible_in_picker,
            "category": self.category or None,
        }


@dataclass(frozen=True)
class EmojiSet:
    by_code: Mapping[str, Emoji] = field(default_factory=dict)
    version: int = 0


def _absolute(path: str) -> str:
    url = default_storage.url(path)
    return url if url.startswith(("http://", "https://")) else f"{settings.BASE_URL}{url}"


def load() -> EmojiSet:
    """The enabled emoji (read by `state` every few seconds)."""
    rows = CustomEmoji.objects.filter(disabled=False).values_list(
        "shortcode", "image", "static_image", "visible_in_picker", "category", "updated_at"
    )
    found: dict[str, Emoji] = {}
    stamp = []
    for shortcode, image, still, visible, category, updated_at in rows:
        found[shortcode] = Emoji(
            shortcode, _absolute(image), _absolute(still), visible, category or ""
        )
        stamp.append((shortcode, image, still, visible, category, updated_at))
    return EmojiSet(by_code=found, version=hash(tuple(sorted(stamp))) if stamp else 0)


def current() -> EmojiSet:
    return state.current().emojis


# The version, remembered for a second: post cards ask for it once per post, and asking
# `state` costs about 1 us (a page of 20 posts: 20 us). Forgotten by this module's writes.
VERSION_SECONDS = 1.0
_version: list[float] = [float("-inf"), 0]  # [until when, version]


def version() -> int:
    """Changes whenever the set of enabled emoji (or any of their images) does; a change
    made in another process shows within `state.REFRESH_SECONDS` and one more second."""
    now = time.monotonic()
    if now < _version[0]:
        return int(_version[1])
    found = state.current().emojis.version
    _version[0], _version[1] = now + VERSION_SECONDS, found
    return found


def listed() -> list[dict[str, Any]]:
    """Every enabled emoji as an API entity, by category then shortcode."""
    emojis = current().by_code.values()
    return [e.entity() for e in sorted(emojis, key=lambda e: (e.category, e.shortcode))]


def used_in(*texts: str) -> list[dict[str, Any]]:
    """The entities of the enabled emoji `texts` use, in order of first use (a status's
    `emojis`). No work when the site has none."""
    known = current().by_code
    if not known:
        return []
    found: dict[str, dict[str, Any]] = {}
    for text in texts:
        if text and ":" in text:
            for match in IN_TEXT_RE.finditer(text):
                code = match.group(1)
                if code in known and code not in found:
                    found[code] = known[code].entity()
    return list(found.values())


def image_html(emoji: Emoji) -> str:
    code = escape(f":{emoji.shortcode}:")
    return (
        f'<img class="emoji" src="{escape(emoji.url)}" alt="{code}" title="{code}" '
        f'draggable="false">'
    )


def emojify(html: str) -> str:
    """`html` (sanitized post HTML) with the `:shortcode:` of enabled emoji replaced by their
    images, in text only: never inside a tag, nor anywhere inside a link."""
    known = current().by_code
    if not known or ":" not in html:
        return html

    def replace(match: re.Match[str]) -> str:
        emoji = known.get(match.group(1))
        return image_html(emoji) if emoji is not None else match.group(0)

    parts = _TAG_OR_LINK_RE.split(html)
    for index in range(0, len(parts), 2):  # even parts are text, odd ones tags or links
        if ":" in parts[index]:
            parts[index] = IN_TEXT_RE.sub(replace, parts[index])
    return "".join(parts)


# --- images ----------------------------------------------------------------------------------


def _fitted(frame: Image.Image) -> Image.Image:
    still = frame.convert("RGBA")
    still.thumbnail((EDGE, EDGE), Image.Resampling.LANCZOS)
    return still


def _store(data: bytes, extension: str) -> str:
    return default_storage.save(f"emoji/{next_id()}.{extension}", ContentFile(data))


def process_upload(upload: IO[bytes]) -> tuple[str, str]:
    """Check and store an emoji image: (image path, still image path). ValidationError for a
    file that is not a PNG, GIF or WebP image, or is larger than 256 KB."""
    data = images.read_limited(upload, MAX_BYTES)
    opened = images.open_checked(data)  # JPEG passes here: refused just below
    if opened.format not in FORMATS:
        raise ValidationError(_("Upload a PNG, GIF or WebP image."), code="format")
    frames = int(getattr(opened, "n_frames", 1) or 1)
    if frames > MAX_FRAMES:
        raise ValidationError(
            _("That animation has too many frames (the limit is %(count)d).")
            % {"count": MAX_FRAMES},
            code="frames",
        )
    if opened.width * opened.height * frames > MAX_DECODED_PIXELS:
        raise images.too_many_pixels()
    try:
        if frames > 1:
            fitted, durations = [], []
            for frame in ImageSequence.Iterator(opened):
                fitted.append(_fitted(frame))
                durations.append(int(frame.info.get("duration") or 100))
        else:
            fitted, durations = [_fitted(images.load_checked(opened))], []
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(
            _("That file is not an image we can read."), code="not_image"
        ) from exc
    still = io.BytesIO()
    fitted[0].save(still, "PNG", optimize=True)
    still_path = _store(still.getvalue(), "png")
    if len(fitted) == 1:
        return still_path, still_path
    moving = io.BytesIO()
    kind = "GIF" if opened.format == "GIF" else "WEBP"
    options: dict[str, Any] = {"save_all": True, "append_images": fitted[1:], "loop": 0}
    options["duration"] = durations
    if kind == "GIF":
        options["disposal"] = 2
    else:
        options["quality"] = 90
    try:
        fitted[0].save(moving, kind, **options)
    except BaseException:
        images.delete_image(still_path)
        raise
    return _store(moving.getvalue(), kind.lower()), still_path


def _delete_files(*paths: str) -> None:
    for path in set(paths):
        images.delete_image(path)


# --- writes ----------------------------------------------------------------------------------


def _require(actor: User | None) -> None:
    if actor is not None and not actor.can(PERMISSION):
        raise PermissionDenied(_("You may not manage custom emoji."))


def _category(value: Any) -> str:
    category = str(value or "").strip()
    if len(category) > MAX_CATEGORY:
        too_long = ngettext(
            "At most %(limit)d character.", "At most %(limit)d characters.", MAX_CATEGORY
        )
        raise ValidationError({"category": [too_long % {"limit": MAX_CATEGORY}]})
    return category


def _changed() -> None:
    """In the writing transaction: pages see the change at once (`state.changed`)."""
    state.changed()
    _version[0] = float("-inf")


_LOGGED = ("shortcode", "category", "visible_in_picker", "disabled", "image")


def _fields(emoji: CustomEmoji) -> dict[str, Any]:
    """What the audit log keeps of an emoji."""
    return {name: getattr(emoji, name) for name in _LOGGED}


def create_emoji(
    actor: User | None,
    *,
    shortcode: str,
    upload: IO[bytes],
    category: str = "",
    visible_in_picker: bool = True,
) -> CustomEmoji:
    """A new emoji. ValidationError by field: a shortcode that is not 2 to 30 letters, digits
    or underscores, or is taken (whatever the case); an image that will not do."""
    _require(actor)
    code = (shortcode or "").strip().strip(":")
    if not SHORTCODE_RE.fullmatch(code):
        raise ValidationError(
            {"shortcode": [_("Use 2 to 30 letters, digits or underscores (like garden_gnome).")]}
        )
    cleaned_category = _category(category)
    if CustomEmoji.objects.filter(shortcode__iexact=code).exists():
        raise ValidationError({"shortcode": [_("There is already an emoji with that shortcode.")]})
    try:
        image, still = process_upload(upload)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    try:
        with transaction.atomic():
            emoji = CustomEmoji.objects.create(
                shortcode=code,
                image=image,
                static_image=still,
                category=cleaned_category,
                visible_in_picker=visible_in_picker,
            )
            audit.record(actor, "emoji.create", target=emoji, before={}, after=_fields(emoji))
            _changed()
    except IntegrityError:
        _delete_files(image, still)
        raise ValidationError(
            {"shortcode": [_("There is already an emoji with that shortcode.")]}
        ) from None
    except BaseException:
        _delete_files(image, still)
        raise
    return emoji


def _get(emoji_id: int) -> CustomEmoji:
    found = CustomEmoji.objects.select_for_update().filter(pk=emoji_id).first()
    if found is None:
        raise CustomEmoji.DoesNotExist(_("There is no such emoji."))
    return found


def update_emoji(
    actor: User | None,
    emoji_id: int,
    *,
    category: str,
    visible_in_picker: bool,
    disabled: bool,
    upload: IO[bytes] | None = None,
) -> CustomEmoji:
    """Change an emoji's category, whether apps offer it, whether it is in use, and (with
    `upload`) its image. Its shortcode stays: posts use it."""
    _require(actor)
    cleaned_category = _category(category)
    new_files: tuple[str, str] | None = None
    if upload is not None:
        try:
            new_files = process_upload(upload)
        except ValidationError as exc:
            raise ValidationError({"image": exc.messages}) from None
    try:
        with transaction.atomic():
            emoji = _get(emoji_id)
            before = _fields(emoji)
            old_files = (emoji.image, emoji.static_image)
            emoji.category, emoji.visible_in_picker = cleaned_category, visible_in_picker
            emoji.disabled = disabled
            if new_files is not None:
                emoji.image, emoji.static_image = new_files
            emoji.updated_at = timezone.now()
            emoji.save()
            audit.record(actor, "emoji.update", target=emoji, before=before, after=_fields(emoji))
            if new_files is not None:
                transaction.on_commit(lambda: _delete_files(*old_files))
            _changed()
    except BaseException:
        if new_files is not None:
            _delete_files(*new_files)
        raise
    return emoji


def delete_emoji(actor: User | None, emoji_id: int) -> None:
    """Remove an emoji and its images (posts keep the `:shortcode:` as text)."""
    _require(actor)
    with transaction.atomic():
        emoji = _get(emoji_id)
        files = (emoji.image, emoji.static_image)
        audit.record(actor, "emoji.delete", target=emoji, before=_fields(emoji), after={})
        emoji.delete()
        transaction.on_commit(lambda: _delete_files(*files))
        _changed()
