"""Direct messages in a real browser against a real `townsquare serve`: Rowan, on a desktop,
writes to Hazel from her profile; Hazel, on a phone-sized screen, finds the message request,
accepts it and answers; Rowan sees the answer and that his message was seen. Pages must fit the
phone's width (nothing wider than the screen)."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_member_journey import Watch, log_in, main_nav

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = pytest.mark.e2e

PASSWORD = "a shed full of seed trays"
WRITER, READER = "rowan_dm", "hazel_dm"
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def _fits_the_screen(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} is {width}px wide on a {viewport}px screen"


def _drop_live_connections(live_url: str) -> None:
    """Abort every TCP connection to the streaming server (ss -K, from iproute2, as root)."""
    port = urlsplit(live_url).port
    done = subprocess.run(
        ["ss", "-K", "dst", "127.0.0.1", "dport", "=", f":{port}"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ESTAB" in done.stdout, f"no live connection was open: {done.stdout}"


def _messages_badge(page: Page) -> Locator:
    return main_nav(page).locator("a", has_text="Messages").locator(".badge")


def test_a_message_request_accepted_and_answered_on_a_phone(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    server.create_member(WRITER, f"{WRITER}@example.org", PASSWORD)
    server.create_member(READER, f"{READER}@example.org", PASSWORD)
    watch = Watch()
    desktop = browser.new_context(base_url=server.url, **DESKTOP)
    phone = browser.new_context(base_url=server.url, **PHONE)
    try:
        for context in (desktop, phone):
            context.set_default_timeout(10_000)
        rowan = watch.attach(desktop.new_page())
        hazel = watch.attach(phone.new_page())
        log_in(rowan, WRITER, PASSWORD)
        log_in(hazel, READER, PASSWORD)

        rowan.goto(f"/@{READER}")
        rowan.get_by_role("link", name="Message", exact=True).click()
        expect(rowan.get_by_label("To")).to_have_value(READER)
        rowan.get_by_role("textbox", name="Message").fill("Spare courgette plants, want some?")
        rowan.get_by_role("button", name="Send").click()
        expect(rowan.get_by_text("Spare courgette plants, want some?")).to_be_visible()

        # Hazel does not follow Rowan: the message waits in her requests.
        hazel.goto("/messages")
        expect(hazel.get_by_text("No conversations yet.")).to_be_visible()
        _fits_the_screen(hazel)
        hazel.get_by_role("link", name="Requests").click()
        hazel.get_by_role("link", name=WRITER).click()
        expect(hazel.get_by_text("This is a message request.")).to_be_visible()
        _fits_the_screen(hazel)
        rowan.reload()
        expect(rowan.get_by_text("Seen")).to_have_count(0)
        rowan.goto("/")  # Rowan waits on his home page; the menu's count follows live
        expect(_messages_badge(rowan)).to_have_count(0)
        expect(rowan.locator("body[data-live-state=open]")).to_have_count(1)
        hazel.get_by_role("textbox", name="Message").fill("Yes please, two!")
        hazel.get_by_role("button", name="Accept and reply").click()
        expect(hazel.get_by_text("Yes please, two!")).to_be_visible()
        _fits_the_screen(hazel)
        expect(_messages_badge(rowan)).to_have_text("1")  # without a reload
        rowan.goto("/messages")
        rowan.get_by_role("link", name=READER).click()
        expect(rowan.get_by_text("Yes please, two!")).to_be_visible()
        rowan.goto("/")
        expect(_messages_badge(rowan)).to_have_count(0)
        hazel.reload()
        expect(hazel.get_by_text("Seen", exact=True)).to_be_visible()

        # Live: both have the conversation open; nobody reloads from here on.
        rowan.goto(hazel.url)
        expect(hazel.locator("body[data-live-state=open]")).to_have_count(1)
        expect(rowan.locator("body[data-live-state=open]")).to_have_count(1)
        rowan.get_by_role("textbox", name="Message").press_sequentially("See you", delay=20)
        expect(hazel.get_by_text(f"{WRITER} is typing…")).to_be_visible()
        rowan.get_by_role("textbox", name="Message").fill("See you at the plot at ten")
        rowan.get_by_role("button", name="Send").click()
        expect(hazel.get_by_text("See you at the plot at ten")).to_be_visible()
        expect(hazel.get_by_text(f"{WRITER} is typing…")).to_be_hidden()
        expect(rowan.get_by_text("Seen", exact=True)).to_be_visible()  # hazel's page read it

        # A dropped connection (the live connections' sockets are torn down, as a network
        # drop does): what was said meanwhile shows once the page has reconnected.
        _drop_live_connections(hazel.evaluate("document.body.dataset.live"))
        expect(hazel.locator("body[data-live-state=down]")).to_have_count(1)
        rowan.get_by_role("textbox", name="Message").fill("Bring the big trowel")
        rowan.get_by_role("button", name="Send").click()
        expect(hazel.get_by_text("Bring the big trowel")).to_be_visible(timeout=15_000)
        expect(hazel.locator("body[data-live-state=open]")).to_have_count(1)
        _fits_the_screen(hazel)
        assert watch.problems == []
    finally:
        desktop.close()
        phone.close()
