"""Plain text in, safe HTML out: mentions, hashtags and URLs become links.

Members write plain text. `render_text` escapes it, turns @mentions of existing members,
#hashtags and http(s) URLs into links, keeps paragraphs and line breaks, and then runs
the result through nh3's allow-list as a second line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape

import nh3

USERNAME_PATTERN = r"[A-Za-z0-9_]{1,30}"
MENTION_RE = re.compile(rf"(?<![\w@/])@({USERNAME_PATTERN})(?![\w@])")
HASHTAG_RE = re.compile(r"(?<![\w#&/])#(\w{1,100})(?!\w)", re.UNICODE)
_HASHTAG_NAME_RE = re.compile(r"\w{1,100}")
URL_RE = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
TOKEN_RE = re.compile(f"({URL_RE.pattern})|{MENTION_RE.pattern}|{HASHTAG_RE.pattern}", re.I)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""

ALLOWED_TAGS = {"p", "br", "a", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "class", "title"}, "span": {"class"}}

Resolver = Callable[[Iterable[str]], dict[str, str]]


@dataclass
class RenderedText:
    html: str
    mentions: list[str] = field(default_factory=list)  # canonical usernames, in order
    hashtags: list[str] = field(default_factory=list)  # lower-case names, in order


def extract_mentions(text: str) -> list[str]:
    return _unique(match.group(1) for match in MENTION_RE.finditer(text))


def hashtag_name(tag: str) -> str | None:
    """The stored, lower-case name of a hashtag, or None when lower-casing would change what
    it is made of (e.g. "İ" becomes "i" plus a combining dot, which is not a word character)."""
    name = tag.lower()
    return name if _HASHTAG_NAME_RE.fullmatch(name) else None


def _unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            unique.append(item)
    return unique


def _split_url(raw: str) -> tuple[str, str]:
    """Trailing punctuation belongs to the sentence, not the link (but keep balanced parens)."""
    url = raw
    while url and url[-1] in _TRAILING_PUNCTUATION:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url, raw[len(url) :]


def _display_url(url: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", url, flags=re.I)
    return shown if len(shown) <= 45 else shown[:44] + "…"


def render_text(
    text: str,
    *,
    resolve_mentions: Resolver,
    profile_url: Callable[[str], str],
    tag_url: Callable[[str], str],
) -> RenderedText:
    """Render member text to sanitized HTML.

    `resolve_mentions` maps lower-cased usernames to canonical usernames of members who exist;
    mentions of anyone else stay plain text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    known = resolve_mentions({name.lower() for name in extract_mentions(text)})
    mentions: list[str] = []
    hashtags: list[str] = []

    def link(match: re.Match[str]) -> str:
        url_text, username, tag = match.group(1), match.group(2), match.group(3)
        if url_text:
            url, rest = _split_url(url_text)
            return f'<a href="{escape(url)}" title="{escape(url)}">{escape(_display_url(url))}</a>{escape(rest)}'
        if username:
            canonical = known.get(username.lower())
            if canonical is None:
                return escape(match.group(0))
            if canonical not in mentions:
                mentions.append(canonical)
            href = escape(profile_url(canonical))
            return f'<a href="{href}" class="mention">@{escape(canonical)}</a>'
        name = hashtag_name(tag)
        if name is None:  # a tag we cannot keep as a name: leave it as text
            return escape(match.group(0))
        if name not in hashtags:
            hashtags.append(name)
        return f'<a href="{escape(tag_url(name))}" class="hashtag">#{escape(tag)}</a>'

    def render_line(line: str) -> str:
        out, last = [], 0
        for match in TOKEN_RE.finditer(line):
            out.append(escape(line[last : match.start()]))
            out.append(link(match))
            last = match.end()
        out.append(escape(line[last:]))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    html = "".join(
        "<p>" + "<br>".join(render_line(line) for line in para.split("\n")) + "</p>"
        for para in paragraphs
    )
    return RenderedText(html=sanitize(html), mentions=mentions, hashtags=hashtags)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="nofollow noopener noreferrer",
    )
