"""Conversations and media, in a real browser against a real `townsquare serve`.

Fern posts a photo behind a content warning and a poll from the home composer; Basil, in a
second browser, answers, likes, shares and votes; Fern reads her notifications and marks them
read; Basil finds her post and her profile through search. Replies and likes once more with
JavaScript off. Elements are found by their label or role, as assistive technology finds them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server, wait_until
from tests.e2e.test_member_journey import Watch, home_feed, log_in, main_nav, post_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

pytestmark = pytest.mark.e2e

PASSWORD = "a quiet greenhouse in winter"
AUTHOR, READER = "fern_conv", "basil_conv"
AUTHOR_NAME = "Fern Greenhouse"
JOB_TIMEOUT = 15.0  # the in-process worker (image processing, notifications), seen by reloading
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}}


@dataclass
class Members:
    """Fern (the author) and Basil (the reader), each logged in once: their cookies."""

    server: Server
    author_state: Any
    reader_state: Any


def _logged_in_state(browser: Browser, server: Server, login: str) -> Any:
    context = browser.new_context(base_url=server.url, **DESKTOP)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, login, PASSWORD)
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture(scope="module")
def members(browser: Browser, server: Server) -> Members:
    from playwright.sync_api import expect

    server.create_member(AUTHOR, f"{AUTHOR}@example.org", PASSWORD)
    server.create_member(READER, f"{READER}@example.org", PASSWORD)
    author_state = _logged_in_state(browser, server, AUTHOR)
    reader_state = _logged_in_state(browser, server, READER)
    # Fern gives herself a display name, so people can find her by it.
    context = browser.new_context(base_url=server.url, storage_state=author_state, **DESKTOP)
    try:
        page = context.new_page()
        page.goto("/")
        main_nav(page).get_by_role("link", name="Settings").click()
        page.get_by_label("Display name").fill(AUTHOR_NAME)
        page.get_by_role("button", name="Save profile").click()
        expect(page.get_by_role("status")).to_contain_text("Your profile is saved.")
    finally:
        context.close()
    return Members(server, author_state, reader_state)


@pytest.fixture
def watch() -> Iterator[Watch]:
    """Every test here fills its forms in correctly: any 4xx/5xx or JavaScript error is a bug."""
    found = Watch()
    yield found
    found.check()


def open_as(
    browser: Browser, members: Members, state: Any, watch: Watch, **options: Any
) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        base_url=members.server.url, storage_state=state, **DESKTOP, **options
    )
    context.set_default_timeout(10_000)
    return context, watch.attach(context.new_page())


def open_extra(page: Page, summary: str) -> None:
    """Unfold one of the composer's <details> sections ("Content warning", "Poll", ...)."""
    from playwright.sync_api import expect

    section = page.locator("details.composer-extra").filter(
        has=page.locator("summary", has_text=summary)
    )
    section.locator("summary").first.click()
    expect(section).to_have_attribute("open", "")


def post_from_home(page: Page, text: str, fill_extras: Any = None) -> Locator:
    """Write a post in the home composer (extras filled by `fill_extras(page)`), send it and
    return its card in the home feed."""
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_label("What's happening?").fill(text)
    if fill_extras is not None:
        fill_extras(page)
    page.get_by_role("button", name="Post", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Posted.")
    card = post_in(home_feed(page), text)
    expect(card).to_have_count(1)
    return card


def permalink(card: Locator) -> str:
    """The post's own address, from the link around its time."""
    link = card.get_by_role("link").filter(has=card.page.locator("time")).first
    href = link.get_attribute("href")
    assert href and re.fullmatch(rf"/@{AUTHOR}/\d+", href), href
    return href


def open_from_profile(page: Page, text: str) -> Locator:
    """Go to Fern's profile, open her post containing `text` by its time link, and return the
    post's card on its own page."""
    from playwright.sync_api import expect

    page.goto(f"/@{AUTHOR}")
    card = page.get_by_role("article").filter(has_text=text).first
    href = permalink(card)
    card.get_by_role("link").filter(has=page.locator("time")).first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    focus = page.locator(".thread .focus").get_by_role("article")
    expect(focus).to_contain_text(text)
    return focus


def reply_through_page(page: Page, reply: str) -> None:
    from playwright.sync_api import expect

    box = page.get_by_label("Your reply")
    expect(box).to_have_value(f"@{AUTHOR} ")  # a reply starts by naming who it answers
    box.fill(f"@{AUTHOR} {reply}")
    page.get_by_role("button", name="Reply", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Posted.")
    answer = page.locator(".thread .focus + ol.replies").get_by_role("article")
    expect(answer.filter(has_text=reply)).to_have_count(1)
    expect(answer.filter(has_text=reply)).to_contain_text(f"Replying to @{AUTHOR}")


def jpeg(path: Path) -> Path:
    from PIL import Image

    image = Image.new("RGB", (64, 48), (60, 140, 70))
    for x in range(20, 44):
        for y in range(10, 38):
            image.putpixel((x, y), (230, 200, 40))
    image.save(path, "JPEG", quality=85)
    return path


def test_photo_behind_a_content_warning(
    browser: Browser, members: Members, watch: Watch, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    warning = "Garden pests (close-up)"
    body = "Found these aphids on the roses this morning, any advice?"
    alt = "Green aphids clustered on a yellow rose bud"
    photo = jpeg(tmp_path / "aphids.jpg")

    def extras(page: Page) -> None:
        open_extra(page, "Content warning")
        page.get_by_label("Warning shown instead of the post until clicked").fill(warning)
        open_extra(page, "Photos or video")
        page.get_by_label("Photo or video 1").set_input_files(photo)
        page.get_by_label("Alt text 1").fill(alt)

    context, page = open_as(browser, members, members.author_state, watch)
    try:
        card = post_from_home(page, body, extras)
        # The warning shows; the body stays folded until the warning is clicked.
        expect(card).to_contain_text(warning)
        expect(card.get_by_text(body)).to_have_count(1)
        expect(card.get_by_text(body)).to_be_hidden()

        # The worker processes the photo; until then a placeholder says so.
        def processed() -> bool:
            page.reload()
            return card.get_by_text("Processing…").count() == 0

        wait_until(processed, timeout=JOB_TIMEOUT, interval=0.3, what="the photo processed")
        expect(card.get_by_text("This file could not be processed.")).to_have_count(0)
        expect(card.get_by_text(body)).to_be_hidden()
        card.locator("summary", has_text=warning).click()
        expect(card.get_by_text(body)).to_be_visible()
        image = card.get_by_role("img", name=alt)
        expect(image).to_be_visible()
        expect(image).to_have_attribute("alt", alt)
        image.scroll_into_view_if_needed()
        wait_until(
            lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"),
            timeout=5,
            what="the photo to load",
        )
    finally:
        context.close()


def test_reply_like_share_and_notifications(
    browser: Browser, members: Members, watch: Watch
) -> None:
    from playwright.sync_api import expect

    text = "The seed swap is on Saturday at the allotments, bring labelled envelopes."
    reply = "I will bring runner beans and a few sunflower heads."
    author_context, author = open_as(browser, members, members.author_state, watch)
    reader_context, reader = open_as(browser, members, members.reader_state, watch)
    try:
        post_from_home(author, text)

        # Basil opens the post from Fern's profile and answers on its page.
        open_from_profile(reader, text)
        reply_through_page(reader, reply)

        # Like and share: htmx swaps the card in place, the page is not reloaded.
        reader.evaluate("window.__notReloaded = true")
        focus = reader.locator(".thread .focus").get_by_role("article")
        focus.get_by_role("button", name="Like", exact=True).click()
        expect(focus.get_by_role("button", name="Unlike", exact=True)).to_be_visible()
        expect(focus.get_by_role("button", name="Unlike")).to_have_attribute("aria-pressed", "true")
        expect(focus.get_by_role("link", name="1 like", exact=True)).to_be_visible()
        focus.get_by_role("button", name="Share", exact=True).click()
        expect(focus.get_by_role("button", name="Unshare", exact=True)).to_be_visible()
        expect(focus.get_by_role("link", name="1 share", exact=True)).to_be_visible()
        expect(focus.get_by_role("link", name="1 reply", exact=True)).to_be_visible()
        assert reader.evaluate("window.__notReloaded === true"), "the page reloaded"
        expect(reader.get_by_role("status")).to_have_count(1)  # only the earlier "Posted."

        # The likes survive a reload (they were saved, not only drawn).
        reader.reload()
        expect(focus.get_by_role("button", name="Unlike", exact=True)).to_be_visible()

        # Fern: the menu badge counts what happened; the notifications page lists it.
        verbs = ["replied to your post", "liked your post", "shared your post"]

        def all_listed() -> bool:
            author.goto("/notifications")
            listed = author.get_by_role("region", name="Notifications")
            return all(listed.get_by_text(verb).count() > 0 for verb in verbs)

        wait_until(all_listed, timeout=JOB_TIMEOUT, interval=0.3, what="three notifications")
        author.goto("/")
        badge_link = main_nav(author).get_by_role(
            "link", name=re.compile(r"^Notifications \d+ unread$")
        )
        expect(badge_link).to_be_visible()
        name = badge_link.evaluate("el => el.textContent")
        count = int(re.sub(r"\D", "", name))
        assert count >= len(verbs), name
        badge_link.click()
        expect(author.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
        listed = author.get_by_role("region", name="Notifications")
        for verb in verbs:
            item = listed.get_by_role("listitem").filter(has_text=verb).first
            expect(item).to_contain_text(READER)
            expect(item).to_contain_text("Unread")
        reply_item = listed.get_by_role("listitem").filter(has_text="replied to your post").first
        expect(reply_item).to_contain_text(reply)

        author.get_by_role("button", name="Mark all as read").click()
        expect(author.get_by_role("status")).to_contain_text("All caught up.")
        expect(
            main_nav(author).get_by_role("link", name="Notifications", exact=True)
        ).to_be_visible()
        expect(main_nav(author).locator(".badge")).to_have_count(0)
        expect(listed.get_by_text("Unread")).to_have_count(0)
    finally:
        reader_context.close()
        author_context.close()


def test_poll_vote_and_results(browser: Browser, members: Members, watch: Watch) -> None:
    from playwright.sync_api import expect

    question = "Which bulbs should the club plant along the fence first?"

    def extras(page: Page) -> None:
        open_extra(page, "Poll")
        page.get_by_placeholder("Choice 1", exact=True).fill("Tulips")
        page.get_by_placeholder("Choice 2", exact=True).fill("Daffodils")
        page.get_by_label("Poll ends after").select_option(label="7 days")

    author_context, author = open_as(browser, members, members.author_state, watch)
    reader_context, reader = open_as(browser, members, members.reader_state, watch)
    try:
        card = post_from_home(author, question, extras)
        # Fern does not vote in her own poll: she sees the (empty) results at once.
        expect(card.get_by_role("button", name="Vote")).to_have_count(0)
        expect(card.locator(".poll-results").get_by_role("listitem")).to_have_count(2)
        expect(card).to_contain_text("0 people")
        ends = card.locator(".poll-meta time").get_attribute("datetime")
        assert ends, "the poll shows no end time"
        left = datetime.fromisoformat(ends) - datetime.now(UTC)
        assert timedelta(days=6, hours=23) < left <= timedelta(days=7), ends

        focus = open_from_profile(reader, question)
        reader.evaluate("window.__notReloaded = true")
        expect(focus.get_by_role("group", name="Choose one")).to_be_visible()
        focus.get_by_role("radio", name="Daffodils").check()
        focus.get_by_role("button", name="Vote").click()
        results = focus.locator(".poll-results").get_by_role("listitem")
        expect(results).to_have_count(2)
        expect(results.filter(has_text="Daffodils")).to_contain_text("100%")
        expect(results.filter(has_text="Daffodils")).to_contain_text("your choice")
        expect(results.filter(has_text="Daffodils")).to_contain_text("1 vote")
        expect(results.filter(has_text="Tulips")).to_contain_text("0%")
        expect(focus.get_by_role("button", name="Vote")).to_have_count(0)
        assert reader.evaluate("window.__notReloaded === true"), "the page reloaded"

        # Counted for everyone: after a reload Basil still sees the results, not the form.
        reader.reload()
        expect(focus.locator(".poll-results")).to_contain_text("100%")
        expect(focus).to_contain_text("1 person")
    finally:
        reader_context.close()
        author_context.close()


def test_search_finds_a_post_and_a_profile(
    browser: Browser, members: Members, watch: Watch
) -> None:
    from playwright.sync_api import expect

    text = "Our compost heap reached sixty degrees, the hedgehogs approve"
    author_context, author = open_as(browser, members, members.author_state, watch)
    reader_context, reader = open_as(browser, members, members.reader_state, watch)
    try:
        post_from_home(author, text)

        reader.goto("/")
        main_nav(reader).get_by_role("link", name="Search").click()
        expect(reader.get_by_role("heading", name="Search", level=1)).to_be_visible()
        box = reader.get_by_label("Search people, #hashtags and posts")
        box.fill("hedgehogs")
        box.press("Enter")
        posts = reader.get_by_role("region", name="Posts")
        expect(posts.get_by_role("article").filter(has_text=text)).to_have_count(1)
        expect(posts.get_by_role("article").filter(has_text=text)).to_contain_text(AUTHOR_NAME)

        box = reader.get_by_label("Search people, #hashtags and posts")
        box.fill("Fern Greenhouse")
        box.press("Enter")
        people = reader.get_by_role("region", name="People")
        found = people.get_by_role("link").filter(has_text=AUTHOR_NAME)
        expect(found).to_have_count(1)
        expect(found).to_contain_text(f"@{AUTHOR}")
        found.click()
        expect(reader.get_by_role("heading", name=AUTHOR_NAME, level=1)).to_be_visible()
    finally:
        reader_context.close()
        author_context.close()


def test_reply_and_like_without_javascript(
    browser: Browser, members: Members, watch: Watch
) -> None:
    from playwright.sync_api import expect

    text = "Plain forms: who can lend me a wheelbarrow on Sunday?"
    reply = "Mine is in the shed by the gate, help yourself."
    author_context, author = open_as(browser, members, members.author_state, watch)
    reader_context, reader = open_as(
        browser, members, members.reader_state, watch, java_script_enabled=False
    )
    try:
        post_from_home(author, text)

        open_from_profile(reader, text)
        address = reader.url
        reply_through_page(reader, reply)
        assert reader.url.split("#")[0] == address, reader.url

        focus = reader.locator(".thread .focus").get_by_role("article")
        focus.get_by_role("button", name="Like", exact=True).click()
        expect(reader.get_by_role("status")).to_contain_text("Liked.")
        assert reader.url == address, reader.url  # back where the button was
        expect(focus.get_by_role("button", name="Unlike", exact=True)).to_be_visible()
        expect(focus.get_by_role("link", name="1 like", exact=True)).to_be_visible()
        focus.get_by_role("button", name="Unlike", exact=True).click()
        expect(reader.get_by_role("status")).to_contain_text("Like removed.")
        expect(focus.get_by_role("link", name="0 likes", exact=True)).to_be_visible()
    finally:
        reader_context.close()
        author_context.close()
