"""The site's moderators limit, freeze or suspend a GROUP from a group case (not its creator's
account): the state on the group, the Enforcement record, the statement of reasons addressed to
the group's admins, the audit entry, the email, the case resolved; each state's effect on the
web and the API, decided in one place; expiry, lift, permission and bad input. And a page case
acts on the page's account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.api.conftest import make_token
from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.communities import actions as groups
from townsquare.communities import queries as group_queries
from townsquare.communities.actions import pages
from townsquare.communities.models import Group, GroupPrivacy, Membership, MembershipState, Role
from townsquare.moderation import actions, decisions, enforcement, statements
from townsquare.moderation.models import (
    AuditEntry,
    Case,
    CaseState,
    Enforcement,
    ReportCategory,
    Statement,
    Strike,
)
from townsquare.posts import actions as post_actions
from townsquare.posts import queries
from townsquare.posts.models import Post
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db

MARK = "zq-marker"


@pytest.fixture
def rowan() -> User:
    """The site's moderator."""
    return make_user("rowan", role="moderator")


@pytest.fixture
def rule() -> Rule:
    return Rule.objects.create(text="Be kind to other gardeners.", position=1)


class World:
    def __init__(self) -> None:
        self.owner = make_user("ana")
        self.group = groups.create_group(
            self.owner, name="Gardening club", handle="gardening", privacy=GroupPrivacy.PUBLIC
        )
        self.admin = make_user("bea")
        self.member = make_user("cal")
        self.outsider = make_user("dan")
        Membership.objects.create(group=self.group, member=self.admin, role=Role.ADMIN)
        Membership.objects.create(group=self.group, member=self.member)
        self.post = post_actions.create_post(
            self.owner, text=f"Tomato seedlings to swap #seedswap {MARK}", group=self.group
        )
        run_jobs()
        self.case = actions.report_group(
            self.outsider, self.group.pk, category=ReportCategory.SPAM
        ).case

    def fresh_group(self) -> Group:
        return Group.objects.get(pk=self.group.pk)

    def fresh_post(self) -> Post:
        return Post.objects.select_related("author").get(pk=self.post.pk)


@pytest.fixture
def world() -> World:
    return World()


def _act(moderator: User, case: Case, rule: Rule, action: str, **extra: object) -> Statement:
    fields: dict = {
        "action": action,
        "duration": "7d",
        "ground": "rule",
        "rule_id": rule.pk,
        "explanation": "The club kept posting adverts.",
        "severity": 2,
    }
    fields.update(extra)
    return decisions.act_on_case(moderator, case.pk, **fields)


def _sees(viewer: User | None, post: Post) -> bool:
    """The three forms of the visibility rule agree; the answer."""
    fresh = Post.objects.select_related("author").get(pk=post.pk)
    answers = set()
    for who in [viewer] if viewer else [None, AnonymousUser()]:
        answers.add(queries.can_see(who, fresh))
        answers.add(queries.visible_to(who).filter(pk=post.pk).exists())
        answers.add(bool(queries.list_posts(who, where="p.id = %s", params=[post.pk])))
    assert len(answers) == 1, answers
    return answers.pop()


# --- deciding -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "column"),
    [("limit", "limited_until"), ("freeze", "frozen_until"), ("suspend", "suspended_until")],
)
def test_a_group_decision_acts_on_the_group_and_writes_everything(
    world: World, rowan: User, rule: Rule, action: str, column: str
) -> None:
    mail.outbox.clear()
    statement = _act(rowan, world.case, rule, action)
    run_jobs()
    group = world.fresh_group()
    until = getattr(group, column)
    assert until is not None and until > timezone.now() + timedelta(days=6)
    owner = User.objects.get(pk=world.owner.pk)
    assert not (owner.is_limited or owner.is_frozen or owner.is_suspended)
    record = Enforcement.objects.get(group=group)
    assert record.kind == action and record.account_id == world.owner.pk
    assert enforcement.in_force(owner) == []  # not the owner's restriction
    # The statement, addressed to the group's admins.
    assert statement.group_id == group.pk and statement.account_id == world.owner.pk
    assert list(statement.enforcements.all()) == [record]
    assert statement.content_type == ["CONTENT_TYPE_OTHER"]
    assert statement.content_type_other == "group"
    assert statement.decision_visibility and statement.decision_account == ""
    assert statement.end_date_visibility_restriction == record.ends_at
    assert statements.may_read(world.admin, statement)
    assert not statements.may_read(world.member, statement)
    data = statements.as_dsa(statement)
    assert data["content_type_other"] == "group"
    # No strikes on anyone (severity 2 was chosen); the audit entry; the case resolved; the
    # admins emailed.
    assert not Strike.objects.exists()
    entry = AuditEntry.objects.filter(action="case.act").get()
    assert entry.after["group"] == group.pk
    assert Case.objects.get(pk=world.case.pk).state == CaseState.RESOLVED
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "bea@example.org"]
    assert "Gardening club" in mail.outbox[0].subject


def test_group_case_refuses_post_actions_and_unknown_actions(
    world: World, rowan: User, rule: Rule
) -> None:
    with pytest.raises(ValidationError, match="For a group"):
        _act(rowan, world.case, rule, "remove")
    with pytest.raises(ValidationError, match="Choose an action"):
        _act(rowan, world.case, rule, "banish")
    assert Case.objects.get(pk=world.case.pk).state == CaseState.OPEN
    assert not Enforcement.objects.exists() and not Statement.objects.exists()


def test_a_member_without_moderate_content_is_refused(world: World, rule: Rule) -> None:
    with pytest.raises(PermissionDenied):
        _act(world.member, world.case, rule, "suspend")
    response = client_of(world.member).post(
        f"/admin/moderation/{world.case.pk}/act",
        {"action": "suspend", "duration": "", "ground": f"rule:{rule.pk}", "explanation": "x"},
    )
    assert response.status_code in (302, 403, 404)
    assert world.fresh_group().suspended_until is None


def test_a_warning_restricts_nothing(world: World, rowan: User, rule: Rule) -> None:
    statement = _act(rowan, world.case, rule, "warn")
    assert statement.group_id == world.group.pk and not statement.enforcements.exists()
    assert not world.fresh_group().is_limited


def test_bulk_act_over_group_cases(world: World, rowan: User, rule: Rule) -> None:
    other = groups.create_group(world.admin, name="Chess society", handle="chess")
    second = actions.report_group(world.outsider, other.pk, category=ReportCategory.SPAM).case
    done = decisions.bulk_act(
        rowan,
        [world.case.pk, second.pk],
        action="freeze",
        duration="",
        ground="rule",
        rule_id=rule.pk,
        explanation="Read-only while we look into it.",
    )
    assert done == 2
    assert world.fresh_group().frozen_until == enforcement.FOREVER
    assert Group.objects.get(pk=other.pk).frozen_until == enforcement.FOREVER


def test_the_case_page_offers_group_actions_and_lift(world: World, rowan: User, rule: Rule) -> None:
    web = client_of(rowan)
    page = text_of(web.get(f"/admin/moderation/{world.case.pk}"))
    assert "Group suspended" in page and "Post removed" not in page
    response = web.post(
        f"/admin/moderation/{world.case.pk}/act",
        {
            "action": "suspend",
            "duration": "1d",
            "ground": f"rule:{rule.pk}",
            "explanation": "Spam club.",
            "severity": "1",
        },
    )
    assert response.status_code == 302
    assert world.fresh_group().is_suspended
    record = Enforcement.objects.get(group=world.group)
    page = text_of(web.get(f"/admin/moderation/{world.case.pk}"))
    assert "Actions in force against the group" in page and str(record.pk) in page
    assert (
        web.post(f"/admin/moderation/{world.case.pk}/lift", {"enforcement": record.pk}).status_code
        == 302
    )
    assert not world.fresh_group().is_suspended
    # Lifting twice: a clear error, nothing breaks.
    response = web.post(
        f"/admin/moderation/{world.case.pk}/lift", {"enforcement": record.pk}, follow=True
    )
    assert "already lifted" in text_of(response)
    with pytest.raises(ValidationError, match="already lifted"):
        decisions.lift(rowan, record.pk)
    assert AuditEntry.objects.filter(action="enforcement.lift").count() == 1


# --- effects --------------------------------------------------------------------------------


def test_a_limited_group_leaves_the_directory_and_its_posts_are_for_members(
    world: World, rowan: User, rule: Rule
) -> None:
    assert world.group in group_queries.directory(None)
    assert _sees(None, world.post) and _sees(world.outsider, world.post)
    _act(rowan, world.case, rule, "limit")
    assert world.fresh_group() not in group_queries.directory(None)
    assert "Gardening club" not in text_of(Client().get("/groups"))
    assert not _sees(None, world.post) and not _sees(world.outsider, world.post)
    assert _sees(world.member, world.post) and _sees(rowan, world.post)
    for who, want in ((world.outsider, False), (world.member, True)):
        web = client_of(who)
        assert (MARK in text_of(web.get("/search", {"q": "seedlings", "type": "posts"}))) is want
        if not want:  # (group posts stay off tag pages in any case)
            assert MARK not in text_of(web.get("/tags/seedswap"))
        assert MARK not in text_of(web.get("/public"))
    assert MARK in text_of(client_of(world.member).get("/g/gardening"))
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.outsider)}")
    assert api.get(f"/api/v1/statuses/{world.post.pk}").status_code == 404
    assert MARK not in text_of(api.get("/api/v1/timelines/tag/seedswap"))
    member_api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.member)}")
    assert member_api.get(f"/api/v1/statuses/{world.post.pk}").status_code == 200


def test_a_frozen_group_is_read_only(world: World, rowan: User, rule: Rule) -> None:
    _act(rowan, world.case, rule, "freeze")
    with pytest.raises(ValidationError, match="read-only"):
        post_actions.create_post(world.member, text="Any spare trowels?", group=world.group)
    with pytest.raises(ValidationError, match="read-only"):
        post_actions.create_post(world.member, text="Yes please", in_reply_to=world.post)
    with pytest.raises(ValidationError, match="read-only"):
        groups.join(world.outsider, world.group)
    with pytest.raises(ValidationError, match="read-only"):
        groups.invite(world.member, world.group, world.outsider)
    # The web: a form error, not a 500; members still read.
    web = client_of(world.member)
    response = web.post(
        "/posts", {"text": "Any spare trowels?", "group": world.group.pk, "visibility": "0"}
    )
    assert response.status_code == 400 and "read-only" in text_of(response)
    response = client_of(world.outsider).post("/g/gardening/join", follow=True)
    assert response.status_code == 200 and "read-only" in text_of(response)
    assert not Membership.objects.filter(group=world.group, member=world.outsider).exists()
    assert MARK in text_of(web.get("/g/gardening"))
    # The API: a 4xx JSON error.
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.member)}")
    response = api.post(
        "/api/v1/statuses", {"status": "Yes please", "in_reply_to_id": str(world.post.pk)}
    )
    assert 400 <= response.status_code < 500 and "error" in response.json()
    assert api.get(f"/api/v1/statuses/{world.post.pk}").status_code == 200


def test_a_suspended_group_answers_the_suspension_page_and_its_posts_are_hidden(
    world: World, rowan: User, rule: Rule
) -> None:
    _act(rowan, world.case, rule, "suspend")
    for who in (None, world.outsider, world.member, world.owner):
        web = client_of(who)
        response = web.get("/g/gardening")
        assert response.status_code == 410 and "Group suspended" in text_of(response)
        assert MARK not in text_of(response)
        assert web.get("/g/gardening/members").status_code == 410
        if who is not None:
            assert MARK not in text_of(web.get("/"))
            assert not _sees(who, world.post)
    assert web.get(f"/@ana/{world.post.pk}").status_code == 404
    assert client_of(world.owner).get("/g/gardening/settings").status_code == 410
    staff = client_of(rowan).get("/g/gardening")
    assert staff.status_code == 200
    assert world.fresh_group() not in group_queries.directory(None)
    with pytest.raises(ValidationError, match="read-only"):
        post_actions.create_post(world.member, text="Hello?", group=world.group)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(world.member)}")
    assert api.get(f"/api/v1/statuses/{world.post.pk}").status_code == 404
    assert api.get(f"/api/v1/statuses/{world.post.pk}/context").status_code == 404
    assert MARK not in text_of(api.get("/api/v1/timelines/home"))


def test_a_time_limited_action_expires_by_itself(world: World, rowan: User, rule: Rule) -> None:
    _act(rowan, world.case, rule, "suspend", duration="1d")
    assert not _sees(world.member, world.post)
    Group.objects.filter(pk=world.group.pk).update(
        suspended_until=timezone.now() - timedelta(seconds=1)
    )
    assert _sees(world.member, world.post) and _sees(None, world.post)
    assert client_of(None).get("/g/gardening").status_code == 200
    post_actions.create_post(world.member, text="Back to the seedlings", group=world.group)


def test_lift_restores_the_group_and_keeps_other_restrictions(
    world: World, rowan: User, rule: Rule
) -> None:
    _act(rowan, world.case, rule, "limit", duration="")
    second = actions.report_group(world.outsider, world.group.pk, category=ReportCategory.SPAM)
    _act(rowan, second.case, rule, "freeze", duration="30d")
    limit = Enforcement.objects.get(group=world.group, kind="limit")
    assert world.fresh_group().limited_until == enforcement.FOREVER
    decisions.lift(rowan, limit.pk)
    group = world.fresh_group()
    assert group.limited_until is None and group.is_frozen
    assert _sees(None, world.post)
    statement = Statement.objects.get(enforcements=limit)
    assert statements.lifted_at(statement) is not None
    with pytest.raises(ValidationError, match="already lifted"):
        decisions.lift(rowan, limit.pk)
    with pytest.raises(ValidationError, match="does not exist"):
        decisions.lift(rowan, 12345)


def test_a_group_record_never_restricts_the_owner_account(
    world: World, rowan: User, rule: Rule
) -> None:
    _act(rowan, world.case, rule, "suspend", duration="")
    # Another decision on the owner's own account refreshes their state from their records.
    other = make_post(world.owner, "My own tomatoes")
    case = actions.report_post(world.outsider, other.pk, category=ReportCategory.SPAM).case
    _act(rowan, case, rule, "limit", duration="1d", severity=0)
    owner = User.objects.get(pk=world.owner.pk)
    assert owner.is_limited and not owner.is_suspended


# --- pages ----------------------------------------------------------------------------------


def _page(owner: User) -> User:
    return pages.create_page(owner, name="Chess society", handle="chesssociety", category="club")


def test_a_page_case_acts_on_the_pages_account(rowan: User, rule: Rule) -> None:
    owner = make_user("ana")
    page = _page(owner)
    case = actions.report(make_user("dan"), "page", page.pk, category=ReportCategory.SPAM).case
    assert case.kind == "page" and case.account_id == page.pk
    web = client_of(rowan)
    assert "Account suspended" in text_of(web.get(f"/admin/moderation/{case.pk}"))
    statement = _act(rowan, case, rule, "suspend")
    assert statement.account_id == page.pk and statement.account_type == "ACCOUNT_TYPE_BUSINESS"
    assert User.objects.get(pk=page.pk).is_suspended
    assert not User.objects.get(pk=owner.pk).is_suspended
    response = Client().get("/@chesssociety")
    assert response.status_code == 410 and "Account suspended" in text_of(response)


def test_a_limited_pages_posts_leave_the_public_timeline(rowan: User, rule: Rule) -> None:
    owner = make_user("ana")
    page = _page(owner)
    post_actions.create_post(page, text=f"Club night on Thursday {MARK}")
    run_jobs()
    assert MARK in text_of(Client().get("/public"))
    case = actions.report(make_user("dan"), "page", page.pk, category=ReportCategory.SPAM).case
    _act(rowan, case, rule, "limit")
    assert MARK not in text_of(Client().get("/public"))
    assert MARK not in text_of(client_of(make_user("eve")).get("/public"))
    assert Membership.objects.filter(state=MembershipState.MEMBER).count() == 0
