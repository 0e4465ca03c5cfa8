"""The group pages, without JavaScript: creating a group, posting in it, the directory, asking
to join a private group and being let in, invitations to a secret one, and the operator's
switch."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import text_of
from tests.factories import make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.communities import actions as groups
from townsquare.communities.models import Group
from townsquare.site import actions as site_actions

pytestmark = pytest.mark.django_db


def _as(member: User | None) -> Client:
    client = Client()
    if member is not None:
        client.force_login(member)
    return client


def _create(client: Client, privacy: int = 0, handle: str = "riverside") -> str:
    made = client.post(
        "/groups/new",
        {"name": "Riverside Allotments", "handle": handle, "privacy": str(privacy),
         "description": "Plots by the river", "rules": "Be kind"},
    )  # fmt: skip
    assert made.status_code == 302, made.content[:500]
    return made["Location"]


def test_create_a_group_post_in_it_and_find_it_in_the_directory() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    ana_web = _as(ana)
    assert _create(ana_web) == "/g/riverside"
    page = text_of(ana_web.get("/g/riverside"))
    assert "Public group" in page and "1 member" in page and "Settings" in page
    # The owner hands the group over before leaving; the page says so instead of a button.
    assert "Leave the group" not in page and "hand it to another member" in page
    posted = ana_web.post(
        "/posts", {"text": "Water butts are full", "visibility": "0", "group": "1"}
    )
    group = Group.objects.get()
    assert posted.status_code == 400  # a group id that is not this group's: refused
    posted = ana_web.post(
        "/posts",
        {"text": "Water butts are full", "visibility": "0", "group": str(group.pk),
         "next": "/g/riverside"},
    )  # fmt: skip
    assert posted.status_code == 302 and posted["Location"] == "/g/riverside"
    run_jobs()
    assert "Water butts are full" in text_of(_as(None).get("/g/riverside"))
    assert "Water butts are full" not in text_of(ana_web.get("/@ana"))
    directory = text_of(_as(sam).get("/groups"))
    assert "Riverside Allotments" in directory
    sam_web = _as(sam)
    sam_web.post("/g/riverside/join")
    assert "Riverside Allotments" in text_of(sam_web.get("/groups")).split("Find a group")[0]
    assert "Water butts are full" not in text_of(sam_web.get("/"))  # posted before he joined
    assert 'name="group"' in text_of(sam_web.get("/g/riverside"))  # members get the composer


def test_a_private_group_lets_in_whom_a_moderator_accepts() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _create(_as(ana), privacy=1, handle="quietplot")
    group = Group.objects.get()
    from townsquare.posts import actions as post_actions

    post_actions.create_post(ana, text="Members-only seed list", group=group)
    sam_web = _as(sam)
    page = text_of(sam_web.get("/g/quietplot"))
    assert "Private group" in page and "for its members" in page and "Ask to join" in page
    assert "Members-only seed list" not in page
    sam_web.post("/g/quietplot/join")
    assert "You asked to join" in text_of(sam_web.get("/g/quietplot"))
    members = text_of(_as(ana).get("/g/quietplot/members"))
    assert "Asking to join" in members and "@sam" in members
    _as(ana).post("/g/quietplot/answer", {"member": str(sam.pk), "answer": "accept"})
    assert "Members-only seed list" in text_of(sam_web.get("/g/quietplot"))


def test_a_secret_group_is_a_404_until_one_is_invited() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _create(_as(ana), privacy=2, handle="hushplot")
    sam_web = _as(sam)
    assert sam_web.get("/g/hushplot").status_code == 404
    assert sam_web.post("/g/hushplot/join").status_code == 404
    assert "hushplot" not in text_of(sam_web.get("/groups"))
    _as(ana).post("/g/hushplot/invite", {"username": "sam"})
    page = text_of(sam_web.get("/g/hushplot"))
    assert "You are invited" in page
    sam_web.post("/g/hushplot/join")
    assert "Leave the group" in text_of(sam_web.get("/g/hushplot"))


def test_bad_input_gets_a_clear_answer() -> None:
    ana = make_user("ana")
    web = _as(ana)
    _create(web)
    taken = web.post("/groups/new", {"name": "Again", "handle": "RIVERSIDE", "privacy": "0"})
    assert taken.status_code == 400 and "That handle is taken" in text_of(taken)
    bad = web.post("/groups/new", {"name": "", "handle": "no spaces", "privacy": "9"})
    assert bad.status_code == 400
    web.post("/g/riverside/invite", {"username": "nobody_here"})
    assert "No member has that name" in text_of(web.get("/g/riverside/members"))
    assert web.get("/g/no_such_group").status_code == 404


def test_the_operator_switch_removes_groups_from_every_page_and_route() -> None:
    ana = make_user("ana")
    groups.create_group(ana, name="Plots", handle="plots")
    web = _as(ana)
    assert ">Groups</a>" in text_of(web.get("/"))
    site_actions.set_feature("groups", enabled=False)
    assert ">Groups</a>" not in text_of(web.get("/"))
    for url in ("/groups", "/groups/new", "/g/plots", "/g/plots/members"):
        assert web.get(url).status_code == 404, url
    assert web.post("/g/plots/join").status_code == 404


def test_group_posts_are_shown_nowhere_while_groups_are_off() -> None:
    from townsquare.posts import actions as post_actions
    from townsquare.posts import queries as post_queries

    ana, sam = make_user("ana"), make_user("sam")
    group = groups.create_group(ana, name="Plots", handle="plots")
    groups.join(sam, group)
    post = post_actions.create_post(ana, text="Compost rota (off-marker)", group=group)
    run_jobs()
    assert "off-marker" in text_of(_as(sam).get("/"))
    site_actions.set_feature("groups", enabled=False)
    assert "off-marker" not in text_of(_as(sam).get("/"))
    assert _as(sam).get(f"/@ana/{post.pk}").status_code == 404
    assert not post_queries.visible_to(sam).filter(pk=post.pk).exists()
    site_actions.set_feature("groups", enabled=True)
    assert "off-marker" in text_of(_as(sam).get("/"))


def test_a_moderator_bans_from_the_members_page() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    _create(_as(ana))
    sam_web = _as(sam)
    sam_web.post("/g/riverside/join")
    members = text_of(_as(ana).get("/g/riverside/members"))
    assert ">Ban</button>" in members
    assert ">Ban</button>" not in text_of(sam_web.get("/g/riverside/members"))
    _as(ana).post("/g/riverside/ban", {"member": str(sam.pk)})
    assert "can't join this group" in text_of(sam_web.get("/g/riverside"))
    assert sam_web.post("/g/riverside/ban", {"member": str(ana.pk)}).status_code == 302
    assert "Lift the ban" in text_of(_as(ana).get("/g/riverside/members"))
    _as(ana).post("/g/riverside/ban", {"member": str(sam.pk), "lift": "1"})
    assert "Join the group" in text_of(sam_web.get("/g/riverside"))
