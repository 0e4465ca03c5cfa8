"""Posts in groups follow the group's privacy everywhere: for each privacy level and each
state of the viewer towards the group, the permalink, search, the API and notifications agree
with the one visibility rule (visible_to, can_see, visibility_sql); group posts reach the
members' home feeds, not the author's followers, stay off profiles and public timelines and
streams, and a private or secret group's post cannot be shared or quoted out of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.communities import actions as groups
from townsquare.communities.models import Group, GroupPrivacy, Membership, MembershipState
from townsquare.posts import actions as post_actions
from townsquare.posts import queries
from townsquare.posts.models import Post
from townsquare.realtime import bus

pytestmark = pytest.mark.django_db

PRIVACY = {
    "public": GroupPrivacy.PUBLIC,
    "private": GroupPrivacy.PRIVATE,
    "secret": GroupPrivacy.SECRET,
}
# The viewer's standing in the group.
STANDING = ("anonymous", "outsider", "requested", "invited", "member", "banned", "follower")


def _world(privacy: int) -> tuple[Group, Post, dict[str, User | None]]:
    ana = make_user("ana")
    group = groups.create_group(ana, name="Plot holders", handle="plots", privacy=privacy)
    viewers: dict[str, User | None] = {"anonymous": None}
    for standing in STANDING[1:]:
        viewers[standing] = make_user(standing)
    state = {
        "requested": MembershipState.REQUESTED,
        "invited": MembershipState.INVITED,
        "member": MembershipState.MEMBER,
        "banned": MembershipState.BANNED,
    }
    for standing, value in state.items():
        Membership.objects.create(group=group, member=viewers[standing], state=value)
    follow(viewers["follower"], ana)  # follows the author, not in the group
    post = post_actions.create_post(ana, text="Water rota for the plots (zq-marker)", group=group)
    run_jobs()
    return group, post, viewers


def _may_see(privacy: str, standing: str) -> bool:
    return privacy == "public" or standing == "member"


@pytest.mark.parametrize("privacy", list(PRIVACY))
@pytest.mark.parametrize("standing", STANDING)
def test_group_posts_are_seen_as_the_groups_privacy_says(privacy: str, standing: str) -> None:
    group, post, viewers = _world(PRIVACY[privacy])
    viewer = viewers[standing]
    want = _may_see(privacy, standing)
    fresh = Post.objects.select_related("author").get(pk=post.pk)
    for who in [viewer] if viewer else [None, AnonymousUser()]:
        assert queries.can_see(who, fresh) is want
        assert queries.visible_to(who).filter(pk=post.pk).exists() is want
        listed = queries.list_posts(who, where="p.id = %s", params=[post.pk])
        assert bool(listed) is want
    client = Client()
    if viewer is not None:
        client.force_login(viewer)
    assert client.get(f"/@ana/{post.pk}").status_code == (200 if want else 404)
    searched = text_of(client.get("/search", {"q": "rota", "type": "posts"}))
    assert ("zq-marker" in searched) is want
    # Group posts live in the group: never on the author's profile or the public timeline.
    assert "zq-marker" not in text_of(client.get("/@ana"))
    assert "zq-marker" not in text_of(client.get("/public"))
    # Home feeds: the members' (and the author's), not the author's followers'.
    if viewer is not None:
        at_home = "zq-marker" in text_of(client.get("/"))
        assert at_home is (standing == "member"), standing
    if viewer is None:  # the API without a token
        assert client.get(f"/api/v1/statuses/{post.pk}").status_code == (200 if want else 404)


def test_posting_and_replying_need_membership_and_replies_stay_in_the_group() -> None:
    group, post, viewers = _world(GroupPrivacy.PUBLIC)
    outsider, member = viewers["outsider"], viewers["member"]
    assert outsider is not None and member is not None
    with pytest.raises(ValidationError, match="Join the group"):
        post_actions.create_post(outsider, text="Can I post here?", group=group)
    with pytest.raises(ValidationError, match="Join the group"):
        post_actions.create_post(outsider, text="Nice rota", in_reply_to=post)
    reply = post_actions.create_post(member, text="I'll take Tuesdays", in_reply_to=post)
    assert reply.group_id == group.pk


@pytest.mark.parametrize("privacy", ["private", "secret"])
def test_a_private_groups_post_cannot_leave_the_group(privacy: str) -> None:
    group, post, viewers = _world(PRIVACY[privacy])
    member = viewers["member"]
    assert member is not None
    with pytest.raises(ValidationError, match="stay in the group"):
        post_actions.share(member, post)
    with pytest.raises(ValidationError, match="stay in the group"):
        post_actions.create_post(member, text="Look at this", quote_of=post)


def test_a_public_groups_post_can_be_shared_and_stays_in_the_sharers_feed() -> None:
    group, post, viewers = _world(GroupPrivacy.PUBLIC)
    member, follower = viewers["member"], viewers["follower"]
    assert member is not None and follower is not None
    follow(follower, member)
    shared = post_actions.share(member, post)
    run_jobs()
    assert shared.group_id is None
    web = Client()
    web.force_login(follower)
    assert "zq-marker" in text_of(web.get("/"))


def test_a_mention_of_an_outsider_in_a_private_group_shows_nothing() -> None:
    ana = make_user("ana")
    group = groups.create_group(ana, name="Quiet plot", handle="quiet", privacy=1)
    kit = make_user("kit")
    post_actions.create_post(ana, text="@kit should see nothing (zq-marker)", group=group)
    run_jobs()
    web = Client()
    web.force_login(kit)
    assert "zq-marker" not in text_of(web.get("/notifications"))


def test_group_posts_never_reach_public_or_hashtag_streams(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    sent: list[tuple[str, tuple[str, ...]]] = []
    monkeypatch.setattr(
        bus, "publish", lambda event, payload, streams, **kw: sent.append((event, tuple(streams)))
    )
    ana = make_user("ana")
    for privacy in (GroupPrivacy.PUBLIC, GroupPrivacy.PRIVATE):
        group = groups.create_group(ana, name="Plots", handle=f"plots{privacy}", privacy=privacy)
        with django_capture_on_commit_callbacks(execute=True):
            post_actions.create_post(ana, text="Seed swap #seeds", group=group)
    with django_capture_on_commit_callbacks(execute=True):
        make_post(ana, "Open seed swap #seeds")
    streams = [keys for event, keys in sent if event == "update"]
    assert len(streams) == 3
    assert all("public" not in keys and "hashtag:seeds" not in keys for keys in streams[:2])
    assert "public" in streams[2] and "hashtag:seeds" in streams[2]


def test_a_hashtag_used_only_in_a_group_is_neither_trending_nor_found() -> None:
    ana = make_user("ana")
    group = groups.create_group(ana, name="Quiet plot", handle="quiet", privacy=1)
    post_actions.create_post(ana, text="Our secret #compostrecipe", group=group)
    visitor = Client()
    assert "/tags/compostrecipe" not in text_of(visitor.get("/trending"))
    assert "/tags/compostrecipe" not in text_of(visitor.get("/search?q=compostrecipe"))
    assert "Our secret" not in text_of(visitor.get("/tags/compostrecipe"))
