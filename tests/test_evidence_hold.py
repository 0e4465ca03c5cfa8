"""The evidence hold: what moderators took down stays, hidden, for the operator's number of
days, then is deleted for good; restored posts stay; the records of decisions stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.conftest import client_of
from tests.factories import make_post, make_user, run_jobs
from townsquare.accounts.models import AccountDeletion, User
from townsquare.moderation import actions, decisions, enforcement, evidence
from townsquare.moderation.models import Enforcement, ReportCategory, Statement
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post
from townsquare.site import actions as site_actions
from townsquare.site import state as site_state
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rowan() -> User:
    """The gardening club's moderator."""
    return make_user("rowan", role="moderator")


def _later(days: int) -> timezone.datetime:
    return timezone.now() + timedelta(days=days)


def test_a_removed_post_is_kept_hidden_during_the_hold_then_deleted(rowan: User) -> None:
    ivy = make_user("ivy")
    basil = make_user("basil")
    question = make_post(basil, "Who has spare tomato seedlings?")
    reply = post_actions.create_post(ivy, text="Buy my seeds elsewhere!", in_reply_to=question)
    question.refresh_from_db()
    assert question.replies_count == 1
    enforcement.remove_post(rowan, reply, "Against the club's rules.")
    record = Enforcement.objects.get(post_id=reply.pk)

    assert evidence.purge_expired(now=_later(179)).posts == 0
    kept = Post.objects.get(pk=reply.pk)  # still there for a lawful request
    assert kept.removed_at is not None
    assert client_of(basil).get(f"/@basil/{question.pk}").status_code == 200
    assert client_of(basil).get(f"/@ivy/{reply.pk}").status_code == 404  # and hidden

    assert evidence.purge_expired(now=_later(181)).posts == 1
    assert not Post.objects.filter(pk=reply.pk).exists()
    question.refresh_from_db()
    assert question.replies_count == 0  # counted out as the author's deletion does
    assert Enforcement.objects.filter(pk=record.pk).exists()  # the record stays
    assert Post.objects.filter(pk=question.pk).exists()


def test_a_restored_post_is_not_deleted(rowan: User) -> None:
    ivy = make_user("ivy")
    post = make_post(ivy, "Our allotment open day is on Saturday.")
    record = enforcement.remove_post(rowan, post, "By mistake.")
    enforcement.lift(rowan, record)
    assert evidence.purge_expired(now=_later(400)).posts == 0
    assert Post.objects.filter(pk=post.pk, removed_at__isnull=True).exists()


def test_running_twice_does_no_harm(rowan: User) -> None:
    ivy = make_user("ivy")
    posts = [make_post(ivy, f"Seed swap number {n}") for n in range(3)]
    for post in posts:
        enforcement.remove_post(rowan, post)
    keep = make_post(ivy, "The compost heap is warm again.")
    assert evidence.purge_expired(now=_later(181)).posts == 3
    assert evidence.purge_expired(now=_later(181)).posts == 0
    assert list(Post.objects.filter(author=ivy)) == [keep]


def test_the_period_follows_the_setting(rowan: User) -> None:
    site_actions.update_settings(None, evidence_hold_days=10)
    post = make_post(make_user("ivy"), "Selling raffle tickets again.")
    enforcement.remove_post(rowan, post)
    assert evidence.purge_expired(now=_later(9)).posts == 0
    assert evidence.purge_expired(now=_later(11)).posts == 1


def _suspend(moderator: User, member: User) -> Statement:
    rule = Rule.objects.create(text="Be kind to other gardeners.", position=1)
    post = make_post(member, "Come to my other club instead!")
    case = actions.report_post(make_user(), post.pk, category=ReportCategory.SPAM).case
    return decisions.act_on_case(
        moderator,
        case.pk,
        action="suspend",
        duration="",
        ground="rule",
        rule_id=rule.pk,
        explanation="Repeated advertising.",
    )


def test_a_long_suspended_accounts_content_goes_and_its_statements_stay(rowan: User) -> None:
    ivy = make_user("ivy")
    basil = make_user("basil")
    statement = _suspend(rowan, ivy)
    make_post(ivy, "My pumpkin is the biggest.")
    make_post(basil, "Lovely weather for weeding.")

    assert evidence.purge_expired(now=_later(179)).accounts == 0
    run_jobs()
    assert Post.objects.filter(author=ivy).count() == 2  # kept, hidden, during the hold

    assert evidence.purge_expired(now=_later(181)).accounts == 1
    assert evidence.purge_expired(now=_later(181)).accounts == 0  # once is enough
    run_jobs()
    assert not Post.objects.filter(author=ivy).exists()
    assert AccountDeletion.objects.get(member=ivy).deleted_at is not None
    assert Statement.objects.filter(pk=statement.pk, account=ivy).exists()
    assert Enforcement.objects.filter(account=ivy, kind="suspend").exists()
    assert Post.objects.filter(author=basil).count() == 1


def test_a_time_limited_or_lifted_suspension_keeps_the_content(rowan: User) -> None:
    ivy = make_user("ivy")
    make_post(ivy, "Tulip bulbs are in.")
    enforcement.suspend_account(rowan, ivy, duration=timedelta(days=365))
    fern = make_user("fern")
    make_post(fern, "Mulching the roses.")
    record = enforcement.suspend_account(rowan, fern)
    enforcement.lift(rowan, record)
    assert evidence.purge_expired(now=_later(400)).accounts == 0
    run_jobs()
    assert Post.objects.filter(author__in=[ivy, fern]).count() == 2
    assert not AccountDeletion.objects.exists()


@pytest.mark.parametrize("value", [-1, 3651, "many", "12.5"])
def test_the_setting_refuses_values_out_of_range(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        site_actions.update_settings(None, evidence_hold_days=value)
    assert "evidence_hold_days" in caught.value.message_dict
    assert site_state.site_settings().evidence_hold_days == 180


def test_the_setting_is_on_the_settings_page_for_admins() -> None:
    admin = make_user("sage", role="admin")
    site_actions.update_settings(admin, evidence_hold_days=0)
    assert site_state.site_settings().evidence_hold_days == 0
    page = client_of(admin).get("/admin/settings")
    assert page.status_code == 200
    assert 'name="evidence_hold_days"' in page.content.decode()
    moderator = make_user("rowan", role="moderator")
    with pytest.raises(Exception, match="may not change"):
        site_actions.update_settings(moderator, evidence_hold_days=30)


def test_staff_read_removed_content_on_the_case_page_until_the_hold_is_over(
    rowan: User,
) -> None:
    rule = Rule.objects.create(text="Be kind to other gardeners.", position=1)
    post = make_post(make_user("ivy"), "Buy my magic fertiliser!")
    case = actions.report_post(make_user(), post.pk, category=ReportCategory.SPAM).case
    decisions.act_on_case(
        rowan, case.pk, action="remove", ground="rule", rule_id=rule.pk, explanation="Adverts."
    )
    browser = client_of(rowan)
    assert "magic fertiliser" in browser.get(f"/admin/moderation/{case.pk}").content.decode()
    assert evidence.purge_expired(now=_later(181)).posts == 1
    page = browser.get(f"/admin/moderation/{case.pk}")
    assert page.status_code == 200  # the case and its record stay, without the content
    assert "magic fertiliser" not in page.content.decode()
