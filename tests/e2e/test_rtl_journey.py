"""Right to left, in a real browser: a member's home page in English, then in Arabic chosen
from the footer's language picker. The page says which way it reads (html lang and dir), and
the layout mirrors: the site's name sits at the left of the header in English and at the right
in Arabic, the main menu runs the other way, and a box's coloured edge is on the side the text
starts from. No page, nor a visitor's sign-up form with its off-screen honeypot box, is wider
than the screen."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
WIDTH = 1280
DESKTOP: dict[str, Any] = {"viewport": {"width": WIDTH, "height": 800}}


def _box(page: Page, selector: str) -> Any:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the page"
    return box


def _first_row_of_menu(page: Page) -> list[tuple[str, float]]:
    """The main menu's entries on its first line, in the page's order: (text, x of centre)."""
    items: list[dict[str, Any]] = page.locator("nav.nav > ul > li").evaluate_all(
        """items => items.map(li => {
            const r = li.getBoundingClientRect();
            return {text: li.textContent.trim(), x: r.left + r.width / 2, top: Math.round(r.top)};
        })"""
    )
    assert len(items) > 3, items
    return [(item["text"], item["x"]) for item in items if item["top"] == items[0]["top"]]


def _not_wider_than_the_screen(page: Page) -> None:
    sizes = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], f"{page.url} scrolls sideways: {sizes}"


def _post(page: Page, text: str) -> None:
    """Post from the home page's composer (a plain form post: back home with "Posted.")."""
    page.locator("#id_text").fill(text)
    page.locator("form.composer button[type=submit]").click()
    page.locator(".messages .message").first.wait_for()
    page.locator("article", has_text=text).first.wait_for()


def _centre(box: dict[str, float]) -> float:
    return box["x"] + box["width"] / 2


def _layout(page: Page, lang: str, direction: str) -> dict[str, Any]:
    """What the checks compare, after checking the page says its language and direction."""
    assert page.locator(f"html[lang={lang}][dir={direction}]").count() == 1
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    edge = page.locator(".messages .message").first.evaluate(
        "m => [getComputedStyle(m).borderLeftWidth, getComputedStyle(m).borderRightWidth]"
    )
    _not_wider_than_the_screen(page)
    return {
        "nav": _box(page, "nav.nav"),
        "brand": _box(page, "nav.nav .brand"),
        "menu": _first_row_of_menu(page),
        "edge": edge,
        "author": _box(page, "article .post-head .who"),
        "when": _box(page, "article .post-head .when"),
    }


def test_a_members_home_page_mirrors_in_arabic(browser: Any, server: Server) -> None:
    from playwright.sync_api import expect

    name = f"rtl{uuid.uuid4().hex[:8]}"
    server.create_member(name, f"{name}@example.org", PASSWORD)
    context = browser.new_context(base_url=server.url, locale="en-GB", **DESKTOP)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username or email").fill(name)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("Password", exact=True).press("Enter")
        expect(page.get_by_role("navigation", name="Main")).to_contain_text("Log out")

        _post(page, "Sowing broad beans today")
        english = _layout(page, "en", "ltr")
        # The footer's picker: the member's language, and back to the same page, in Arabic.
        page.locator("#footer-language").select_option("ar")
        page.locator("form.language-picker button[type=submit]").click()
        page.wait_for_selector("html[lang=ar][dir=rtl]")
        _post(page, "نزرع الفول اليوم")
        arabic = _layout(page, "ar", "rtl")

        # The site's name: at the left of the header in English, at the right in Arabic, and
        # at the edge of the menu bar the text starts from.
        for layout, side in ((english, "left"), (arabic, "right")):
            brand, nav = layout["brand"], layout["nav"]
            assert (_centre(brand) < WIDTH / 2) == (side == "left"), (side, brand)
            if side == "left":
                assert brand["x"] - nav["x"] < 40, (brand, nav)
            else:
                assert (nav["x"] + nav["width"]) - (brand["x"] + brand["width"]) < 40, (brand, nav)

        # The menu: the same entries in the same order of the page, running left to right in
        # English and right to left in Arabic.
        for layout, growing in ((english, True), (arabic, False)):
            xs = [x for __, x in layout["menu"]]
            assert len(xs) >= 2, layout["menu"]
            assert xs == sorted(xs, reverse=not growing), layout["menu"]

        # A post's author at the side the text starts from, its time at the other side.
        for layout, ltr in ((english, True), (arabic, False)):
            assert (_centre(layout["author"]) < _centre(layout["when"])) == ltr, layout

        # The "Posted." box's coloured edge (border-inline-start) is on that side too.
        assert english["edge"] == ["4px", "0px"], english["edge"]
        assert arabic["edge"] == ["0px", "4px"], arabic["edge"]

        # A visitor's sign-up form in Arabic: its honeypot box stays off-screen without
        # making the page scroll sideways (it was 10,000px to the left, where an Arabic page
        # scrolls to).
        visitor = browser.new_context(base_url=server.url, locale="ar", **DESKTOP)
        try:
            form = visitor.new_page()
            form.goto("/signup")
            assert form.locator("html[lang=ar][dir=rtl]").count() == 1
            _not_wider_than_the_screen(form)
            form.goto("/about")
            _not_wider_than_the_screen(form)
        finally:
            visitor.close()
    finally:
        context.close()
