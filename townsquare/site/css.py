"""The operator's custom CSS: kept as written, served without anything that would make
members' browsers fetch from another site.

A stylesheet can load remote resources through `@import` and `url(...)` (and strings that
`image-set()` or `src()` read as addresses). Serving it from our own address does not stop
that: resources a stylesheet loads follow the *page's* Content-Security-Policy, not the
stylesheet response's, so a header on `/site/custom.css` would protect nothing. So when the
CSS is served, every `@import` rule is removed and every remote address (any scheme but
`data:`, or a `//host` address) is replaced; the operator is warned on saving. CSS escapes
could spell those words in a way the removal does not see (`\\75 rl(`); a final check on the
unescaped text catches that, and then none of the custom CSS is served.
"""

from __future__ import annotations

import functools
import re

MAX_LENGTH = 50_000

_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_STRING = r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"
_IMPORT = re.compile(rf"@import\b(?:{_STRING}|[^;\"'])*;?", re.I | re.S)
_URL = re.compile(rf"\burl\(\s*(?:({_STRING})|([^)\"'\s]*))\s*\)", re.I | re.S)
_QUOTED = re.compile(_STRING, re.S)
_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\r\n\f]?|(\r\n|[\n\r\f])|(.))", re.S)
_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*:", re.I)
# Schemes a browser fetches from even without "//" (http:host is http://host).
_FETCHED = re.compile(r"(?:https?|ftp|wss?|file):", re.I)
_BLANKS = str.maketrans("", "", "\t\n\r")
_CONTROLS = "".join(chr(code) for code in range(0x21))  # C0 controls and the space
_HIDDEN_URL = re.compile(r"url\(\s*[\"']?([^)]*)", re.I)
_QUOTE = re.compile(r"[\"']")


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        if match.group(2):
            return ""  # an escaped newline continues a string
        return match.group(3)

    return _ESCAPE.sub(one, text)


def _address(text: str) -> str:
    """An address as the URL parser reads it: tabs and newlines ignored, spaces and controls
    around it trimmed."""
    return text.translate(_BLANKS).strip(_CONTROLS)


def _protocol_relative(value: str) -> bool:
    return len(value) >= 2 and value[0] in "/\\" and value[1] in "/\\"


def is_remote(address: str) -> bool:
    """Whether a browser would fetch the url() value `address` (escapes undone) from outside
    this site: any scheme but data:, or `//host` (a backslash counts as a slash)."""
    value = _address(address)
    if value[:5].lower() == "data:":
        return False
    return bool(_SCHEME.match(value)) or _protocol_relative(value)


def _fetched_string(text: str) -> bool:
    """Whether a CSS string (escapes undone) is a remote address in an `image-set()`: one
    with a scheme browsers fetch, or `//host`. Other strings ("Tip: water daily") stay."""
    value = _address(text)
    return bool(_FETCHED.match(value)) or _protocol_relative(value)


def _strip(css: str, removed: list[str]) -> str:
    """`css` without comments, @import rules and remote addresses (noted in `removed`)."""
    css = _COMMENT.sub("", css)

    def drop_import(match: re.Match[str]) -> str:
        removed.append(match.group(0).strip())
        return ""

    css = _IMPORT.sub(drop_import, css)

    def check_url(match: re.Match[str]) -> str:
        quoted, bare = match.group(1), match.group(2)
        value = _unescape(quoted[1:-1]) if quoted else _unescape(bare or "")
        if is_remote(value):
            removed.append(match.group(0))
            return "none"
        return match.group(0)

    css = _URL.sub(check_url, css)

    def check_string(match: re.Match[str]) -> str:
        if _fetched_string(_unescape(match.group(0)[1:-1])):
            removed.append(match.group(0))
            return '""'
        return match.group(0)

    return _QUOTED.sub(check_string, css)


def _hidden(served: str) -> list[str]:
    """Remote references still in `served` once every escape is undone: spelled with
    escapes (`@\\69mport`, `\\75rl(`), so the removal did not see them. Deliberately wary: a
    false alarm withholds the custom CSS (the operator is told), a miss would load it."""
    plain = _unescape(served)
    found = [match.group(0) for match in re.finditer(r"@import", plain, re.I)]
    for match in _HIDDEN_URL.finditer(plain):
        if is_remote(match.group(1)):
            found.append(match.group(0))
    for match in _QUOTE.finditer(plain):
        if _fetched_string(plain[match.end() : match.end() + 20]):
            found.append(plain[match.start() : match.start() + 40])
    return found


@functools.lru_cache(maxsize=8)
def cleaned(css: str) -> tuple[str, tuple[str, ...], bool]:
    """(the CSS to serve, what was taken out of it, whether all of it is withheld)."""
    removed: list[str] = []
    served = _strip(css, removed)
    hidden = _hidden(served)
    if hidden:
        return "", tuple(removed + hidden), True
    return served, tuple(removed), False


def remote_references(css: str) -> list[str]:
    """What in `css` points outside the site (and will not be served), shortened for people."""
    found = cleaned(css)[1]
    return [item if len(item) <= 80 else item[:77] + "…" for item in found]
