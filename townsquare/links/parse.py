"""Reading a page's preview metadata: OpenGraph, Twitter cards, <title>, meta description,
and the oEmbed address it advertises. Tolerant of broken HTML; never raises on bad input."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.I)
_SPACE = re.compile(r"\s+")
_FEED_CHUNK = 16 * 1024


@dataclass
class PageMeta:
    title: str = ""
    description: str = ""
    site_name: str = ""
    image_url: str = ""
    oembed_url: str = ""


def clean(value: Any, limit: int) -> str:
    """One line of plain text: control characters dropped, spaces collapsed, cut at `limit`."""
    if not isinstance(value, str):
        return ""
    text = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\t\n ")
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def absolute_http_url(base: str, value: str) -> str:
    """`value` made absolute against `base`, when it is an http(s) URL; else ""."""
    value = value.strip()
    if not value or len(value) > 2000:
        return ""
    try:
        url = urljoin(base, value)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


def decode_html(content: bytes, charset: str | None) -> str:
    """Bytes to text: the header's charset, else a <meta charset>, else UTF-8."""
    candidates = [charset] if charset else []
    match = _META_CHARSET.search(content[:4096])
    if match:
        candidates.append(match.group(1).decode("ascii"))
    for name in [*candidates, "utf-8"]:
        try:
            return content.decode(name, errors="replace")
        except (LookupError, ValueError):
            continue
    return content.decode("utf-8", errors="replace")


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.oembed_href = ""
        self.in_title = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        values = {name.lower(): (value or "") for name, value in attrs}
        if tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"])
        elif tag == "link":
            rel = values.get("rel", "").lower().split()
            kind = values.get("type", "").strip().lower()
            if "alternate" in rel and kind == "application/json+oembed" and not self.oembed_href:
                self.oembed_href = values.get("href", "")
        elif tag == "title":
            self.in_title = True
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.done and sum(map(len, self.title_parts)) < 2000:
            self.title_parts.append(data)


def parse_page(html: str, base_url: str) -> PageMeta:
    """The preview metadata of a page (fields it lacks are "")."""
    parser = _HeadParser()
    try:
        for start in range(0, len(html), _FEED_CHUNK):
            parser.feed(html[start : start + _FEED_CHUNK])
            if parser.done:
                break
        parser.close()
    except Exception:  # noqa: S110 -- HTMLParser on hostile input: keep what was read
        pass
    meta = parser.meta

    def first(*keys: str) -> str:
        for key in keys:
            if meta.get(key, "").strip():
                return meta[key]
        return ""

    title = first("og:title", "twitter:title") or "".join(parser.title_parts)
    image = first("og:image:secure_url", "og:image", "og:image:url", "twitter:image")
    return PageMeta(
        title=clean(title, 300),
        description=clean(first("og:description", "twitter:description", "description"), 500),
        site_name=clean(first("og:site_name", "application-name"), 200),
        image_url=absolute_http_url(base_url, image),
        oembed_url=absolute_http_url(base_url, parser.oembed_href),
    )


def parse_oembed(content: bytes, base_url: str) -> PageMeta:
    """Title, provider and thumbnail from an oEmbed JSON answer (its HTML is never used)."""
    try:
        data = json.loads(content.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return PageMeta()
    if not isinstance(data, dict):
        return PageMeta()
    thumbnail = data.get("thumbnail_url")
    return PageMeta(
        title=clean(data.get("title"), 300),
        site_name=clean(data.get("provider_name"), 200),
        image_url=absolute_http_url(base_url, thumbnail) if isinstance(thumbnail, str) else "",
    )
