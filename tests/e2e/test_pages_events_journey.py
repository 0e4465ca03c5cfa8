"""Pages, events and group moderation in a real browser against a real `townsquare serve`.

- Marigold, on a desktop, creates a page for her gardening club, posts as it, and plans an
  event hosted by the page; Wren, on a phone-sized screen, finds the page, follows it, reads
  the post at home, opens the event and answers "Going".
- Juniper, on a desktop, makes her group approve new posts; Rowe, on a phone, posts and sees
  it waiting; Juniper approves it from the queue and pins it; Rowe finds it published.

Every page must fit the phone's screen, and nothing may answer with an error."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server, wait_until
from tests.e2e.test_member_journey import Watch, log_in
from tests.e2e.test_messages_journey import DESKTOP, PHONE, _fits_the_screen

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

PASSWORD = "a shed full of seed packets"


def _two_screens(browser: Browser, server: Server) -> tuple[Any, Any]:
    desktop: Any = browser.new_context(base_url=server.url, **DESKTOP)
    phone: Any = browser.new_context(base_url=server.url, **PHONE)
    for context in (desktop, phone):
        context.set_default_timeout(10_000)
    return desktop, phone


def test_a_page_posts_plans_an_event_and_a_follower_answers_on_a_phone(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    server.create_member("marigold_pg", "marigold_pg@example.org", PASSWORD)
    server.create_member("wren_pg", "wren_pg@example.org", PASSWORD)
    watch = Watch()
    desktop, phone = _two_screens(browser, server)
    try:
        marigold = watch.attach(desktop.new_page())
        wren = watch.attach(phone.new_page())
        log_in(marigold, "marigold_pg", PASSWORD)
        log_in(wren, "wren_pg", PASSWORD)

        marigold.get_by_role("navigation", name="Main").get_by_role("link", name="Pages").click()
        marigold.get_by_role("link", name="Create a page").click()
        marigold.get_by_label("Name").fill("Marsh Lane Gardeners")
        marigold.get_by_label("Handle").fill("marsh_lane")
        marigold.get_by_label("Category").fill("Club")
        marigold.get_by_label("About the page").fill("Allotments at the end of Marsh Lane.")
        marigold.get_by_role("button", name="Create").click()
        expect(marigold.get_by_role("heading", name="Marsh Lane Gardeners")).to_be_visible()
        expect(marigold.get_by_text("You post here as")).to_be_visible()
        marigold.get_by_label("What's happening?").fill("Compost bins are open again.")
        marigold.get_by_role("button", name="Post", exact=True).click()
        expect(marigold.get_by_text("Compost bins are open again.")).to_be_visible()
        assert marigold.url.endswith("/@marsh_lane")

        marigold.get_by_role("link", name="Plan an event hosted by Marsh Lane Gardeners").click()
        expect(marigold.get_by_label("Hosted by")).to_have_value("page:marsh_lane")
        marigold.get_by_label("Title").fill("Autumn bulb planting")
        marigold.get_by_label("Starts").fill("2031-10-18T10:00")
        marigold.get_by_label("Ends").fill("2031-10-18T13:00")
        marigold.get_by_label("Time zone").select_option("Europe/London")
        marigold.get_by_label("Place").fill("Marsh Lane allotments, plot 12")
        marigold.get_by_role("button", name="Create").click()
        expect(marigold.get_by_role("heading", name="Autumn bulb planting")).to_be_visible()

        wren.goto("/pages")
        _fits_the_screen(wren)
        wren.get_by_role("link", name="Marsh Lane Gardeners").first.click()
        expect(wren.get_by_text("Allotments at the end of Marsh Lane.")).to_be_visible()
        _fits_the_screen(wren)
        wren.get_by_role("button", name="Follow", exact=True).click()
        expect(wren.get_by_role("button", name="Unfollow")).to_be_visible()
        # Following brings the page's posts home in a job: Wren may need to refresh once.
        wait_until(
            lambda: wren.goto("/") and wren.get_by_text("Compost bins are open again.").count(),
            timeout=15,
            what="the page's post in Wren's home feed",
        )
        wren.goto("/@marsh_lane")
        wren.get_by_role("link", name="Autumn bulb planting").click()
        expect(wren.get_by_role("heading", name="Autumn bulb planting")).to_be_visible()
        _fits_the_screen(wren)
        wren.get_by_role("button", name="Going", exact=True).click()
        expect(wren.get_by_text("Your answer: Going.")).to_be_visible()
        expect(wren.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
        _fits_the_screen(wren)
        assert watch.problems == []
    finally:
        desktop.close()
        phone.close()


def test_a_post_waits_for_approval_is_approved_and_pinned(browser: Browser, server: Server) -> None:
    from playwright.sync_api import expect

    server.create_member("juniper_mod", "juniper_mod@example.org", PASSWORD)
    server.create_member("rowe_mod", "rowe_mod@example.org", PASSWORD)
    watch = Watch()
    desktop, phone = _two_screens(browser, server)
    try:
        juniper = watch.attach(desktop.new_page())
        rowe = watch.attach(phone.new_page())
        log_in(juniper, "juniper_mod", PASSWORD)
        log_in(rowe, "rowe_mod", PASSWORD)

        juniper.goto("/groups/new")
        juniper.get_by_label("Name").fill("Bee Keepers")
        juniper.get_by_label("Handle").fill("bees")
        juniper.get_by_role("button", name="Create").click()
        juniper.get_by_role("link", name="Group settings").click()
        juniper.get_by_label("Moderators approve new posts").check()
        juniper.get_by_role("button", name="Save").click()
        expect(juniper.get_by_text("The group's settings are saved.")).to_be_visible()

        rowe.goto("/g/bees")
        rowe.get_by_role("button", name="Join the group").click()
        expect(rowe.get_by_text("A moderator approves new posts")).to_be_visible()
        rowe.get_by_label("What's happening?").fill("First honey of the year!")
        rowe.get_by_role("button", name="Post", exact=True).click()
        expect(rowe.get_by_text("Waiting for a group moderator's approval")).to_be_visible()
        _fits_the_screen(rowe)

        juniper.goto("/g/bees")
        juniper.get_by_role("link", name="1 post waiting for approval").click()
        expect(juniper.get_by_text("First honey of the year!")).to_be_visible()
        juniper.get_by_role("button", name="Approve").click()
        expect(juniper.get_by_text("Approved: the post is in the group now.")).to_be_visible()
        juniper.goto("/g/bees")
        juniper.get_by_role("button", name="Pin to the group").click()
        expect(juniper.get_by_text("Pinned to the top of the group.")).to_be_visible()

        rowe.goto("/g/bees")
        expect(rowe.get_by_text("First honey of the year!").first).to_be_visible()
        expect(rowe.get_by_text("Waiting for a group moderator's approval")).to_have_count(0)
        expect(rowe.get_by_text("📌 Pinned").first).to_be_visible()
        _fits_the_screen(rowe)
        assert watch.problems == []
    finally:
        desktop.close()
        phone.close()
