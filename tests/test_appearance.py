"""The site's look: theme and colours on every page, the contrast check, a member's own
colour mode, custom CSS without remote resources, logo and favicon, the footer, the site's
pages in Markdown, the rules, and who may change them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from tests.conftest import client_of, text_of
from tests.factories import make_user
from townsquare.accounts import staff_actions
from townsquare.accounts.models import User
from townsquare.site import actions, colours, css, state
from townsquare.site.models import Rule, SiteSettings

pytestmark = pytest.mark.django_db

THEMES_CSS = Path(__file__).parent.parent / "townsquare/web/static/townsquare/themes.css"


@pytest.fixture
def rosa() -> User:
    """The chess society's admin."""
    return make_user("rosa", role="admin")


@pytest.fixture
def ivy(rosa: User) -> User:
    """A member who may change the look and nothing else."""
    ivy = make_user("ivy")
    role = staff_actions.create_role(rosa, "Designers", ["manage_appearance"])
    return staff_actions.set_member_role(rosa, ivy, "member", role.pk)


def _look(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "theme": "meadow",
        "color_mode": "system",
        "accent_color": "",
        "background_color": "",
        "footer_md": "",
        "custom_css": "",
    }
    data.update(changes)
    return data


def _png(colour: tuple[int, int, int] = (40, 90, 160)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(out, "PNG")
    return SimpleUploadedFile("rook.png", out.getvalue(), content_type="image/png")


def _row() -> SiteSettings:
    return SiteSettings.objects.filter(pk=1).first() or SiteSettings(pk=1)


# --- colours and the contrast check -----------------------------------------------------------


def test_invalid_colours_are_form_errors_and_change_nothing(rosa: User) -> None:
    browser = client_of(rosa)
    response = browser.post(
        "/admin/appearance/look",
        _look(theme="harbour", accent_color="mossy green", background_color="#12345"),
    )
    assert response.status_code == 400
    page = text_of(response)
    assert "“mossy green” is not a colour" in page and "“#12345” is not a colour" in page
    assert _row().theme == "meadow" and _row().accent_color == ""
    assert 'data-theme="meadow"' in text_of(browser.get("/public"))


def test_colours_are_normalized_and_checked_by_the_write_layer() -> None:
    row = actions.update_settings(None, accent_color="#ABC", background_color="fafafa")
    assert (row.accent_color, row.background_color) == ("#aabbcc", "#fafafa")
    with pytest.raises(Exception, match="not a colour"):
        actions.update_settings(None, accent_color="red; } body { display: none")
    assert _row().accent_color == "#aabbcc"


def test_contrast_ratios_follow_wcag() -> None:
    assert colours.ratio_text(colours.contrast("#000000", "#ffffff")) == "21.0:1"
    assert colours.ratio_text(colours.contrast("#777777", "#ffffff")) == "4.4:1"  # 4.48: fails
    assert colours.text_on("#ffff00") == "#000000" and colours.text_on("#1f3a5f") == "#ffffff"


def test_a_low_contrast_pair_saves_with_a_warning_naming_the_ratio(rosa: User) -> None:
    browser = client_of(rosa)
    response = browser.post("/admin/appearance/look", _look(accent_color="#f5d000"), follow=True)
    page = text_of(response)
    assert response.redirect_chain == [("/admin/appearance", 302)]
    assert "Contrast of links on the background: 1.3:1, under the 4.5:1" in page
    assert _row().accent_color == "#f5d000"  # saved all the same
    # The preview shows each pair with its ratio; button text on yellow is black and readable.
    assert "1.3:1" in page and "too low" in page
    assert "button text on the accent colour" not in page.split("WCAG AA asks for")[1]


def test_a_readable_choice_saves_without_warnings(rosa: User) -> None:
    page = text_of(
        client_of(rosa).post(
            "/admin/appearance/look",
            _look(theme="ink", accent_color="#1f4e79", background_color="#ffffff"),
            follow=True,
        )
    )
    assert "The site&#x27;s look is saved." in page and "Contrast of" not in page


def test_the_built_in_themes_are_readable_and_match_their_stylesheet() -> None:
    sheet = THEMES_CSS.read_text()
    for theme, modes in colours.THEMES.items():
        for mode, palette in modes.items():
            selector = f"html[data-theme={theme}]" + ("[data-mode=dark]" if mode == "dark" else "")
            block = re.search(re.escape(selector) + r" \{([^}]*)\}", sheet)
            assert block is not None, selector
            declared = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", block.group(1)))
            assert declared == palette, selector
            for background in (palette["bg"], palette["surface"]):
                for foreground in (palette["text"], palette["muted"], palette["accent"]):
                    assert colours.contrast(foreground, background) >= colours.AA
            assert colours.contrast(palette["accent-text"], palette["accent"]) >= colours.AA
    # Ink is the high-contrast theme: its text passes AAA (7:1) in both modes.
    for palette in colours.THEMES["ink"].values():
        assert colours.contrast(palette["text"], palette["bg"]) >= 7


# --- on every page -----------------------------------------------------------------------------


def test_the_chosen_theme_and_colours_appear_on_every_page(rosa: User, fern: User) -> None:
    actions.update_settings(
        rosa, theme="harbour", accent_color="#1f5f8b", background_color="#fbfaf7"
    )
    for client, url in ((client_of(None), "/public"), (client_of(None), "/login"),
                        (client_of(fern), "/"), (client_of(fern), "/about")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        page = text_of(response)
        assert re.search(r'<html [^>]*data-theme="harbour" data-mode="system">', page), url
        assert "--accent:#1f5f8b;--accent-text:#ffffff;--bg:#fbfaf7;" in page, url
        assert "townsquare/themes" in page, url
    # Without colours of their own, only the theme's stylesheet speaks.
    actions.update_settings(rosa, accent_color="", background_color="", theme="ink")
    page = text_of(client_of(None).get("/public"))
    assert 'data-theme="ink"' in page and "--accent:" not in page


def test_the_accent_is_kept_in_dark_mode_only_where_it_is_readable(rosa: User) -> None:
    actions.update_settings(rosa, accent_color="#1f3a5f")  # dark blue: unreadable on dark
    assert "data-mode=dark" not in text_of(client_of(None).get("/public"))
    actions.update_settings(rosa, accent_color="#9ad0a0")  # light green: readable on dark
    assert "[data-mode=dark]{--accent:#9ad0a0;" in text_of(client_of(None).get("/public"))


def test_a_members_mode_wins_over_the_site_default(rosa: User, fern: User) -> None:
    actions.update_settings(rosa, color_mode="dark")
    browser = client_of(fern)
    assert 'data-mode="dark"' in text_of(browser.get("/"))
    saved = browser.post("/settings/display", {"mode": "light"})
    assert saved.status_code == 302 and saved.cookies["ts_mode"].value == "light"
    assert 'data-mode="light"' in text_of(browser.get("/"))
    assert 'data-mode="dark"' in text_of(client_of(None).get("/"))  # others: the site's
    # Back to the site's choice; a forged cookie is ignored.
    browser.post("/settings/display", {"mode": ""})
    assert 'data-mode="dark"' in text_of(browser.get("/"))
    browser.cookies["ts_mode"] = '"><script>'
    assert 'data-mode="dark"' in text_of(browser.get("/"))
    assert browser.post("/settings/display", {"mode": "sepia"}).status_code == 400


def test_a_visitor_can_choose_a_mode_too() -> None:
    visitor = client_of(None)
    visitor.post("/settings/display", {"mode": "dark"})
    assert 'data-mode="dark"' in text_of(visitor.get("/public"))


# --- custom CSS --------------------------------------------------------------------------------


def test_custom_css_is_served_and_linked_and_remote_imports_are_warned_and_left_out(
    rosa: User,
) -> None:
    browser = client_of(rosa)
    assert "/site/custom.css" not in text_of(browser.get("/public"))
    sheet = (
        "@import url(https://fonts.example.org/chess.css);\n"
        ".brand { letter-spacing: .05em; }\n"
        ".hero { background: url(https://images.example.org/board.png) no-repeat; }\n"
        ".card { background-image: url(data:image/gif;base64,R0lGODlhAQABAAAAACw=); }\n"
    )
    page = text_of(browser.post("/admin/appearance/look", _look(custom_css=sheet), follow=True))
    assert "may not load anything from other sites" in page
    assert "@import url(https://fonts.example.org/chess.css);" in page
    assert _row().custom_css == sheet.strip()  # kept as written

    link = re.search(r'href="(/site/custom\.css\?v=\d+)"', text_of(client_of(None).get("/public")))
    assert link is not None
    served = client_of(None).get(link.group(1))
    assert served.status_code == 200 and served["Content-Type"] == "text/css; charset=utf-8"
    body = served.content.decode()
    assert ".brand { letter-spacing: .05em; }" in body and "data:image/gif" in body
    assert "example.org" not in body and "@import" not in body
    again = client_of(None).get("/site/custom.css", HTTP_IF_NONE_MATCH=served["ETag"])
    assert again.status_code == 304
    assert served["Last-Modified"]


@pytest.mark.parametrize(
    "sheet",
    [
        "a { background: \\75 rl(https://tracker.example.org/p.png); }",
        "@\\69mport 'https://tracker.example.org/x.css';",
        "a { background: url('\\\\\\\\tracker.example.org/p.png'); }",
        "a { background: url(//tracker.example.org/p.png); }",
        "a { background-image: image-set('https://tracker.example.org/p.png' 1x); }",
    ],
)
def test_custom_css_never_serves_a_remote_address(sheet: str) -> None:
    served, removed, _withheld = css.cleaned(sheet)
    assert "tracker.example.org" not in served.replace("\\", "") and removed


def test_custom_css_is_limited_in_size(rosa: User) -> None:
    response = client_of(rosa).post(
        "/admin/appearance/look", _look(custom_css="a{}" * 20_000, theme="ink")
    )
    assert response.status_code == 400 and "At most 50000 characters" in text_of(response)
    assert _row().theme == "meadow"


# --- logo, favicon, footer ---------------------------------------------------------------------


def test_a_logo_that_is_not_an_image_is_a_form_error(rosa: User) -> None:
    fake = SimpleUploadedFile("rook.png", b"a pawn, not a picture", content_type="image/png")
    response = client_of(rosa).post(
        "/admin/appearance/look", _look(logo=fake, accent_color="#1f4e79")
    )
    assert response.status_code == 400
    assert "That file is not an image we can read." in text_of(response)
    assert _row().logo == "" and _row().accent_color == ""  # nothing changed
    assert "--accent:#1f4e79" not in text_of(client_of(None).get("/public"))


def test_logo_and_favicon_show_on_every_page_and_can_be_removed(rosa: User) -> None:
    actions.update_settings(rosa, name="Riverside Chess Society")
    browser = client_of(rosa)
    saved = browser.post("/admin/appearance/look", _look(logo=_png(), favicon=_png((0, 0, 0))))
    assert saved.status_code == 302
    row = _row()
    assert row.logo and row.favicon
    page = text_of(client_of(None).get("/public"))
    assert (
        f'<img class="brand-logo" src="{default_storage.url(row.logo)}" alt="Riverside Chess Society">'
        in page
    )
    assert f'<link rel="icon" href="{default_storage.url(row.favicon)}">' in page
    browser.post("/admin/appearance/look", _look(remove_logo="on", remove_favicon="on"))
    page = text_of(client_of(None).get("/public"))
    assert _row().logo == "" and "brand-logo" not in page
    assert '<link rel="icon" href="data:,">' in page


def test_the_footer_shows_the_operators_markdown_on_every_page(rosa: User, fern: User) -> None:
    footer = "Board games every **Thursday** at the library. [Say hello](mailto:hi@example.org)"
    client_of(rosa).post("/admin/appearance/look", _look(footer_md=footer))
    for client, url in ((client_of(None), "/public"), (client_of(fern), "/")):
        page = text_of(client.get(url))
        assert "Board games every <strong>Thursday</strong> at the library." in page
        assert '<a href="mailto:hi@example.org" rel="nofollow noopener">Say hello</a>' in page


# --- pages and rules ---------------------------------------------------------------------------


def test_markdown_with_script_is_sanitized_on_the_terms_page(rosa: User) -> None:
    terms = (
        "# Terms\n\nPlay fair.\n\n<script>alert('checkmate')</script>\n\n"
        "[Rules of chess](javascript:alert(1)) and <img src=x onerror=alert(2)>"
    )
    saved = client_of(rosa).post(
        "/admin/appearance/pages", {"terms_md": terms, "about_md": "", "privacy_md": ""}
    )
    assert saved.status_code == 302
    page = text_of(client_of(None).get("/site/terms"))
    assert "<h1>Terms</h1>" in page and "<p>Play fair.</p>" in page
    # Raw HTML is shown as text, never run; a javascript: address never becomes a link.
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert 'href="javascript:' not in page.lower() and "<img src=x" not in page


def test_the_about_and_privacy_pages_are_edited_on_the_appearance_page(rosa: User) -> None:
    client_of(rosa).post(
        "/admin/appearance/pages",
        {"about_md": "We meet on *Tuesdays*.", "terms_md": "", "privacy_md": "We keep little."},
    )
    assert "We meet on <em>Tuesdays</em>." in text_of(client_of(None).get("/about"))
    assert "We keep little." in text_of(client_of(None).get("/site/privacy"))


def test_rules_are_edited_one_per_row_with_an_optional_hint(rosa: User) -> None:
    browser = client_of(rosa)
    form = {
        "rules-TOTAL_FORMS": "3", "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "30",
        "rules-0-text": "Be kind to beginners", "rules-0-hint": "Everyone was new once.",
        "rules-1-text": "", "rules-1-hint": "",
        "rules-2-text": "Shake hands after a game", "rules-2-hint": "",
    }  # fmt: skip
    assert browser.post("/admin/appearance/rules", form).status_code == 302
    assert [(r.text, r.hint) for r in Rule.objects.all()] == [
        ("Be kind to beginners", "Everyone was new once."),
        ("Shake hands after a game", ""),
    ]
    page = text_of(browser.get("/admin/appearance"))
    assert 'value="Be kind to beginners"' in page
    assert "Shake hands after a game" in text_of(client_of(None).get("/site/rules"))


def test_the_rules_page_is_the_numbered_rules_and_a_markdown_text_under_them(rosa: User) -> None:
    Rule.objects.create(text="Be kind to beginners", position=1)
    text = (
        "## What this means\n\nExplain moves, do not mock them. Moderators warn first, then "
        "*limit* the account.\n\n<script>alert('check')</script> [more](javascript:alert(1))"
    )
    saved = client_of(rosa).post(
        "/admin/appearance/pages",
        {"about_md": "", "terms_md": "", "privacy_md": "", "rules_md": text},
    )
    assert saved.status_code == 302 and _row().rules_md == text
    page = text_of(client_of(None).get("/site/rules"))
    rules, explained = page.index("Be kind to beginners"), page.index("<h2>What this means</h2>")
    assert rules < explained and "then <em>limit</em> the account." in page
    assert "<script>alert" not in page and 'href="javascript:' not in page.lower()
    assert "has no written rules yet" not in page
    # The about page keeps showing the rules list only, not the rules page's text.
    assert "What this means" not in text_of(client_of(None).get("/about"))
    # A text alone (no numbered rules yet) is a rules page too.
    Rule.objects.all().delete()
    alone = text_of(client_of(None).get("/site/rules"))
    assert "<h2>What this means</h2>" in alone and "has no written rules yet" not in alone
    too_long = client_of(rosa).post("/admin/appearance/pages", {"rules_md": "x" * 50_001})
    assert too_long.status_code == 400 and _row().rules_md == text


# --- who may ----------------------------------------------------------------------------------


def test_members_without_the_permission_get_403_and_visitors_go_to_login(fern: User) -> None:
    for url in ("/admin/appearance",):
        assert client_of(fern).get(url).status_code == 403
        visitor = client_of(None).get(url)
        assert visitor.status_code == 302 and visitor["Location"].startswith("/login")
    for url in ("/admin/appearance/look", "/admin/appearance/pages", "/admin/appearance/rules"):
        assert client_of(fern).post(url, _look(theme="ink")).status_code == 403
        assert client_of(None).post(url, _look(theme="ink")).status_code == 302
    assert _row().theme == "meadow"


def test_a_designer_changes_the_look_but_not_the_rules(ivy: User) -> None:
    browser = client_of(ivy)
    page = text_of(browser.get("/admin/appearance"))
    assert "Save the look" in page and "Save the rules" not in page
    assert browser.post("/admin/appearance/look", _look(theme="ink")).status_code == 302
    assert _row().theme == "ink"
    rules = {"rules-TOTAL_FORMS": "1", "rules-INITIAL_FORMS": "0", "rules-0-text": "No clocks"}
    assert browser.post("/admin/appearance/rules", rules).status_code == 403
    assert not Rule.objects.exists()


# --- cost -------------------------------------------------------------------------------------


def _queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_look_costs_no_query_per_page(switches_read_once: None, rosa: User) -> None:
    visitor, member = client_of(None), client_of(rosa)
    member.get("/")  # the first signed-in request also records the session's activity
    plain = (_queries(visitor, "/"), _queries(member, "/"))
    actions.update_settings(
        rosa, theme="harbour", color_mode="dark", accent_color="#1f4e79",
        background_color="#fbfaf7", footer_md="Chess on **Thursdays**", custom_css="a{}",
    )  # fmt: skip
    actions.set_image(rosa, "logo", _png())
    state.current()  # read once, as each process does every few seconds
    member.cookies["ts_mode"] = "light"
    assert "--bg:#fbfaf7" in text_of(visitor.get("/"))
    assert (_queries(visitor, "/"), _queries(member, "/")) == plain
