"""Groups in a real browser against a real `townsquare serve`: Juniper, on a desktop, creates a
private group; Rowe, on a phone-sized screen, finds it, asks to join, is let in, and posts in
it; the post shows on the group's page and not on Rowe's profile. Pages must fit the phone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_member_journey import Watch, log_in
from tests.e2e.test_messages_journey import DESKTOP, PHONE, _fits_the_screen

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

PASSWORD = "a greenhouse full of tomatoes"
OWNER, JOINER = "juniper_grp", "rowe_grp"


def test_a_private_group_asked_into_and_posted_in_on_a_phone(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    server.create_member(OWNER, f"{OWNER}@example.org", PASSWORD)
    server.create_member(JOINER, f"{JOINER}@example.org", PASSWORD)
    watch = Watch()
    desktop: Any = browser.new_context(base_url=server.url, **DESKTOP)
    phone: Any = browser.new_context(base_url=server.url, **PHONE)
    try:
        for context in (desktop, phone):
            context.set_default_timeout(10_000)
        juniper = watch.attach(desktop.new_page())
        rowe = watch.attach(phone.new_page())
        log_in(juniper, OWNER, PASSWORD)
        log_in(rowe, JOINER, PASSWORD)

        juniper.get_by_role("navigation", name="Main").get_by_role("link", name="Groups").click()
        juniper.get_by_role("link", name="Create a group").click()
        juniper.get_by_label("Name").fill("Tomato Growers")
        juniper.get_by_label("Handle").fill("tomatoes")
        juniper.get_by_label("Private: anyone finds the group", exact=False).check()
        juniper.get_by_label("What it is about").fill("Seeds, sauces and blight")
        juniper.get_by_role("button", name="Create").click()
        expect(juniper.get_by_role("heading", name="Tomato Growers")).to_be_visible()

        rowe.goto("/groups")
        _fits_the_screen(rowe)
        rowe.get_by_role("link", name="Tomato Growers").click()
        expect(rowe.get_by_text("The posts of this group are for its members.")).to_be_visible()
        rowe.get_by_role("button", name="Ask to join").click()
        expect(rowe.get_by_text("You asked to join")).to_be_visible()
        _fits_the_screen(rowe)

        juniper.goto("/g/tomatoes/members")
        juniper.get_by_role("button", name="Let in").click()
        expect(juniper.get_by_text("Let in.")).to_be_visible()

        rowe.reload()
        rowe.get_by_label("What's happening?").fill("Blight on my San Marzanos, any advice?")
        rowe.get_by_role("button", name="Post", exact=True).click()
        expect(rowe.get_by_text("Blight on my San Marzanos, any advice?")).to_be_visible()
        assert "/g/tomatoes" in rowe.url
        _fits_the_screen(rowe)
        rowe.goto(f"/@{JOINER}")
        expect(rowe.get_by_text("Blight on my San Marzanos")).to_have_count(0)
        juniper.goto("/g/tomatoes")
        expect(juniper.get_by_text("Blight on my San Marzanos, any advice?")).to_be_visible()
        assert watch.problems == []
    finally:
        desktop.close()
        phone.close()
