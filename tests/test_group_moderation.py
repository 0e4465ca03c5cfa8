"""Running a group: posts that wait for a moderator's approval (seen by their author and the
moderators' queue only, published to the group and its members' feeds on approval), pinned
posts, moderators removing posts, muting members, the settings page (privacy only towards
more private, the cover), handing the group over, deleting it with its posts, and the
notifications group moderators and members get."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import client_of as _as
from tests.conftest import text_of
from tests.factories import make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.communities import actions as groups
from townsquare.communities.models import (
    Group,
    GroupPin,
    GroupPrivacy,
    Membership,
    MembershipState,
    Role,
)
from townsquare.notifications.models import Kind, Notification
from townsquare.posts import actions as post_actions
from townsquare.posts import queries
from townsquare.posts.models import Post

pytestmark = pytest.mark.django_db


def _club(
    privacy: int = GroupPrivacy.PUBLIC, *, approve: bool = False
) -> tuple[Group, dict[str, User]]:
    """A chess society: its owner, a moderator, two members and someone outside it."""
    people = {name: make_user(name) for name in ("olga", "mo", "mia", "max", "otto")}
    group = groups.create_group(
        people["olga"], name="Chess Society", handle="chess", privacy=privacy
    )
    for name in ("mo", "mia", "max"):
        Membership.objects.create(group=group, member=people[name])
    groups.set_role(people["olga"], group, people["mo"].pk, Role.MODERATOR)
    if approve:
        group.approve_posts = True
        group.save(update_fields=["approve_posts"])
    return group, people


def _sees(viewer: User | None, post: Post) -> bool:
    """The three forms of the visibility rule, which must agree."""
    fresh = Post.objects.select_related("author").get(pk=post.pk)
    answers = {
        queries.can_see(viewer, fresh),
        queries.visible_to(viewer).filter(pk=post.pk).exists(),
        bool(queries.list_posts(viewer, where="p.id = %s", params=[post.pk])),
    }
    assert len(answers) == 1, f"the forms of the rule disagree for {viewer}"
    return answers.pop()


# --- posts waiting for approval --------------------------------------------------------


@pytest.mark.parametrize("privacy", [GroupPrivacy.PUBLIC, GroupPrivacy.PRIVATE])
def test_a_held_post_is_seen_by_its_author_only_until_approved(privacy: int) -> None:
    group, p = _club(privacy, approve=True)
    post = post_actions.create_post(p["mia"], text="Friday blitz night? (hq-marker)", group=group)
    run_jobs()
    assert post.held
    for viewer in (None, p["olga"], p["mo"], p["max"], p["otto"]):
        assert _sees(viewer, post) is False
    assert _sees(AnonymousUser(), post) is False
    assert _sees(p["mia"], post) is True
    # Not in anyone's home feed, not on the group page (but its author sees it waiting).
    assert "hq-marker" not in text_of(_as(p["max"]).get("/"))
    assert "hq-marker" not in text_of(_as(p["max"]).get("/g/chess"))
    own_view = text_of(_as(p["mia"]).get("/g/chess"))
    assert "hq-marker" in own_view and "Waiting for a group moderator" in own_view
    assert "Your post waiting for approval (1)" in own_view
    # Moderators are told, and find it in the queue; members other than the author don't.
    pending = Notification.objects.filter(kind=Kind.GROUP_POST_PENDING, group=group)
    assert sorted(pending.values_list("recipient__username", flat=True)) == ["mo", "olga"]
    assert "1 post waiting for approval" in text_of(_as(p["mo"]).get("/g/chess"))
    queue = text_of(_as(p["mo"]).get("/g/chess/pending"))
    assert "hq-marker" in queue and "Approve" in queue and "Decline" in queue
    assert "hq-marker" not in text_of(_as(p["max"]).get("/g/chess/pending"))
    assert _as(p["otto"]).get("/g/chess/pending").status_code == 404
    notices = text_of(_as(p["mo"]).get("/notifications"))
    assert "asked to post in" in notices and "Chess Society" in notices

    newer = post_actions.create_post(p["mo"], text="Board repairs done (newer-marker)", group=group)
    approved = _as(p["mo"]).post(f"/posts/{post.pk}/approve", {"next": "/g/chess/pending"})
    assert approved.status_code == 302
    run_jobs()
    # Approval publishes it now: a new post, above what was posted while it waited.
    published = Post.objects.get(text__contains="hq-marker")
    assert published.pk > newer.pk and not published.held
    assert not Post.objects.filter(pk=post.pk).exists()
    assert _sees(p["max"], published) is True
    assert _sees(None, published) is (privacy == GroupPrivacy.PUBLIC)
    home = text_of(_as(p["max"]).get("/"))  # in members' home feeds now, on top
    assert home.index("hq-marker") < home.index("newer-marker")
    group_page = text_of(_as(p["max"]).get("/g/chess"))
    assert group_page.index("hq-marker") < group_page.index("newer-marker")
    assert not pending.exists()  # the moderators' notice goes
    assert Notification.objects.filter(
        kind=Kind.GROUP_POST_APPROVED, recipient=p["mia"], post=published
    ).exists()


def test_moderators_posts_and_replies_are_not_held_and_a_declined_post_is_deleted() -> None:
    group, p = _club(approve=True)
    own = post_actions.create_post(p["mo"], text="Club rules updated", group=group)
    assert not own.held
    reply = post_actions.create_post(p["mia"], text="Thanks!", in_reply_to=own)
    assert not reply.held and _sees(p["max"], reply)
    waiting = post_actions.create_post(p["max"], text="Selling my old board", group=group)
    assert waiting.held
    with pytest.raises(ValidationError, match="waiting"):
        post_actions.create_post(p["max"], text="Still available", in_reply_to=waiting)
    # A member cannot approve, or decline, someone else's post.
    with pytest.raises(PermissionDenied):
        groups.approve_post(p["mia"], waiting)
    assert _as(p["mia"]).post(f"/posts/{waiting.pk}/delete").status_code == 404
    declined = _as(p["olga"]).post(f"/posts/{waiting.pk}/delete")
    assert declined.status_code == 302
    assert not Post.objects.filter(pk=waiting.pk).exists()
    assert not Notification.objects.filter(kind=Kind.GROUP_POST_PENDING).exists()


def test_switching_approval_off_publishes_what_was_waiting() -> None:
    group, p = _club(approve=True)
    post_actions.create_post(p["mia"], text="Puzzle of the week", group=group)
    muted_post = post_actions.create_post(p["max"], text="Spam spam spam", group=group)
    groups.mute_member(p["mo"], group, p["max"].pk, "1d")
    groups.update_group(
        p["olga"], group, name=group.name, description="", rules="",
        privacy=group.privacy, approve_posts=False,
    )  # fmt: skip
    run_jobs()
    assert _sees(p["otto"], Post.objects.get(text="Puzzle of the week"))
    # A muted author's post stays in the queue, for a moderator to decline.
    assert Post.objects.get(pk=muted_post.pk).held
    assert not post_actions.create_post(p["mia"], text="Next one", group=group).held


def test_a_held_post_cannot_leave_the_group_and_its_author_must_still_be_allowed_to_post() -> None:
    group, p = _club(approve=True)
    waiting = post_actions.create_post(p["mia"], text="Rook endgames (held)", group=group)
    # Its author cannot share or quote it to their followers before it is approved.
    with pytest.raises(ValidationError):
        post_actions.share(p["mia"], waiting)
    with pytest.raises(ValidationError):
        post_actions.create_post(p["mia"], text="Look", quote_of=waiting)
    own_page = text_of(_as(p["mia"]).get(f"/@mia/{waiting.pk}"))
    assert "Rook endgames" in own_page and f"/posts/{waiting.pk}/share" not in own_page
    groups.mute_member(p["mo"], group, p["mia"].pk, "1h")
    with pytest.raises(ValidationError, match="decline it instead"):
        groups.approve_post(p["olga"], waiting)
    groups.unmute_member(p["mo"], group, p["mia"].pk)
    # Banned: what they left waiting goes, with the moderators' notice of it.
    groups.ban(p["mo"], group, p["mia"].pk)
    assert not Post.objects.filter(pk=waiting.pk).exists()
    assert not Notification.objects.filter(kind=Kind.GROUP_POST_PENDING).exists()
    # Leaving takes one's waiting posts too.
    other = post_actions.create_post(p["max"], text="Simul on Sunday", group=group)
    groups.leave(p["max"], group)
    assert not Post.objects.filter(pk=other.pk).exists()


# --- pins, removing posts, muting ------------------------------------------------------


def test_moderators_pin_posts_to_the_top_of_the_group() -> None:
    group, p = _club()
    first = post_actions.create_post(p["mia"], text="Opening theory club (pin-marker)", group=group)
    later = [post_actions.create_post(p["max"], text=f"Game {n}", group=group) for n in range(3)]
    with pytest.raises(PermissionDenied):
        groups.pin_post(p["max"], first)
    pinned = _as(p["mo"]).post(f"/posts/{first.pk}/group-pin", {"next": "/g/chess"})
    assert pinned.status_code == 302
    page = text_of(_as(None).get("/g/chess"))
    # The pinned post comes first, above the newer ones, marked as pinned.
    assert page.index("pin-marker") < page.index("Game 2") and "📌 Pinned" in page
    assert "Unpin from the group" in text_of(_as(p["mo"]).get("/g/chess"))
    assert "Pin to the group" not in text_of(_as(p["max"]).get("/g/chess"))
    reply = post_actions.create_post(p["max"], text="Count me in", in_reply_to=first)
    with pytest.raises(ValidationError):
        groups.pin_post(p["mo"], reply)
    for post in later:
        groups.pin_post(p["mo"], post)
    extra = [post_actions.create_post(p["max"], text=f"Extra {n}", group=group) for n in range(2)]
    groups.pin_post(p["mo"], extra[0])
    with pytest.raises(ValidationError, match="unpin one first"):
        groups.pin_post(p["mo"], extra[1])
    _as(p["mo"]).post(f"/posts/{first.pk}/group-unpin")
    assert not GroupPin.objects.filter(post=first).exists()


def test_group_moderators_remove_posts_of_members_below_them_only() -> None:
    group, p = _club()
    owners = post_actions.create_post(p["olga"], text="Owner's notice (own-marker)", group=group)
    assert _as(p["mo"]).post(f"/posts/{owners.pk}/delete").status_code == 403
    post = post_actions.create_post(p["mia"], text="Off-topic advert", group=group)
    outside = post_actions.create_post(p["mia"], text="My own garden", visibility=0)
    assert "Remove from the group" in text_of(_as(p["mo"]).get("/g/chess"))
    assert _as(p["max"]).post(f"/posts/{post.pk}/delete").status_code == 403
    assert _as(p["mo"]).post(f"/posts/{outside.pk}/delete").status_code == 403
    removed = _as(p["mo"]).post(f"/posts/{post.pk}/delete")
    assert removed.status_code == 302 and removed["Location"] == "/g/chess"
    assert not Post.objects.filter(pk=post.pk).exists()
    assert Post.objects.filter(pk=outside.pk).exists()


def test_a_muted_member_reads_but_cannot_post_until_the_mute_ends() -> None:
    group, p = _club()
    post = post_actions.create_post(p["mo"], text="Tournament draw", group=group)
    muted = _as(p["mo"]).post("/g/chess/mute", {"member": p["max"].pk, "duration": "1d"})
    assert muted.status_code == 302
    assert "Muted until" in text_of(_as(p["mo"]).get("/g/chess/members"))
    with pytest.raises(ValidationError, match="muted you here"):
        post_actions.create_post(p["max"], text="Hello?", group=group)
    with pytest.raises(ValidationError, match="muted you here"):
        post_actions.create_post(p["max"], text="Reply", in_reply_to=post)
    assert _sees(p["max"], post)  # still reads the group
    # Nobody mutes someone of their own role or above; a bad duration is refused.
    with pytest.raises(PermissionDenied):
        groups.mute_member(p["mo"], group, p["olga"].pk, "1h")
    with pytest.raises(ValidationError):
        groups.mute_member(p["mo"], group, p["mia"].pk, "forever")
    _as(p["mo"]).post("/g/chess/mute", {"member": p["max"].pk, "lift": "1"})
    assert post_actions.create_post(p["max"], text="Back again", group=group).group_id == group.pk
    # A mute that has run out no longer holds.
    groups.mute_member(p["mo"], group, p["mia"].pk, "1h")
    Membership.objects.filter(member=p["mia"]).update(muted_until="2020-01-01T00:00:00Z")
    assert post_actions.create_post(p["mia"], text="After the mute", group=group)


# --- settings, roles, deleting --------------------------------------------------------


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (30, 90, 160)).save(buffer, "PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), content_type="image/png")


def test_admins_edit_the_group_and_privacy_only_becomes_more_private() -> None:
    group, p = _club(GroupPrivacy.PRIVATE)
    assert _as(p["mo"]).get("/g/chess/settings").status_code == 403
    form = {"name": "Chess Society", "privacy": "0", "description": "Weekly games", "rules": ""}
    refused = _as(p["olga"]).post("/g/chess/settings", form)
    assert refused.status_code == 400 and "never less" in text_of(refused)
    saved = _as(p["olga"]).post(
        "/g/chess/settings",
        {**form, "privacy": "2", "approve_posts": "on", "cover": _png()},
    )
    assert saved.status_code == 302
    group.refresh_from_db()
    assert group.privacy == GroupPrivacy.SECRET and group.approve_posts and group.cover
    assert group.description_html and "Weekly games" in group.description_html
    assert group.cover in text_of(_as(p["mia"]).get("/g/chess"))
    # A secret group stays secret: its members joined a group nobody could find.
    with pytest.raises(ValidationError, match="never less"):
        groups.update_group(
            p["olga"], group, name=group.name, description="", rules="",
            privacy=GroupPrivacy.PRIVATE, approve_posts=False,
        )  # fmt: skip
    bad = _as(p["olga"]).post(
        "/g/chess/settings",
        {**form, "privacy": "2",
         "cover": SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")},
    )  # fmt: skip
    assert bad.status_code == 400


def test_the_owner_hands_the_group_over_and_admins_give_roles() -> None:
    group, p = _club()
    made = _as(p["olga"]).post("/g/chess/role", {"member": p["mia"].pk, "role": "2"})
    assert made.status_code == 302
    assert Membership.objects.get(member=p["mia"]).role == Role.ADMIN
    # An admin cannot make admins, nor change the owner's role.
    _as(p["mia"]).post("/g/chess/role", {"member": p["max"].pk, "role": "2"})
    assert Membership.objects.get(member=p["max"]).role == Role.MEMBER
    _as(p["mia"]).post("/g/chess/role", {"member": p["max"].pk, "role": "1"})
    assert Membership.objects.get(member=p["max"]).role == Role.MODERATOR
    _as(p["olga"]).post("/g/chess/role", {"member": p["mia"].pk, "role": "3"})
    assert Membership.objects.get(member=p["mia"]).role == Role.OWNER
    assert Membership.objects.get(member=p["olga"]).role == Role.ADMIN
    assert _as(p["olga"]).post("/g/chess/role", {"member": "x", "role": "9"}).status_code == 302


def test_the_owner_deletes_the_group_with_its_posts() -> None:
    group, p = _club()
    post = post_actions.create_post(p["mia"], text="Last game", group=group)
    reply = post_actions.create_post(p["max"], text="GG", in_reply_to=post)
    outside = post_actions.create_post(p["mia"], text="Elsewhere", visibility=0)
    run_jobs()
    assert _as(p["mo"]).get("/g/chess/delete").status_code == 403
    with pytest.raises(PermissionDenied):
        groups.delete_group(p["mo"], group, confirm_handle="chess")
    page = text_of(_as(p["olga"]).get("/g/chess/delete"))
    assert "2 posts" in page and "cannot be undone" in page
    wrong = _as(p["olga"]).post("/g/chess/delete", {"confirm": "checkers"})
    assert wrong.status_code == 400 and Group.objects.filter(pk=group.pk).exists()
    done = _as(p["olga"]).post("/g/chess/delete", {"confirm": "@Chess"})
    assert done.status_code == 302 and done["Location"] == "/groups"
    assert not Group.objects.filter(pk=group.pk).exists()
    assert not Post.objects.filter(pk__in=[post.pk, reply.pk]).exists()
    assert not Membership.objects.filter(group_id=group.pk).exists()
    assert Post.objects.filter(pk=outside.pk).exists()
    assert _as(p["mia"]).get("/g/chess").status_code == 404
    assert "Last game" not in text_of(_as(p["max"]).get("/"))


def test_leaving_says_what_happens_to_ones_posts() -> None:
    group, p = _club()
    page = text_of(_as(p["mia"]).get("/g/chess"))
    assert "Your posts and replies stay in the group" in page


# --- notifications --------------------------------------------------------------------


def test_moderators_hear_of_requests_and_members_of_invitations_and_answers() -> None:
    group, p = _club(GroupPrivacy.PRIVATE)
    groups.join(p["otto"], group)
    asked = Notification.objects.filter(kind=Kind.GROUP_REQUEST, actor=p["otto"], group=group)
    assert sorted(asked.values_list("recipient__username", flat=True)) == ["mo", "olga"]
    page = text_of(_as(p["olga"]).get("/notifications"))
    assert "asked to join" in page and "Chess Society" in page and "Answer requests" in page
    groups.answer_request(p["mo"], group, p["otto"].pk, accept=True)
    assert not asked.exists()
    assert Notification.objects.filter(
        kind=Kind.GROUP_ACCEPTED, recipient=p["otto"], group=group
    ).exists()
    newcomer = make_user("nina")
    groups.invite(p["mia"], group, newcomer)
    invited = Notification.objects.filter(kind=Kind.GROUP_INVITE, recipient=newcomer)
    assert invited.exists()
    assert "invited you to join" in text_of(_as(newcomer).get("/notifications"))
    groups.join(newcomer, group)
    assert not invited.exists()
    # A withdrawn request takes its notice with it.
    late = make_user("lena")
    groups.join(late, group)
    groups.leave(late, group)
    assert not Notification.objects.filter(kind=Kind.GROUP_REQUEST, actor=late).exists()


def test_a_request_notice_email_leads_to_the_members_page() -> None:
    from townsquare.notifications import emails

    group, p = _club(GroupPrivacy.PRIVATE)
    groups.join(p["otto"], group)
    notice = Notification.objects.get(kind=Kind.GROUP_REQUEST, recipient=p["olga"])
    line = emails._line(p["olga"], notice)
    assert line["summary"] == "otto asked to join Chess Society"
    assert line["link"].endswith("/g/chess/members")
    assert Membership.objects.get(member=p["otto"]).state == MembershipState.REQUESTED


def test_a_group_is_created_with_its_cover() -> None:
    olga = make_user("olga")
    made = _as(olga).post(
        "/groups/new",
        {"name": "Chess Society", "handle": "chess", "privacy": "0", "cover": _png()},
    )
    assert made.status_code == 302
    group = Group.objects.get(handle="chess")
    assert group.cover and group.cover in text_of(_as(None).get("/g/chess"))
    bad = _as(olga).post(
        "/groups/new",
        {"name": "Draughts", "handle": "draughts", "privacy": "0",
         "cover": SimpleUploadedFile("x.png", b"not a picture", content_type="image/png")},
    )  # fmt: skip
    assert bad.status_code == 400 and not Group.objects.filter(handle="draughts").exists()
