"""Privacy edges of conversations found in review: content warnings of quoted posts, who is
listed as liking or sharing, hashtags of private posts, mentions removed by an edit, "Replying
to" across a block, shares of quotes, and notifications of deleted shares."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import text_of
from tests.factories import make_post, make_user
from townsquare.graph import actions as graph
from townsquare.notifications.models import Kind, Notification
from townsquare.posts import actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


def test_a_quote_keeps_the_quoted_posts_content_warning(client: Client) -> None:
    ana, bob = make_user("ana"), make_user("bob")
    secret = actions.create_post(
        ana, text="The butler did it (marker-ending)", spoiler_text="Film ending"
    )
    quote = actions.create_post(bob, text="Ha, this one", quote_of=secret)
    page = text_of(client.get(f"/@bob/{quote.pk}"))
    quoted = page[page.index('class="quoted"') :]
    assert quoted.index("Film ending") < quoted.index("marker-ending")
    assert "<details" in quoted[: quoted.index("marker-ending")]


def test_liked_by_and_shared_by_respect_blocks_and_share_levels(client: Client) -> None:
    ana, bob, eve, sam = make_user("ana"), make_user("bob"), make_user("eve"), make_user("sam")
    post = make_post(ana, "Open garden day")
    actions.share(bob, post, visibility=Visibility.FOLLOWERS)
    actions.share(sam, post)
    actions.like(bob, post)
    graph.block(bob, eve)
    for viewer in (eve, None):
        client.logout()
        if viewer is not None:
            client.force_login(viewer)
        shares = text_of(client.get(f"/@ana/{post.pk}/shares"))
        assert "@sam" in shares and "@bob" not in shares
    client.force_login(eve)
    assert "@bob" not in text_of(client.get(f"/@ana/{post.pk}/likes"))
    client.force_login(sam)
    assert "@bob" in text_of(client.get(f"/@ana/{post.pk}/likes"))


def test_hashtags_of_private_posts_are_not_found_by_search(client: Client) -> None:
    ana = make_user("ana")
    make_post(ana, "secret #surpriseparty for @ana", Visibility.MENTIONED)
    make_post(ana, "everyone come to the #surprisebake", Visibility.PUBLIC)
    page = text_of(client.get("/search?q=%23surprise"))
    assert "/tags/surprisebake" in page and "surpriseparty" not in page.replace("q=", "")


def test_an_edit_that_removes_a_mention_removes_its_access(client: Client) -> None:
    ana, bob = make_user("ana"), make_user("bob")
    post = make_post(ana, "@bob draft plan", Visibility.MENTIONED)
    client.force_login(bob)
    assert client.get(f"/@ana/{post.pk}").status_code == 200
    actions.edit_post(ana, post, text="new plan, only for me")
    assert client.get(f"/@ana/{post.pk}").status_code == 404


def test_replying_to_names_nobody_across_a_block(client: Client) -> None:
    ana, eve, fern = make_user("ana"), make_user("eve"), make_user("fern")
    root = make_post(ana, "Seed swap")
    answer = actions.create_post(fern, text="I will come", in_reply_to=root)
    graph.block(ana, eve)
    client.force_login(eve)
    page = text_of(client.get(f"/@fern/{answer.pk}"))
    assert "I will come" in page and "Replying to" not in page and "@ana" not in page
    client.force_login(fern)
    assert "Replying to" in text_of(client.get(f"/@fern/{answer.pk}"))


def test_a_shared_quote_still_shows_what_it_quotes(client: Client) -> None:
    ana, bob, cid = make_user("ana"), make_user("bob"), make_user("cid")
    original = make_post(ana, "Plot 7 is free (marker-quoted)")
    quote = actions.create_post(bob, text="Anyone?", quote_of=original)
    actions.share(cid, quote)
    page = text_of(client.get("/@cid"))
    assert "Anyone?" in page and "marker-quoted" in page


def test_deleting_a_share_withdraws_its_notification() -> None:
    ana, bob = make_user("ana"), make_user("bob")
    post = make_post(ana, "Jam recipe")
    shared = actions.share(bob, post)
    assert Notification.objects.filter(recipient=ana, kind=Kind.SHARE).exists()
    actions.delete_post(bob, shared)
    assert not Notification.objects.filter(recipient=ana, kind=Kind.SHARE).exists()
    post.refresh_from_db()
    assert post.shares_count == 0 and not Post.objects.filter(reblog_of=post).exists()
