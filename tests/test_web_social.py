"""Posting, following and reading from the browser (no JavaScript needed)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.graph.models import Follow, FollowRequest
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_composing_a_post_puts_it_on_the_home_feed_and_the_profile() -> None:
    fern = make_user("fern")
    client = client_for(fern)
    response = client.post("/posts", {"text": "Sowing #beans today", "visibility": "0"})
    assert response.status_code == 302 and response["Location"] == "/"
    post = Post.objects.get(author=fern)
    assert post.visibility == Visibility.PUBLIC
    assert f'id="post-{post.pk}"' in client.get("/").content.decode()
    assert "Sowing" in client.get("/@fern").content.decode()
    page = client.get(f"/@fern/{post.pk}")
    assert page.status_code == 200 and 'href="/tags/beans"' in page.content.decode()


def test_following_from_a_profile_brings_their_posts_home() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    post = make_post(basil, "Club night moved to Thursday")
    client = client_for(fern)
    assert client.post("/@basil/follow").status_code == 302
    assert Follow.objects.filter(follower=fern, followee=basil).exists()
    run_jobs()
    assert f'id="post-{post.pk}"' in client.get("/").content.decode()
    profile = client.get("/@basil").content.decode()
    assert "Unfollow" in profile and "1</strong> follower<" in profile
    client.post("/@basil/unfollow")
    assert f'id="post-{post.pk}"' not in client.get("/").content.decode()


def test_a_locked_account_approves_follow_requests() -> None:
    fern, sage = make_user("fern"), make_user("sage", locked=True)
    secret = make_post(sage, "Members-only plot map", visibility=Visibility.FOLLOWERS)
    fern_client, sage_client = client_for(fern), client_for(sage)
    fern_client.post("/@sage/follow")
    request = FollowRequest.objects.get(follower=fern, followee=sage)
    assert "Cancel request" in fern_client.get("/@sage").content.decode()
    assert fern_client.get(f"/@sage/{secret.pk}").status_code == 404
    inbox = sage_client.get("/follow-requests").content.decode()
    assert "@fern" in inbox
    assert sage_client.post(f"/follow-requests/{request.pk}/approve").status_code == 302
    assert Follow.objects.filter(follower=fern, followee=sage).exists()
    run_jobs()
    assert fern_client.get(f"/@sage/{secret.pk}").status_code == 200
    assert f'id="post-{secret.pk}"' in fern_client.get("/").content.decode()


def test_declining_a_request_leaves_no_follow() -> None:
    fern, sage = make_user("fern"), make_user("sage", locked=True)
    follow(fern, sage)
    request = FollowRequest.objects.get()
    client_for(sage).post(f"/follow-requests/{request.pk}/reject")
    assert not FollowRequest.objects.exists() and not Follow.objects.exists()


def test_someone_elses_follow_request_cannot_be_answered() -> None:
    fern, sage, mallow = make_user("fern"), make_user("sage", locked=True), make_user("mallow")
    follow(fern, sage)
    request = FollowRequest.objects.get()
    client_for(mallow).post(f"/follow-requests/{request.pk}/approve")
    assert FollowRequest.objects.filter(pk=request.pk).exists()
    assert not Follow.objects.exists()


def test_unlocking_an_account_accepts_everyone_waiting() -> None:
    fern, sage = make_user("fern"), make_user("sage", locked=True)
    follow(fern, sage)
    client_for(sage).post("/settings/profile", {"display_name": "Sage", "locked": ""})
    assert Follow.objects.filter(follower=fern, followee=sage).exists()
    assert not FollowRequest.objects.exists()


def test_the_home_feed_polls_for_new_posts() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    follow(fern, basil)
    run_jobs()
    client = client_for(fern)
    home = client.get("/").content.decode()
    assert 'hx-get="/home/new?since=0-' in home  # empty feed: any arrival counts
    post = make_post(basil, "Frost tonight, cover the seedlings")
    run_jobs()
    update = client.get("/home/new?since=0", HTTP_HX_REQUEST="true").content.decode()
    assert f'id="post-{post.pk}"' in update
    cursor = re.search(r'hx-get="/home/new\?since=([\d-]+)"', update).group(1)
    again = client.get(f"/home/new?since={cursor}").content.decode()
    assert "post-" not in again


def test_live_updates_bring_posts_that_arrive_late_by_fan_out() -> None:
    """The cursor counts arrivals in the feed, not post ids: an older post whose fan-out ran
    after a newer one was shown still arrives live."""
    fern, moss = make_user("fern"), make_user("moss")
    follow(fern, moss)
    run_jobs()
    late = make_post(moss, "Written first, delivered last")  # its fan-out job waits
    own = make_post(fern, "Written second, in my feed at once")
    home = client_for(fern).get("/").content.decode()
    assert f'id="post-{own.pk}"' in home and f'id="post-{late.pk}"' not in home
    cursor = re.search(r'hx-get="/home/new\?since=([\d-]+)"', home).group(1)
    run_jobs()
    update = client_for(fern).get(f"/home/new?since={cursor}").content.decode()
    assert f'id="post-{late.pk}"' in update and f'id="post-{own.pk}"' not in update


def test_a_mention_reaches_home_and_stays_after_an_unfollow() -> None:
    fern, moss, sage = make_user("fern"), make_user("moss"), make_user("sage")
    follow(fern, moss)
    run_jobs()
    to_sage = make_post(moss, "@sage the seed list is ready", visibility=Visibility.FOLLOWERS)
    to_fern = make_post(moss, "@fern your trowel is here", visibility=Visibility.MENTIONED)
    run_jobs()
    assert f'id="post-{to_sage.pk}"' in client_for(sage).get("/").content.decode()
    client_for(fern).post("/@moss/unfollow")
    assert f'id="post-{to_fern.pk}"' in client_for(fern).get("/").content.decode()


def test_older_posts_load_by_cursor() -> None:
    fern = make_user("fern")
    posts = [make_post(fern, f"Garden diary day {i}") for i in range(25)]
    client = client_for(fern)
    first = client.get("/").content.decode()
    assert f'id="post-{posts[24].pk}"' in first and f'id="post-{posts[4].pk}"' not in first
    assert f"?max_id={posts[5].pk}" in first
    older = client.get(f"/?max_id={posts[5].pk}", HTTP_HX_REQUEST="true").content.decode()
    assert f'id="post-{posts[4].pk}"' in older and "<html" not in older


def test_deleting_a_post_removes_it_everywhere() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    follow(basil, fern)
    run_jobs()
    post = make_post(fern, "Wrong date, sorry")
    run_jobs()
    client = client_for(fern)
    assert "Delete" in client.get(f"/@fern/{post.pk}").content.decode()
    assert "Delete" not in client_for(basil).get(f"/@fern/{post.pk}").content.decode()
    client.post(f"/posts/{post.pk}/delete")
    assert not Post.objects.filter(pk=post.pk).exists()
    assert f'id="post-{post.pk}"' not in client_for(basil).get("/").content.decode()


def test_a_moderator_can_delete_any_post_but_a_member_cannot() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    moderator = make_user("warden", role="moderator")
    post = make_post(fern, "Selling garden gnomes")
    assert client_for(basil).post(f"/posts/{post.pk}/delete").status_code == 403
    assert Post.objects.filter(pk=post.pk).exists()
    client_for(moderator).post(f"/posts/{post.pk}/delete")
    assert not Post.objects.filter(pk=post.pk).exists()


def test_followers_and_following_lists() -> None:
    fern, basil, sage = make_user("fern"), make_user("basil"), make_user("sage")
    follow(basil, fern)
    follow(sage, fern)
    follow(fern, basil)
    followers = Client().get("/@fern/followers").content.decode()
    assert "@basil" in followers and "@sage" in followers
    following = Client().get("/@fern/following").content.decode()
    assert "@basil" in following and "@sage" not in following
    client_for(fern).post("/@sage/remove-follower")
    assert not Follow.objects.filter(follower=sage, followee=fern).exists()


def test_pages_send_a_strict_content_security_policy() -> None:
    response = Client().get("/public")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_removing_followers_is_limited_for_the_remover_not_the_removed(settings) -> None:
    from townsquare.core import ratelimit

    fern, basil, sage = make_user("fern"), make_user("basil"), make_user("sage")
    client = client_for(basil)
    for _ in range(ratelimit.FOLLOWS_PER_ACCOUNT.count + 1):
        client.post("/@fern/remove-follower")
    # fern's own follow allowance is untouched
    assert client_for(fern).post("/@sage/follow").status_code == 302
    assert Follow.objects.filter(follower=fern, followee=sage).exists()
