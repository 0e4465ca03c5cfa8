"""Graded enforcement: each moderator's action on every surface, its expiry by time, its undo,
and who may take it.

The world: ana runs a gardening club account and posts a public post tagged #seedswap with a
unique word, which fern (who follows her) likes; sam follows nobody; mona moderates.

- limited: ana's posts reach her followers (home, public and hashtag timelines, search, post
  page, profile), herself and the moderators; nobody else, nowhere; never in trends;
- suspended: her profile answers 410 with the suspension page, her posts are gone for
  everyone, the API shows her account as `suspended` with nothing of its profile and none of
  her statuses, and ana, logged in, reaches only the suspension page and her data;
- frozen: ana reads, but posting, following, liking and messaging are refused (a form error
  on the web, a 422 JSON error in the API);
- a removed post is gone everywhere (web, API, feeds, search, notifications) until the
  removal is lifted; a post marked sensitive says so in the API until lifted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.api.conftest import ApiClient, make_token
from tests.factories import follow, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.accounts.restrictions import AccountRestricted
from townsquare.graph.models import Follow
from townsquare.messaging import actions as messaging
from townsquare.moderation import enforcement
from townsquare.moderation.models import Enforcement
from townsquare.posts import actions as post_actions
from townsquare.posts.hashtags import trending
from townsquare.posts.models import Post
from townsquare.posts.queries import can_see, visible_to
from townsquare.realtime import bus

pytestmark = pytest.mark.django_db

WORD = "marrowfatpeas"
HOME_READERS = ("ana", "fern")  # the post reaches these home feeds (the author, a follower)


class World:
    def __init__(self) -> None:
        self.ana = make_user("ana")
        self.fern = make_user("fern")
        self.sam = make_user("sam")
        self.mira = make_user("mira")
        self.mona = make_user("mona", role="moderator")
        follow(self.fern, self.ana)
        self.post = post_actions.create_post(
            self.ana, text=f"Our {WORD} are sprouting #seedswap, come and see @mira"
        )
        post_actions.like(self.fern, self.post)
        run_jobs()

    def viewer(self, name: str | None) -> User | None:
        return None if name is None else getattr(self, name)

    def client(self, name: str | None) -> Client:
        client = Client()
        viewer = self.viewer(name)
        if viewer is not None:
            client.force_login(viewer)
        return client

    def api(self, name: str | None) -> ApiClient:
        viewer = self.viewer(name)
        return ApiClient(make_token(viewer) if viewer is not None else None)


@pytest.fixture
def world() -> World:
    return World()


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code in (200, 404, 410), (path, response.status_code)
    return response.content.decode()


def web_surfaces(world: World, name: str | None) -> dict[str, bool]:
    """Where the post shows on the web for this viewer."""
    client = world.client(name)
    marker = f"/@ana/{world.post.pk}"  # the post's link (the search page repeats the words)
    seen = {
        "public": marker in _page(client, "/public"),
        "hashtag": marker in _page(client, "/tags/seedswap"),
        "search": marker in _page(client, f"/search?q={WORD}"),
        "profile": marker in _page(client, "/@ana"),
        "post_page": client.get(f"/@ana/{world.post.pk}").status_code == 200,
    }
    if name in HOME_READERS:
        seen["home"] = marker in _page(client, "/")
    return seen


def api_surfaces(world: World, name: str | None) -> dict[str, bool]:
    api = world.api(name)
    ids = lambda response: {status["id"] for status in response.json()}  # noqa: E731
    post_id = str(world.post.pk)
    seen = {
        "api_public": post_id in ids(api.get("/api/v1/timelines/public")),
        "api_tag": post_id in ids(api.get("/api/v1/timelines/tag/seedswap")),
        "api_status": api.get(f"/api/v1/statuses/{post_id}").status_code == 200,
        "api_account_statuses": post_id
        in ids(api.get(f"/api/v1/accounts/{world.ana.pk}/statuses")),
    }
    if name in HOME_READERS:
        seen["api_home"] = post_id in ids(api.get("/api/v1/timelines/home"))
    return seen


def everywhere(world: World, name: str | None) -> dict[str, bool]:
    viewer = world.viewer(name)
    return {
        **web_surfaces(world, name),
        **api_surfaces(world, name),
        "can_see": can_see(viewer, Post.objects.get(pk=world.post.pk)),
        "visible_to": visible_to(viewer).filter(pk=world.post.pk).exists(),
    }


def in_trends(world: World) -> dict[str, bool]:
    cache.clear()  # trends are cached for a few minutes
    api = world.api("fern")  # a follower: trends leave a limited account out for everyone
    statuses = {status["id"] for status in api.get("/api/v1/trends/statuses").json()}
    return {
        "tags": "seedswap" in [trend.name for trend in trending(timedelta(days=7))],
        "statuses": str(world.post.pk) in statuses,
    }


VIEWERS = ("ana", "fern", "sam", "mona", None)


def test_before_any_action_everyone_sees_the_post_everywhere(world: World) -> None:
    for name in VIEWERS:
        assert all(everywhere(world, name).values()), name
    assert in_trends(world) == {"tags": True, "statuses": True}


def test_a_limited_account_is_seen_by_its_followers_only(world: World) -> None:
    enforcement.limit_account(world.mona, world.ana, reason="Repeated advertising")
    for name in ("ana", "fern", "mona"):  # herself, a follower, a moderator
        assert all(everywhere(world, name).values()), name
    for name in ("sam", None):  # a member who does not follow her, a visitor
        assert not any(everywhere(world, name).values()), (name, everywhere(world, name))
    assert in_trends(world) == {"tags": False, "statuses": False}
    # Her profile still answers (with none of her posts for strangers).
    assert world.client("sam").get("/@ana").status_code == 200
    assert world.api("sam").get(f"/api/v1/accounts/{world.ana.pk}").json()["limited"] is True


def test_a_suspended_account_is_gone_from_every_surface(world: World) -> None:
    enforcement.suspend_account(world.mona, world.ana, reason="Spam wave")
    for name in ("fern", "sam", "mona", None):
        assert not any(everywhere(world, name).values()), name
    assert in_trends(world) == {"tags": False, "statuses": False}
    response = world.client("sam").get("/@ana")
    assert response.status_code == 410
    assert "suspended" in response.content.decode()
    assert world.client("fern").get(f"/@ana/{world.post.pk}").status_code == 404


def test_the_api_answers_for_a_suspended_account_as_mastodon_does(world: World) -> None:
    world.ana.display_name = "Ana's allotment"
    world.ana.save(update_fields=["display_name"])
    enforcement.suspend_account(world.mona, world.ana)
    api = world.api("fern")
    account = api.get(f"/api/v1/accounts/{world.ana.pk}").json()
    assert account["suspended"] is True
    assert account["display_name"] == "" and account["note"] == "" and account["fields"] == []
    assert account["statuses_count"] == 0
    assert api.get("/api/v1/accounts/lookup", {"acct": "ana"}).json()["suspended"] is True
    assert api.get(f"/api/v1/accounts/{world.ana.pk}/statuses").json() == []
    assert api.get(f"/api/v1/statuses/{world.post.pk}").status_code == 404
    # Her own apps are refused.
    own = world.api("ana").get("/api/v1/timelines/home")
    assert own.status_code == 403 and "error" in own.json()


def test_a_suspended_member_who_logs_in_sees_only_the_suspension_and_their_data(
    world: World,
) -> None:
    enforcement.suspend_account(
        world.mona, world.ana, reason="Spam wave", duration=timedelta(days=7)
    )
    client = world.client("ana")
    for path in ("/", "/public", "/@fern", "/settings/profile"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/suspended", path
    page = client.get("/suspended")
    assert page.status_code == 403
    assert "Spam wave" in page.content.decode()
    assert client.get("/settings/data").status_code == 200
    assert client.post("/posts", {"text": "Hello again"}).status_code == 302
    assert not Post.objects.filter(text="Hello again").exists()


def test_a_frozen_member_reads_but_cannot_write_on_the_web(world: World) -> None:
    enforcement.freeze_account(world.mona, world.sam, duration=timedelta(days=1))
    client = world.client("sam")
    assert client.get("/").status_code == 200
    assert client.get("/public").status_code == 200
    response = client.post("/posts", {"text": "Tomatoes need sun", "visibility": "0"})
    assert response.status_code == 400
    assert "frozen" in response.content.decode()
    assert not Post.objects.filter(author=world.sam).exists()
    response = client.post("/@ana/follow", follow=True)
    assert "frozen" in response.content.decode()
    assert not Follow.objects.filter(follower=world.sam).exists()
    # The post is still there for everyone: a freeze hides nothing.
    enforcement.freeze_account(world.mona, world.ana)
    assert all(everywhere(world, "sam").values())


def test_a_frozen_member_cannot_write_through_the_api(world: World) -> None:
    enforcement.freeze_account(world.mona, world.sam)
    api = world.api("sam")
    assert api.get("/api/v1/timelines/home").status_code == 200
    for path, data in (
        ("/api/v1/statuses", {"status": "Tomatoes need sun"}),
        (f"/api/v1/statuses/{world.post.pk}/favourite", {}),
        (f"/api/v1/statuses/{world.post.pk}/reblog", {}),
        (f"/api/v1/accounts/{world.ana.pk}/follow", {}),
    ):
        response = api.post(path, data)
        assert response.status_code == 422, (path, response.status_code)
        assert "frozen" in response.json()["error"]
    with pytest.raises(AccountRestricted):
        messaging.start_conversation(world.sam, [world.fern], "Hello fern")


def test_a_removed_post_vanishes_everywhere_until_the_removal_is_lifted(world: World) -> None:
    record = enforcement.remove_post(world.mona, world.post, reason="Off-topic advert")
    for name in VIEWERS:
        assert not any(everywhere(world, name).values()), name
    # The mention notification goes with it.
    assert (
        f"/@ana/{world.post.pk}" not in world.client("mira").get("/notifications").content.decode()
    )
    assert Post.objects.filter(pk=world.post.pk).exists()  # kept, for the evidence hold
    enforcement.lift(world.mona, record)
    for name in VIEWERS:
        assert all(everywhere(world, name).values()), name
    assert f"/@ana/{world.post.pk}" in world.client("mira").get("/notifications").content.decode()


def test_marking_sensitive_and_undoing_it(world: World) -> None:
    api = world.api("sam")
    assert api.get(f"/api/v1/statuses/{world.post.pk}").json()["sensitive"] is False
    record = enforcement.mark_sensitive(world.mona, world.post)
    assert api.get(f"/api/v1/statuses/{world.post.pk}").json()["sensitive"] is True
    enforcement.lift(world.mona, record)
    assert api.get(f"/api/v1/statuses/{world.post.pk}").json()["sensitive"] is False


def test_time_limited_actions_end_by_themselves(world: World) -> None:
    enforcement.limit_account(world.mona, world.ana, duration=timedelta(hours=1))
    enforcement.freeze_account(world.mona, world.sam, duration=timedelta(hours=1))
    assert not can_see(world.sam, Post.objects.get(pk=world.post.pk))
    # An hour later (the end times moved into the past): no job needed.
    past = timezone.now() - timedelta(seconds=1)
    Enforcement.objects.update(ends_at=past)
    User.objects.filter(pk__in=[world.ana.pk, world.sam.pk]).update(
        limited_until=past, frozen_until=past
    )
    assert all(everywhere(world, "sam").values())
    assert in_trends(world)["tags"] is True
    sam = User.objects.get(pk=world.sam.pk)
    post_actions.create_post(sam, text="Free to post again")
    assert enforcement.in_force(world.ana) == []


def test_lifting_an_account_restriction_restores_it_at_once(world: World) -> None:
    suspension = enforcement.suspend_account(world.mona, world.ana)
    limit = enforcement.limit_account(world.mona, world.ana, duration=timedelta(days=3))
    enforcement.lift(world.mona, suspension)
    ana = User.objects.get(pk=world.ana.pk)
    assert not ana.is_suspended and ana.is_limited  # the limit still stands
    assert world.client("fern").get("/@ana").status_code == 200
    assert not any(everywhere(world, "sam").values())
    enforcement.lift(world.mona, limit)
    assert all(everywhere(world, "sam").values())
    with pytest.raises(ValidationError):
        enforcement.lift(world.mona, limit)  # already lifted


def test_until_lifted_and_overlapping_restrictions(world: World) -> None:
    first = enforcement.freeze_account(world.mona, world.sam, duration=timedelta(days=1))
    enforcement.freeze_account(world.mona, world.sam)  # until lifted
    sam = User.objects.get(pk=world.sam.pk)
    assert sam.frozen_until == enforcement.FOREVER
    enforcement.lift(world.mona, first)
    assert User.objects.get(pk=world.sam.pk).is_frozen


def test_only_moderators_act_and_never_above_their_rank(world: World) -> None:
    admin = make_user("ada", role="admin")
    for action in (enforcement.limit_account, enforcement.freeze_account):
        with pytest.raises(PermissionDenied):
            action(world.fern, world.sam)
    with pytest.raises(PermissionDenied):
        enforcement.remove_post(world.fern, world.post)
    with pytest.raises(PermissionDenied):
        enforcement.mark_sensitive(world.sam, world.post)
    with pytest.raises(PermissionDenied):
        enforcement.suspend_account(world.mona, admin)  # a moderator cannot suspend an admin
    with pytest.raises(PermissionDenied):
        enforcement.suspend_account(world.mona, world.mona)
    record = enforcement.suspend_account(admin, world.sam)
    with pytest.raises(PermissionDenied):
        enforcement.lift(world.fern, record)
    assert User.objects.get(pk=world.sam.pk).is_suspended


def test_bad_input_is_refused(world: World) -> None:
    with pytest.raises(ValidationError):
        enforcement.limit_account(world.mona, world.sam, duration=timedelta(0))
    with pytest.raises(ValidationError):
        enforcement.limit_account(
            world.mona, world.sam, until=timezone.now() - timedelta(minutes=1)
        )
    with pytest.raises(ValidationError):
        enforcement.limit_account(world.mona, world.sam, reason="x" * 5001)
    assert not Enforcement.objects.exists()


def test_a_page_can_be_suspended_like_any_account(world: World) -> None:
    from townsquare.communities.actions import pages

    page = pages.create_page(world.fern, name="Seed library", handle="seedlibrary", category="Club")
    post = post_actions.create_post(page, text=f"The {WORD} library opens on Sunday")
    enforcement.suspend_account(world.mona, page)
    assert not can_see(world.sam, Post.objects.get(pk=post.pk))
    assert world.client("sam").get("/@seedlibrary").status_code == 410


def test_a_limited_accounts_new_posts_stay_off_the_public_streams(
    world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    published: list[bus.Event] = []

    def capture(event: str, payload: str, streams: Any, *, accounts: Any = ()) -> None:
        published.append(bus.Event(event, payload, tuple(streams), frozenset(accounts)))

    monkeypatch.setattr(bus, "publish", capture)
    enforcement.limit_account(world.mona, world.ana)
    with django_capture_on_commit_callbacks(execute=True):
        post_actions.create_post(world.ana, text="Pumpkins are in #seedswap")
    [event] = published
    assert set(event.streams) == {f"user:{world.ana.pk}"}
