"""Colours of the site's look: the built-in themes' palettes, the operator's accent and
background colours (validated as `#rrggbb`), and WCAG 2.x contrast between them.

Pure functions: nothing here reads the database. The palettes are the same values as
`web/static/townsquare/themes.css` (a test keeps the two in step); the operator's colours
replace the chosen theme's light palette, and the accent is also used in dark mode where it
is readable on the dark background.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

AA = 4.5  # WCAG 2.x level AA for body text
BLACK, WHITE = "#000000", "#ffffff"

_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

# Each theme's two palettes. `accent-text` is the text on accent buttons.
THEMES: dict[str, dict[str, dict[str, str]]] = {
    "meadow": {
        "light": {"bg": "#f6f4ee", "surface": "#fffdf8", "text": "#1f2a1f", "muted": "#55604f",
                  "line": "#dcd8c8", "accent": "#2f6b3a", "accent-text": "#ffffff"},
        "dark": {"bg": "#141a15", "surface": "#1c241d", "text": "#e8efe6", "muted": "#a3b0a1",
                 "line": "#2f3a30", "accent": "#82c98f", "accent-text": "#0c140d"},
    },
    "harbour": {
        "light": {"bg": "#f1f4f8", "surface": "#ffffff", "text": "#1b2433", "muted": "#556071",
                  "line": "#d8dee8", "accent": "#22609e", "accent-text": "#ffffff"},
        "dark": {"bg": "#121821", "surface": "#1b232e", "text": "#e6ebf2", "muted": "#a0abba",
                 "line": "#2c3644", "accent": "#6fb0f0", "accent-text": "#0b1119"},
    },
    "ink": {
        "light": {"bg": "#ffffff", "surface": "#ffffff", "text": "#000000", "muted": "#333333",
                  "line": "#000000", "accent": "#0b3d91", "accent-text": "#ffffff"},
        "dark": {"bg": "#000000", "surface": "#000000", "text": "#ffffff", "muted": "#d6d6d6",
                 "line": "#ffffff", "accent": "#ffe066", "accent-text": "#000000"},
    },
}  # fmt: skip
DEFAULT_THEME = "meadow"


def parse(value: Any) -> str:
    """`value` as a lower-case `#rrggbb` ("" for an empty value); `#rgb` and a missing "#"
    are accepted. Anything else is a ValidationError."""
    text = str(value or "").strip()
    if not text:
        return ""
    match = _HEX.fullmatch(text)
    if match is None:
        raise ValidationError(
            _("“%(value)s” is not a colour. Write it as # and six hex digits, like #2f6b3a.")
            % {"value": text[:40]},
            code="colour",
        )
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return "#" + digits


def is_colour(value: str) -> bool:
    try:
        return bool(parse(value)) and parse(value) == value
    except ValidationError:
        return False


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of a `#rrggbb` colour (0 black to 1 white)."""
    digits = parse(colour)[1:]
    channels = []
    for start in (0, 2, 4):
        c = int(digits[start : start + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ratio_text(ratio: float) -> str:
    """ "4.4:1" (the decimal mark of the active language): rounded down, so a pair just under
    a threshold never reads as passing."""
    return f"{number_format(math.floor(ratio * 10) / 10, decimal_pos=1)}:1"


def text_on(background: str) -> str:
    """Black or white, whichever contrasts more with `background`."""
    return BLACK if contrast(background, BLACK) >= contrast(background, WHITE) else WHITE


def palette(theme: str, mode: str = "light") -> dict[str, str]:
    return dict(THEMES.get(theme, THEMES[DEFAULT_THEME])[mode])


def light_palette(theme: str, accent: str = "", background: str = "") -> dict[str, str]:
    """The light palette the site shows: the theme's, with the operator's colours."""
    colours = palette(theme, "light")
    if accent:
        colours["accent"], colours["accent-text"] = accent, text_on(accent)
    if background:
        colours["bg"] = background
    return colours


def dark_accent(theme: str, accent: str) -> str:
    """The operator's accent in dark mode: used when it is readable on the theme's dark
    background, else "" (the theme's own dark accent stays)."""
    if accent and contrast(accent, palette(theme, "dark")["bg"]) >= AA:
        return accent
    return ""


@dataclass(frozen=True)
class Pair:
    """Two colours shown together, and whether they are readable (WCAG AA)."""

    label: str
    foreground: str
    background: str
    ratio: float

    @property
    def passes(self) -> bool:
        return self.ratio >= AA

    @property
    def ratio_text(self) -> str:
        return ratio_text(self.ratio)


PAIR_LABELS = {
    "text": gettext_lazy("text on the background"),
    "links": gettext_lazy("links on the background"),
    "buttons": gettext_lazy("button text on the accent colour"),
}


def pairs(theme: str, accent: str = "", background: str = "") -> list[Pair]:
    """The pairs the contrast check looks at, in the light palette the operator changes."""
    colours = light_palette(theme, accent, background)
    wanted = (
        ("text", colours["text"], colours["bg"]),
        ("links", colours["accent"], colours["bg"]),
        ("buttons", colours["accent-text"], colours["accent"]),
    )
    return [Pair(str(PAIR_LABELS[key]), fg, bg, contrast(fg, bg)) for key, fg, bg in wanted]


def warnings(theme: str, accent: str = "", background: str = "") -> list[str]:
    """One sentence per pair under WCAG AA (4.5:1), naming the ratio; none when all pass."""
    return [
        _("Contrast of %(pair)s: %(ratio)s, under the %(minimum)s that WCAG AA asks for.")
        % {"pair": pair.label, "ratio": pair.ratio_text, "minimum": ratio_text(AA)}
        for pair in pairs(theme, accent, background)
        if not pair.passes
    ]


def theme_style(theme: str, accent: str = "", background: str = "") -> str:
    """The CSS custom properties that put the operator's colours over the theme's ("" when
    there are none). Only validated `#rrggbb` values reach it (anything else is left out)."""
    accent = accent if is_colour(accent) else ""
    background = background if is_colour(background) else ""
    if not accent and not background:
        return ""
    light = []
    if accent:
        light.append(f"--accent:{accent};--accent-text:{text_on(accent)};")
    if background:
        light.append(f"--bg:{background};")
    light_rules = "".join(light)
    css = [
        f"html[data-theme][data-mode=light]{{{light_rules}}}",
        "@media not all and (prefers-color-scheme: dark){"
        f"html[data-theme][data-mode=system]{{{light_rules}}}}}",
    ]
    dark = dark_accent(theme, accent)
    if dark:
        dark_rules = f"--accent:{dark};--accent-text:{text_on(dark)};"
        css.append(f"html[data-theme][data-mode=dark]{{{dark_rules}}}")
        css.append(
            "@media (prefers-color-scheme: dark){"
            f"html[data-theme][data-mode=system]{{{dark_rules}}}}}"
        )
    return "".join(css)
