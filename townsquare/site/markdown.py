"""The operator's Markdown (about, terms, privacy, footer, announcements) turned into safe HTML:
markdown-it renders CommonMark with raw HTML off, then nh3's allow-list removes anything else
(a script, an event handler, a javascript: link) as a second line of defence."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "li", "ol", "p",
    "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


@functools.cache
def _parser() -> MarkdownIt:
    return (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable("table")
        .enable("strikethrough")
    )


@functools.lru_cache(maxsize=64)
def to_html(text: str) -> str:
    """Safe HTML for `text` (cached: the same few texts are shown on many pages)."""
    if not text.strip():
        return ""
    return nh3.clean(
        _parser().render(text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )
