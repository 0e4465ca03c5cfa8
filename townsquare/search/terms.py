"""What a search box query means: the kind of search and its plain words.

Input is never passed to a full-text query language: it is cut into words (letters and
digits only), so quotes, operators (AND, OR, NOT, NEAR), stars and brackets are just
separators and a query like `"unbalanced` or `NEAR(` cannot fail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_QUERY_LENGTH = 200  # characters kept of what was typed
MIN_QUERY_LENGTH = 2  # shorter queries search nothing
MAX_WORDS = 8  # words of a post search
MAX_WORD_LENGTH = 60

_WORD = re.compile(r"[^\W_]+")


class Kind(StrEnum):
    ALL = "all"  # people, hashtags and posts
    PEOPLE = "people"  # the query started with @
    HASHTAGS = "hashtags"  # the query started with #


@dataclass(frozen=True)
class Query:
    text: str  # what is searched for, without a leading # or @
    kind: Kind
    words: tuple[str, ...]  # lower-case words for post search
    message: str = ""  # why nothing is searched, when nothing is

    @property
    def searchable(self) -> bool:
        return not self.message


def clean(text: str | None) -> str:
    """`text` without control characters (a NUL cannot even reach PostgreSQL), with runs of
    white space made single spaces, cut to MAX_QUERY_LENGTH."""
    printable = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " "
        for ch in (text or "")[: 4 * MAX_QUERY_LENGTH]
    )
    return " ".join(printable.split())[:MAX_QUERY_LENGTH]


def words_of(text: str) -> list[str]:
    """The lower-case words of `text` (letters and digits; everything else separates)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def fold(text: str) -> str:
    """`text` without diacritics, as the SQLite index compares words ("café" is "cafe")."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def folded_words(text: str) -> set[str]:
    """The distinct words of `text`, lower-case and without diacritics."""
    return set(_WORD.findall(fold(unicodedata.normalize("NFC", text).lower())))


def parse(raw: str | None) -> Query:
    """Read a search box query: `#name` searches hashtags, `@name` people, anything else all."""
    text = clean(raw)
    kind = Kind.ALL
    if text[:1] == "#":
        kind, text = Kind.HASHTAGS, text[1:].strip()
    elif text[:1] == "@":
        kind, text = Kind.PEOPLE, text[1:].strip()
    if not text:
        return Query("", kind, (), _("Type something to search for."))
    if len(text) < MIN_QUERY_LENGTH:
        return Query(
            text,
            kind,
            (),
            ngettext(
                "Type at least %(count)d character to search.",
                "Type at least %(count)d characters to search.",
                MIN_QUERY_LENGTH,
            )
            % {"count": MIN_QUERY_LENGTH},
        )
    unique = dict.fromkeys(word[:MAX_WORD_LENGTH] for word in words_of(text))
    return Query(text, kind, tuple(list(unique)[:MAX_WORDS]))
