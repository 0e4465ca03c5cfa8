"""Friends mode in a real browser against a real `townsquare serve`: the operator switches the
site to friend requests; Alder, on a desktop, sends Birch a friend request; Birch, on a
phone-sized screen, accepts it from the friend requests page; Alder's friends-only post reaches
Birch's home feed and not a stranger's. The switch is turned back off at the end, so the other
journeys on this server see a follow-based site again."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server, wait_until
from tests.e2e.test_member_journey import Watch, log_in
from tests.e2e.test_messages_journey import DESKTOP, PHONE, _fits_the_screen
from townsquare.site.state import REFRESH_SECONDS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

PASSWORD = "two apple trees and a pear"


def _switch(server: Server, state: str) -> None:
    """Switch friends mode, and wait until every web process has read the switch again."""
    server.townsquare("features", state, "friends_mode")
    time.sleep(REFRESH_SECONDS + 1)


def test_a_friend_request_accepted_on_a_phone_opens_friends_only_posts(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    for name in ("alder_fr", "birch_fr", "cedar_fr"):
        server.create_member(name, f"{name}@example.org", PASSWORD)
    _switch(server, "on")
    watch = Watch()
    desktop: Any = browser.new_context(base_url=server.url, **DESKTOP)
    phone: Any = browser.new_context(base_url=server.url, **PHONE)
    stranger: Any = browser.new_context(base_url=server.url, **DESKTOP)
    try:
        for context in (desktop, phone, stranger):
            context.set_default_timeout(10_000)
        alder = watch.attach(desktop.new_page())
        birch = watch.attach(phone.new_page())
        cedar = watch.attach(stranger.new_page())
        log_in(alder, "alder_fr", PASSWORD)
        log_in(birch, "birch_fr", PASSWORD)
        log_in(cedar, "cedar_fr", PASSWORD)

        alder.goto("/@birch_fr")
        alder.get_by_role("button", name="Add friend").click()
        expect(alder.get_by_role("button", name="Cancel friend request")).to_be_visible()

        birch.goto("/follow-requests")
        expect(birch.get_by_role("heading", name="Friend requests")).to_be_visible()
        _fits_the_screen(birch)
        birch.get_by_role("button", name="Accept").click()
        birch.goto("/@alder_fr")
        expect(birch.get_by_text("Friends ✓")).to_be_visible()
        _fits_the_screen(birch)

        alder.goto("/")
        alder.get_by_label("What's happening?").fill("Pear blossom is out, friends only.")
        alder.get_by_label("Who can see this").select_option(label="Friends")
        alder.get_by_role("button", name="Post", exact=True).click()
        expect(alder.get_by_text("Pear blossom is out, friends only.")).to_be_visible()

        def at_home() -> bool:  # fan-out is a job: the post arrives shortly after
            birch.goto("/")
            return birch.get_by_text("Pear blossom is out, friends only.").count() > 0

        wait_until(at_home, timeout=15, what="the post in Birch's home feed")
        _fits_the_screen(birch)
        cedar.goto("/@alder_fr")
        expect(cedar.get_by_text("Pear blossom is out")).to_have_count(0)
        assert watch.problems == []
    finally:
        _switch(server, "off")
        desktop.close()
        phone.close()
        stranger.close()
