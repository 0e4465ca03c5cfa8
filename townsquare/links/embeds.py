"""YouTube and Vimeo links: recognised from the URL alone, embedded only once clicked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,20}")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
_YOUTUBE_PATHS = ("shorts", "embed", "live", "v")


@dataclass(frozen=True)
class Embed:
    provider: str  # "youtube" or "vimeo"
    video_id: str

    @property
    def player_url(self) -> str:
        """The iframe address, on the privacy-friendlier player hosts."""
        if self.provider == "youtube":
            return f"https://www.youtube-nocookie.com/embed/{self.video_id}?autoplay=1"
        return f"https://player.vimeo.com/video/{self.video_id}?autoplay=1&dnt=1"

    @property
    def watch_url(self) -> str:
        if self.provider == "youtube":
            return f"https://www.youtube.com/watch?v={self.video_id}"
        return f"https://vimeo.com/{self.video_id}"

    @property
    def provider_name(self) -> str:
        return "YouTube" if self.provider == "youtube" else "Vimeo"


def find_embed(url: str) -> Embed | None:
    """The video a YouTube (watch, youtu.be, shorts) or Vimeo link points at, if it is one."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    candidate = ""
    if host == "youtu.be" and segments:
        candidate, provider = segments[0], "youtube"
    elif host in _YOUTUBE_HOSTS or host in ("youtube-nocookie.com", "www.youtube-nocookie.com"):
        provider = "youtube"
        if segments == ["watch"]:
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in _YOUTUBE_PATHS:
            candidate = segments[1]
    elif host in ("vimeo.com", "www.vimeo.com") and len(segments) == 1:
        candidate, provider = segments[0], "vimeo"
    elif host == "player.vimeo.com" and len(segments) == 2 and segments[0] == "video":
        candidate, provider = segments[1], "vimeo"
    else:
        return None
    pattern = _YOUTUBE_ID if provider == "youtube" else _VIMEO_ID
    if not pattern.fullmatch(candidate):
        return None
    return Embed(provider, candidate)


def embed_for(provider: str, video_id: str) -> Embed | None:
    """The embed stored on a card, re-checked (it becomes part of an iframe address)."""
    pattern = {"youtube": _YOUTUBE_ID, "vimeo": _VIMEO_ID}.get(provider)
    if pattern is None or not pattern.fullmatch(video_id):
        return None
    return Embed(provider, video_id)
