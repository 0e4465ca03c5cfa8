"""A report handled end to end in a real browser against a real `townsquare serve`.

Fern reports a post of Basil's as illegal. Mona, a moderator, finds the case in the queue,
reads the post in context and removes it, with the law and an explanation: Basil's post is gone
and he reads the statement of reasons, then appeals. Iris, another moderator (Mona took the
decision, so the appeal goes to someone else), reverses it, and the post is back.

Nothing may answer with an error."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_member_journey import Watch, log_in
from tests.e2e.test_messages_journey import DESKTOP

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.e2e

PASSWORD = "runner beans on the fence"
POST_TEXT = "Rare orchid bulbs dug up from the nature reserve, cheap, message me."


def test_a_report_is_decided_explained_appealed_and_reversed(
    browser: Browser, server: Server
) -> None:
    from playwright.sync_api import expect

    for name in ("basil_md", "fern_md", "mona_md", "iris_md"):
        server.create_member(name, f"{name}@example.org", PASSWORD)
    for name in ("mona_md", "iris_md"):
        server.townsquare("user", "set-role", name, "moderator")
    watch = Watch()
    screens: list[Any] = []

    def person(login: str) -> Any:
        screen = browser.new_context(base_url=server.url, **DESKTOP)
        screen.set_default_timeout(10_000)
        screens.append(screen)
        page = watch.attach(screen.new_page())
        log_in(page, login, PASSWORD)
        return page

    try:
        basil, fern = person("basil_md"), person("fern_md")
        basil.get_by_label("What's happening?").fill(POST_TEXT)
        basil.get_by_role("button", name="Post", exact=True).click()
        expect(basil.get_by_text(POST_TEXT)).to_be_visible()
        basil.goto("/@basil_md")
        link = (
            basil.locator("article", has_text=POST_TEXT)
            .get_by_role("link")
            .filter(has_text=re.compile(r"\d|now"))
        )
        post_url = link.first.get_attribute("href")
        assert post_url and "/@basil_md/" in post_url

        # Fern reports it.
        fern.goto(post_url)
        fern.get_by_role("link", name="Report").first.click()
        fern.get_by_label("Illegal content").check()
        fern.get_by_label("Anything the moderators should know (optional)").fill(
            "Digging up orchids in the reserve is against the law."
        )
        fern.get_by_role("button", name="Send the report").click()
        expect(fern.get_by_role("heading", level=1)).to_be_visible()

        # Mona finds the case, reads the post and removes it.
        mona = person("mona_md")
        mona.goto("/admin/moderation")
        mona.get_by_role("link", name=re.compile("basil_md")).first.click()
        expect(mona.get_by_text(POST_TEXT)).to_be_visible()
        expect(mona.get_by_text("Digging up orchids in the reserve")).to_be_visible()
        mona.get_by_label("Decision").select_option(label="Post removed")
        mona.get_by_label("Ground").select_option("illegal")
        mona.get_by_label("The law broken (for illegal content)").fill(
            "Wildlife and Countryside Act, section 13"
        )
        mona.get_by_label("Explanation (the member reads it)").fill(
            "Selling wild orchids taken from a reserve is illegal."
        )
        mona.get_by_role("button", name="Decide").click()
        expect(mona.get_by_text("The member was sent the statement of reasons.")).to_be_visible()

        # The post is gone; Basil reads why, and appeals.
        response = fern.goto(post_url)
        assert response is not None and response.status == 404
        watch.problems.clear()  # that 404 was the point
        basil.goto("/statements")
        basil.get_by_role("link", name="Post removed").first.click()
        expect(basil.get_by_text("Selling wild orchids taken from a reserve")).to_be_visible()
        expect(basil.get_by_text("You can appeal this decision until")).to_be_visible()
        basil.get_by_label("Why should the decision change?").fill(
            "These were grown in my own greenhouse from seed; the receipts are in my shed."
        )
        basil.get_by_role("button", name="Send the appeal").click()
        expect(basil.get_by_text("a moderator will review it")).to_be_visible()

        # Iris (not Mona, who decided) reverses it.
        iris = person("iris_md")
        iris.goto("/admin/moderation/appeals")
        expect(iris.get_by_text("receipts are in my shed")).to_be_visible()
        iris.get_by_label("Outcome").select_option("reversed")
        iris.get_by_label("Reply to the member").fill("Thank you: the receipts settle it.")
        iris.get_by_role("button", name="Decide").click()
        expect(iris.get_by_text("receipts are in my shed")).to_have_count(0)

        response = fern.goto(post_url)
        assert response is not None and response.status == 200
        expect(fern.get_by_text(POST_TEXT)).to_be_visible()
        watch.check()
    finally:
        for screen in screens:
            screen.close()
