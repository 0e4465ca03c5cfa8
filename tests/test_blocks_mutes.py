"""Blocks and mutes hold on every surface: feeds, profiles, threads, hashtag pages,
notifications and follows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.graph import actions as graph
from townsquare.graph.models import Follow, Mute
from townsquare.notifications.models import Kind, Notification
from townsquare.posts import actions
from townsquare.posts.models import Mention, Visibility

pytestmark = pytest.mark.django_db


def test_block_ends_follows_both_ways_and_prevents_new_ones() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(ana, sam)
    follow(sam, ana)
    graph.block(ana, sam)
    assert not Follow.objects.exists()
    with pytest.raises(ValidationError):
        follow(sam, ana)
    with pytest.raises(ValidationError):
        follow(ana, sam)
    graph.unblock(ana, sam)
    assert follow(sam, ana) == graph.FOLLOWING


def test_blocked_member_sees_nothing_of_the_blocker_anywhere(client: Client) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    post = make_post(ana, "Seed swap #seedswap (marker-blocked)")
    run_jobs()
    graph.block(ana, sam)
    client.force_login(sam)
    for url in ("/", "/@ana", "/public", "/tags/seedswap"):
        response = client.get(url)
        assert response.status_code == 200
        assert "marker-blocked" not in text_of(response), url
    assert client.get(f"/@ana/{post.pk}").status_code == 404
    assert client.post(f"/posts/{post.pk}/like").status_code == 404
    with pytest.raises(ValidationError):
        actions.create_post(sam, text="hello", in_reply_to=post)
    # ... and the blocker does not see the blocked member's posts either.
    theirs = make_post(sam, "Chess puzzle (marker-theirs)")
    client.force_login(ana)
    assert "marker-theirs" not in text_of(client.get("/public"))
    assert client.get(f"/@sam/{theirs.pk}").status_code == 404


def test_blocked_member_cannot_mention_or_notify_the_blocker() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    graph.block(ana, sam)
    post = make_post(sam, "@ana are you there?")
    assert not Mention.objects.filter(post=post).exists()
    assert not Notification.objects.filter(recipient=ana).exists()


def test_thread_leaves_out_blocked_members_replies(client: Client) -> None:
    ana, fern, sam = make_user("ana"), make_user("fern"), make_user("sam")
    root = make_post(ana, "Tournament results")
    actions.create_post(sam, text="Well played (marker-sam)", in_reply_to=root)
    actions.create_post(fern, text="Congratulations (marker-fern)", in_reply_to=root)
    graph.block(ana, sam)
    client.force_login(ana)
    page = text_of(client.get(f"/@ana/{root.pk}"))
    assert "marker-fern" in page and "marker-sam" not in page


def test_mute_hides_posts_from_listings_but_not_from_profile_or_link(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    follow(fern, ana)
    post = make_post(ana, "Leek season #leeks (marker-muted)")
    root = make_post(fern, "Favourite vegetables?")
    actions.create_post(ana, text="Leeks! (marker-muted-reply)", in_reply_to=root)
    run_jobs()
    graph.mute(fern, ana)
    client.force_login(fern)
    for url in ("/", "/public", "/tags/leeks", f"/@fern/{root.pk}"):
        assert "marker-muted" not in text_of(client.get(url)), url
    assert "marker-muted" in text_of(client.get("/@ana"))
    assert "marker-muted" in text_of(client.get(f"/@ana/{post.pk}"))
    assert Follow.objects.filter(follower=fern, followee=ana).exists()  # follows stay


def test_mute_hides_notifications_and_can_expire(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    graph.mute(fern, ana, duration=timedelta(hours=1))
    make_post(ana, "@fern hello")
    assert not Notification.objects.filter(recipient=fern, kind=Kind.MENTION).exists()
    Mute.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    make_post(ana, "@fern hello again (marker-expired)")
    assert Notification.objects.filter(recipient=fern, kind=Kind.MENTION).count() == 1
    client.force_login(fern)
    assert "marker-expired" in text_of(client.get("/public"))
    with pytest.raises(ValidationError):
        graph.mute(fern, ana, duration=timedelta(days=400))


def test_mute_can_keep_notifications() -> None:
    ana, fern = make_user("ana"), make_user("fern")
    graph.mute(fern, ana, notifications=False)
    make_post(ana, "@fern the shed is open")
    assert Notification.objects.filter(recipient=fern, kind=Kind.MENTION).exists()


def test_block_and_mute_pages_without_javascript(client: Client) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    client.force_login(ana)
    assert client.post("/@sam/block").status_code == 302
    assert (
        client.post("/@sam/mute", {"duration": "86400", "notifications": "on"}).status_code == 302
    )
    page = text_of(client.get("/settings/blocks"))
    assert page.count("@sam") >= 2 and "until" in page
    assert client.post("/@sam/mute", {"duration": "12"}).status_code == 302  # not a choice
    assert Mute.objects.get(muter=ana).expires_at is not None  # unchanged by the bad form
    client.post("/@sam/unblock")
    client.post("/@sam/unmute")
    assert "Nobody." in text_of(client.get("/settings/blocks"))
    assert client.post("/@ana/block").status_code == 302  # yourself: a message, not a crash
    assert sam.pk  # sam is still there
    assert Follow.objects.count() == 0


def test_followers_only_post_of_a_blocker_never_reaches_the_blocked_home() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    follow(sam, ana)
    graph.block(ana, sam)
    make_post(ana, "Private plans", Visibility.FOLLOWERS)
    run_jobs()
    from townsquare.feeds.models import TimelineEntry

    assert not TimelineEntry.objects.filter(owner=sam).exists()


def test_a_viewer_with_other_blocks_mutes_and_exclusive_lists_still_sees_everyone_else() -> None:
    """The listings skip their per-post block, mute and exclusive-list checks for viewers who
    have none; a viewer who has some gets every post checked, and only those posts go."""
    from townsquare.feeds.queries import home_feed
    from townsquare.lists import actions as list_actions
    from townsquare.posts.queries import public_timeline

    ana, sam, kit, lee, mo = (make_user(n) for n in ("ana", "sam", "kit", "lee", "mo"))
    for other in (sam, kit, lee, mo):
        follow(ana, other)
    graph.block(ana, kit)
    graph.mute(lee, ana)  # a mute of ana by someone else changes nothing for ana
    graph.mute(ana, lee)
    digging = list_actions.create_list(ana, title="Digging crew", exclusive=True)
    list_actions.add_members(ana, digging, [mo.pk])
    vi = make_user("vi")
    graph.block(vi, ana)  # and ana is blocked by vi
    posts = {m.username: make_post(m, f"Bulbs from {m.username}") for m in (sam, kit, lee, mo, vi)}
    run_jobs()
    home = {p.id for p in home_feed(ana).posts}
    assert posts["sam"].pk in home
    assert not home & {posts["kit"].pk, posts["lee"].pk, posts["mo"].pk}
    public = {p.id for p in public_timeline(ana)}
    assert posts["sam"].pk in public and posts["mo"].pk in public
    assert not public & {posts["kit"].pk, posts["lee"].pk, posts["vi"].pk}
    # And someone with none of these sees them all.
    fresh = make_user("nell")
    assert {p.id for p in public_timeline(fresh)} >= {p.pk for p in posts.values()}
