"""A newcomer's first visit, in a real browser against a real `townsquare serve`.

Sign up through the form, confirm the address from the mail folder, log in, fill in the
profile, post, follow a second member and read their posts in the home feed, live (htmx
polling) without a reload. Once at a phone-sized and once at a desktop viewport, then the
core actions again with JavaScript disabled.

Elements are found by their label or role, the way assistive technology finds them, so a
control without a label fails the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
FANOUT_TIMEOUT = 10.0  # the in-process worker's fan-out, seen by reloading
LIVE_TIMEOUT_MS = 20_000  # the home feed polls every 15 s
CONFIRM_LINK = re.compile(r"https?://\S+/confirm/\S+")


class Watch:
    """Collects what should never happen in this journey: error answers and JavaScript errors.

    Every form here is filled in correctly, so any 4xx or 5xx is a bug. /favicon.ico is the
    exception: browsers ask for it on their own, and the site has none.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.problems.append(f"JS error: {error}"))
        page.on(
            "response",
            lambda response: (
                self.problems.append(f"HTTP {response.status} for {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico")
                else None
            ),
        )
        page.on(
            "console",
            lambda msg: (
                self.problems.append(f"console error: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        return page

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def new_context(browser: Browser, server: Server, size: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=server.url, **VIEWPORTS[size], **options)
    context.set_default_timeout(10_000)
    return context


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def home_feed(page: Page) -> Locator:
    return page.get_by_role("region", name="Home feed")


def post_in(feed: Locator, text: str) -> Locator:
    return feed.get_by_role("article").filter(has_text=text)


def log_in(page: Page, login: str, password: str) -> None:
    from playwright.sync_api import expect

    if not page.url.rstrip("/").endswith("/login"):
        page.goto("/login")
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password", exact=True).press("Enter")  # implicit submission
    expect(page.get_by_label("What's happening?")).to_be_visible()
    expect(main_nav(page).get_by_role("button", name="Log out")).to_be_visible()


def post_with_keyboard(page: Page, text: str) -> None:
    """Write a post on the home page and send it from the keyboard: Tab past the composer's
    extras (content warning, media, poll: closed, one stop each) to the audience, then Post."""
    from playwright.sync_api import expect

    page.goto("/")
    box = page.get_by_label("What's happening?")
    box.fill(text)
    box.press("Tab")
    for extra in ("Content warning", "Photos or video", "Poll"):
        expect(page.locator("summary", has_text=extra)).to_be_focused()
        page.keyboard.press("Tab")
    expect(page.get_by_label("Who can see this")).to_be_focused()
    page.keyboard.press("Tab")
    send = page.get_by_role("button", name="Post", exact=True)
    expect(send).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Posted.")
    expect(page.get_by_role("article").filter(has_text=text)).to_be_visible()


def wait_in_home_feed(page: Page, text: str) -> None:
    """Reload the home feed until `text` shows up (fan-out runs in the server's worker)."""

    def shown() -> bool:
        page.goto("/")
        return post_in(home_feed(page), text).count() > 0

    wait_until(shown, timeout=FANOUT_TIMEOUT, interval=0.3, what=f"{text!r} in the home feed")


def assert_no_horizontal_overflow(page: Page) -> None:
    """Nothing sticks out sideways: the page never scrolls horizontally."""
    overflow = page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            const wide = [...document.querySelectorAll('body *')]
                .filter(el => el.getBoundingClientRect().right > width + 1)
                .slice(0, 5)
                .map(el => `${el.tagName.toLowerCase()}.${el.className} right=${
                    Math.round(el.getBoundingClientRect().right)}`);
            return {scroll: document.documentElement.scrollWidth, width, wide};
        }"""
    )
    assert overflow["scroll"] <= overflow["width"], f"{page.url} overflows sideways: {overflow}"


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_newcomer_journey(browser: Browser, server: Server, screenshots: Path, size: str) -> None:
    from playwright.sync_api import expect

    watch = Watch()
    username = f"newcomer_{size}"
    address = f"newcomer-{size}@example.org"
    other = f"other_{size}"

    context = new_context(browser, server, size)
    other_context = new_context(browser, server, size)
    try:
        page = watch.attach(context.new_page())

        # The landing page, and the skip link is the first thing the keyboard reaches.
        page.goto("/")
        expect(page.get_by_role("heading", name="Welcome to Townsquare")).to_be_visible()
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        main_nav(page).get_by_role("link", name="Sign up").click()

        # Sign up through the form.
        expect(page.get_by_role("heading", name="Join Townsquare")).to_be_visible()
        page.get_by_label("Username", exact=True).fill(username)
        page.get_by_label("Email", exact=True).fill(address)
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_label("I accept the site's rules, terms and privacy policy.").check()
        page.get_by_role("button", name="Sign up").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        expect(page.get_by_text(address)).to_be_visible()

        # The confirmation email lands in <data dir>/mail (sent by the in-process worker).
        bodies = wait_until(lambda: server.mail_to(address), timeout=10, what=f"mail to {address}")
        match = CONFIRM_LINK.search(bodies[-1])
        assert match, f"no confirmation link in:\n{bodies[-1]}"
        link = match.group(0)
        assert link.startswith(server.url + "/confirm/"), link

        # Open the link: confirmed, on to the log-in page.
        page.goto(link)
        expect(page.get_by_role("status")).to_contain_text("your email address is confirmed")
        log_in(page, username, PASSWORD)

        # Fill in the profile.
        main_nav(page).get_by_role("link", name="Settings").click()
        expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
        display_name = f"Newcomer on {size}"
        bio = f"New in town, writing from a {size}. I like the Saturday market."
        page.get_by_label("Display name").fill(display_name)
        page.get_by_label("Bio", exact=True).fill(bio)
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
        expect(page.get_by_label("Display name")).to_have_value(display_name)
        main_nav(page).get_by_role("link", name="Profile").click()
        expect(page.get_by_role("heading", name=display_name, level=1)).to_be_visible()
        expect(page.get_by_text(bio)).to_be_visible()

        # Post something; it is in the author's own home feed.
        first_post = f"Hello everyone, {username} here!"
        post_with_keyboard(page, first_post)
        wait_in_home_feed(page, first_post)

        # A second member, created by the operator, logs in and posts.
        server.create_member(other, f"{other}@example.org", PASSWORD)
        other_page = watch.attach(other_context.new_page())
        log_in(other_page, other, PASSWORD)
        other_post = f"Lost cat near the library, ask {other}"
        post_with_keyboard(other_page, other_post)

        # The newcomer follows them from their profile page (with the keyboard).
        page.goto(f"/@{other}")
        expect(page.get_by_role("heading", name=other, level=1)).to_be_visible()
        follow = page.get_by_role("button", name="Follow", exact=True)
        follow.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(f"You follow {other} now.")
        expect(page.get_by_role("button", name="Unfollow")).to_be_visible()
        expect(page.get_by_role("link", name="1 follower")).to_be_visible()

        # Their earlier post reaches the newcomer's home feed (back-fill job).
        wait_in_home_feed(page, other_post)
        feed = home_feed(page)
        expect(post_in(feed, other_post)).to_contain_text(f"@{other}")
        expect(post_in(feed, first_post)).to_be_visible()

        # A new post of theirs appears on the open home page without a reload (htmx poll).
        page.evaluate("window.__notReloaded = true")
        live_post = f"Market moved to the square today, says {other}"
        post_with_keyboard(other_page, live_post)
        expect(post_in(feed, live_post)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        assert page.evaluate("window.__notReloaded === true"), "the page reloaded"
        expect(feed.get_by_role("article").first).to_contain_text(live_post)
        expect(post_in(feed, live_post)).to_have_count(1)

        assert_no_horizontal_overflow(page)
        page.screenshot(path=screenshots / f"home-{size}.png", full_page=True)
        page.goto(f"/@{username}")
        assert_no_horizontal_overflow(page)
        page.screenshot(path=screenshots / f"profile-{size}.png", full_page=True)
        watch.check()
    finally:
        other_context.close()
        context.close()


def test_core_actions_without_javascript(browser: Browser, server: Server) -> None:
    """Log in, post, follow, read the home feed and log out with JavaScript off."""
    from playwright.sync_api import expect

    watch = Watch()
    username, author = "plain_reader", "plain_author"
    server.create_member(username, "plain-reader@example.org", PASSWORD)
    server.create_member(author, "plain-author@example.org", PASSWORD)
    context = new_context(browser, server, "phone", java_script_enabled=False)
    author_context = new_context(browser, server, "desktop", java_script_enabled=False)
    try:
        author_page = watch.attach(author_context.new_page())
        log_in(author_page, "plain-author@example.org", PASSWORD)  # by email, too
        author_post = "Posted without any JavaScript at all"
        post_with_keyboard(author_page, author_post)

        page = watch.attach(context.new_page())
        page.goto("/")
        main_nav(page).get_by_role("link", name="Log in").click()
        log_in(page, username, PASSWORD)
        own_post = "Plain HTML forms still work"
        post_with_keyboard(page, own_post)

        page.goto(f"/@{author}")
        page.get_by_role("button", name="Follow", exact=True).click()
        expect(page.get_by_role("status")).to_contain_text(f"You follow {author} now.")
        wait_in_home_feed(page, author_post)
        expect(post_in(home_feed(page), own_post)).to_be_visible()

        main_nav(page).get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", name="Welcome to Townsquare")).to_be_visible()
        watch.check()
    finally:
        author_context.close()
        context.close()
