"""The shipped CSS mirrors for right-to-left languages (Arabic: <html dir="rtl">).

Every declaration that names a physical side (margin-left, padding-right, border-left-color,
left:/right: offsets, text-align: left, float: right, border-top-left-radius...) or gives the
two sides different values in a shorthand (margin: 0 1rem 0 0) stays on that side in Arabic,
where it should have changed. Such a declaration fails here unless a comment right beside it
says why it must not mirror: `/* rtl-physical: the reason */`. The same goes for the style
attributes written in the templates. tests/e2e/test_rtl_journey.py checks the layout itself in
a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "townsquare"
ALLOW = re.compile(r"rtl-physical:\s*\S")

# A physical side in the property's name, and the logical property to use instead.
SIDED: dict[str, str] = {
    "margin-left": "margin-inline-start",
    "margin-right": "margin-inline-end",
    "padding-left": "padding-inline-start",
    "padding-right": "padding-inline-end",
    "border-left": "border-inline-start",
    "border-right": "border-inline-end",
    "border-left-color": "border-inline-start-color",
    "border-right-color": "border-inline-end-color",
    "border-left-width": "border-inline-start-width",
    "border-right-width": "border-inline-end-width",
    "border-left-style": "border-inline-start-style",
    "border-right-style": "border-inline-end-style",
    "left": "inset-inline-start",
    "right": "inset-inline-end",
    "border-top-left-radius": "border-start-start-radius",
    "border-top-right-radius": "border-start-end-radius",
    "border-bottom-left-radius": "border-end-start-radius",
    "border-bottom-right-radius": "border-end-end-radius",
    "scroll-margin-left": "scroll-margin-inline-start",
    "scroll-margin-right": "scroll-margin-inline-end",
    "scroll-padding-left": "scroll-padding-inline-start",
    "scroll-padding-right": "scroll-padding-inline-end",
}
# A physical side as the value: `left`/`right` there mean "start"/"end" in a left-to-right page.
SIDE_VALUES: dict[str, str] = {
    "text-align": "start / end",
    "text-align-last": "start / end",
    "float": "inline-start / inline-end",
    "clear": "inline-start / inline-end",
    "justify-content": "start / end",
    "justify-items": "start / end",
    "justify-self": "start / end",
    "background-position": "a percentage, or a [dir=rtl] rule",
    "background-position-x": "a percentage, or a [dir=rtl] rule",
}
# Shorthands whose four values are top, right, bottom, left: lopsided when right != left.
FOUR_SIDES = {
    "margin", "padding", "inset", "border-width", "border-style", "border-color",
    "scroll-margin", "scroll-padding",
}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    declaration: str
    advice: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.declaration} (use {self.advice})"


def _values(value: str) -> list[str]:
    """A value's space-separated parts, keeping calc(...) and var(...) whole."""
    parts, depth, current = [], 0, ""
    for char in value:
        depth += char == "("
        depth -= char == ")"
        if char.isspace() and depth == 0:
            if current:
                parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts


def _corners(value: str) -> list[str]:
    """border-radius's horizontal radii by corner: top-left, top-right, bottom-right,
    bottom-left."""
    parts = _values(value.split("/")[0])
    if len(parts) == 1:
        return parts * 4
    if len(parts) == 2:
        return [parts[0], parts[1], parts[0], parts[1]]
    if len(parts) == 3:
        return [parts[0], parts[1], parts[2], parts[1]]
    return parts[:4]


def physical(prop: str, value: str) -> str | None:
    """What to use instead, when `prop: value` names a physical side; None when it mirrors."""
    prop, value = prop.strip().lower(), " ".join(value.lower().replace("!important", "").split())
    if prop.startswith("--"):
        return None
    if prop in SIDED:
        return SIDED[prop]
    if prop in SIDE_VALUES and re.search(r"\b(left|right)\b", value):
        return SIDE_VALUES[prop]
    if prop in FOUR_SIDES:
        parts = _values(value)
        if len(parts) == 4 and parts[1] != parts[3]:
            return f"{prop}-block / {prop}-inline-start / {prop}-inline-end"
    if prop == "border-radius":
        tl, tr, br, bl = (_corners(value) + ["", "", "", ""])[:4]
        if tl != tr or br != bl:
            return "border-start-start-radius and the other logical corners"
    return None


def _blank(match: re.Match[str]) -> str:
    """The same length, newlines kept: offsets and line numbers stay right."""
    return re.sub(r"[^\n]", " ", match.group(0))


def check_css(text: str, path: str, first_line: int = 1, *, inline: bool = False) -> list[Finding]:
    """Every physical declaration in a stylesheet (or, `inline`, a style attribute's
    declarations) that has no `rtl-physical:` comment right before or right after it."""
    comments = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"/\*.*?\*/", text, re.S)]
    masked = re.sub(r"/\*.*?\*/", _blank, text, flags=re.S)
    masked = re.sub(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", _blank, masked)
    findings = []
    depth = 1 if inline else 0
    start = 0
    for match in re.finditer(r"[{};]|\Z", masked):
        chunk, end = masked[start : match.start()], match.start()
        if match.group(0) != "{" and depth > 0 and ":" in chunk:
            prop, __, value = chunk.partition(":")
            advice = physical(prop, text[start + len(prop) + 1 : end])
            offset = start + len(chunk) - len(chunk.lstrip())
            if advice is not None and not _allowed(comments, masked, offset, end):
                declaration = " ".join(text[offset:end].split())
                line = first_line + text.count("\n", 0, offset)
                findings.append(Finding(path, line, declaration, advice))
        if match.group(0) == "{":
            depth += 1
        elif match.group(0) == "}":
            depth -= 1
        start = match.end()
    return findings


def _allowed(comments: list[tuple[int, int, str]], masked: str, start: int, end: int) -> bool:
    """An `rtl-physical:` comment with a reason, with nothing but blanks between it and the
    declaration: before it, or after it (past its `;` or `}`) on the same line."""
    for begin, finish, comment in comments:
        if not ALLOW.search(comment[2:-2]):
            continue
        if finish <= start and not masked[finish:start].strip():
            return True
        if begin >= end and re.fullmatch(r"[ \t]*;?[ \t]*\}?[ \t]*", masked[end:begin]):
            return True
    return False


def shipped_stylesheets() -> list[Path]:
    return sorted(PACKAGE.rglob("*.css"))


def template_styles() -> list[tuple[Path, int, str]]:
    """The style="..." attributes of the templates: (file, line, declarations)."""
    found = []
    for path in sorted(PACKAGE.rglob("templates/**/*.html")):
        text = path.read_text()
        for match in re.finditer(r"\bstyle=\"([^\"]*)\"", text):
            found.append((path, text.count("\n", 0, match.start(1)) + 1, match.group(1)))
    return found


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE.parent))


def test_the_shipped_css_mirrors_in_right_to_left_pages() -> None:
    sheets = shipped_stylesheets()
    assert {"site.css", "themes.css", "events.css"} <= {path.name for path in sheets}
    findings = [finding for path in sheets for finding in check_css(path.read_text(), _name(path))]
    assert not findings, (
        "physical-direction CSS that does not mirror for Arabic (or say why with "
        "/* rtl-physical: the reason */ beside it):\n" + "\n".join(map(str, findings))
    )


def test_the_templates_style_attributes_mirror_too() -> None:
    styles = template_styles()
    assert styles  # the walk found the templates
    findings = [
        finding
        for path, line, text in styles
        for finding in check_css(text, _name(path), line, inline=True)
    ]
    assert not findings, "\n".join(map(str, findings))


SAMPLE = """/* a sample */
.a { margin-left: 1rem; padding: 0 1rem; }
.b { text-align: right; float: left; border-right-color: red; }
@media (min-width: 700px) {
  .c:hover { left: 0; inset-inline-start: 0; }
  .d { margin: 0 1rem 0 0; border-radius: 8px 0 0 8px; }
}
.e { border-radius: 8px 8px 0 0; margin: 0 auto 1rem; text-align: start; content: "left: 0;"; }
.f { right: 0; /* rtl-physical: the video's own controls */ }
.g { /* rtl-physical: a shadow from the light */ border-left: 1px solid; }
.h { border-top-left-radius: 4px; --left: 3px; background-position: left top; }
.i { padding-right: 1rem; } /* a comment without the word */
.j { padding-left: 0; /* rtl-physical: */ }
.k { float: right } /* rtl-physical: a picture that stays put */
.l { /* rtl-physical: for the rule below only */ } .m { margin-right: 0; }
"""


def test_the_checker_names_file_line_and_property_of_each_kind() -> None:
    found = [(f.line, f.declaration) for f in check_css(SAMPLE, "sample.css")]
    assert found == [
        (2, "margin-left: 1rem"),
        (3, "text-align: right"),
        (3, "float: left"),
        (3, "border-right-color: red"),
        (5, "left: 0"),
        (6, "margin: 0 1rem 0 0"),
        (6, "border-radius: 8px 0 0 8px"),
        (11, "border-top-left-radius: 4px"),
        (11, "background-position: left top"),
        (12, "padding-right: 1rem"),
        (13, "padding-left: 0"),  # a marker without a reason does not count
        (15, "margin-right: 0"),
    ]
    message = str(check_css(SAMPLE, "sample.css")[0])
    assert message == "sample.css:2: margin-left: 1rem (use margin-inline-start)"
    inline = check_css("position:absolute;left:-10000px;top:auto", "x.html", 7, inline=True)
    assert [(f.line, f.declaration) for f in inline] == [(7, "left:-10000px")]


@pytest.mark.parametrize(
    ("value", "mirrors"),
    [("8px", True), ("8px 0", False), ("8px 8px", True), ("8px 0 8px", False),
     ("4px 4px 0", False), ("8px 8px 0 0", True), ("0 8px 8px 0", False),
     ("var(--r) var(--r) 0 0", True), ("50% / 10%", True)],
)  # fmt: skip
def test_border_radius_mirrors_only_when_left_and_right_match(value: str, mirrors: bool) -> None:
    assert (physical("border-radius", value) is None) == mirrors
