"""Members reporting a post (or a comment), an account, a message, a group or a page to the
moderators, from the web and the Mastodon API: what may be reported by whom, and how reports
about the same thing join one case."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.http import Http404

from tests.api.conftest import api_as
from tests.conftest import client_of, text_of
from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.communities.actions import create_group
from townsquare.communities.actions.pages import create_page
from townsquare.communities.models import GroupPrivacy
from townsquare.messaging import actions as message_actions
from townsquare.moderation import actions
from townsquare.moderation.models import Case, CaseState, Report, ReportCategory, TargetKind
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility
from townsquare.site.models import Rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def ivy() -> User:
    return make_user("ivy")


def test_reporting_a_post_opens_a_case_about_it(fern: User, ivy: User) -> None:
    post = make_post(ivy, "Cheap seeds, click here!")
    report = actions.report_post(fern, post.pk, category=ReportCategory.SPAM, comment="Adverts.")
    case = report.case
    assert case is not None and case.kind == TargetKind.POST and case.target_id == post.pk
    assert case.account_id == ivy.pk and case.state == CaseState.OPEN
    assert case.report_count == 1
    assert report.target_id == ivy.pk and report.post_ids == [post.pk]
    assert report.comment == "Adverts."


def test_a_comment_is_a_reply_post(fern: User, ivy: User) -> None:
    root = make_post(fern, "Who has spare tomato seedlings?")
    reply = post_actions.create_post(ivy, text="Buy mine, very cheap!", in_reply_to=root)
    report = actions.report_post(fern, reply.pk, category=ReportCategory.SPAM)
    assert report.case.kind == TargetKind.POST and report.case.target_id == reply.pk


def test_reporting_a_share_reports_the_post_shared(fern: User, ivy: User) -> None:
    moss = make_user("moss")
    original = make_post(ivy, "A rude remark about the allotments.")
    share = post_actions.share(moss, original)
    report = actions.report_post(fern, share.pk, category=ReportCategory.HARASSMENT)
    assert report.case.target_id == original.pk and report.target_id == ivy.pk


def test_reporting_an_account_a_page_and_a_group(fern: User, ivy: User) -> None:
    account = actions.report_account(fern, ivy.pk, category=ReportCategory.OTHER)
    assert account.case.kind == TargetKind.ACCOUNT and account.case.target_id == ivy.pk

    page = create_page(ivy, name="Seed Swap", handle="seedswap", category="Club")
    as_account = actions.report_account(fern, page.pk)
    assert as_account.case.kind == TargetKind.PAGE  # a page is an account that is a page
    as_page = actions.report(fern, TargetKind.PAGE, page.pk, category=ReportCategory.SPAM)
    assert as_page.case_id == as_account.case_id
    with pytest.raises(Http404):
        actions.report(fern, TargetKind.PAGE, ivy.pk)  # ivy is not a page

    group = create_group(ivy, name="Compost Corner", handle="compost")
    report = actions.report_group(fern, group.pk, category=ReportCategory.HATE, comment="Slurs.")
    assert report.case.kind == TargetKind.GROUP and report.case.account_id == ivy.pk


def test_a_secret_group_is_reported_only_by_those_who_know_it(fern: User, ivy: User) -> None:
    group = create_group(ivy, name="Rose Society", handle="roses", privacy=GroupPrivacy.SECRET)
    with pytest.raises(Http404):
        actions.report_group(fern, group.pk)
    with pytest.raises(ValidationError):
        actions.report_group(ivy, group.pk)  # their own


def test_a_message_is_reported_by_a_participant_only(fern: User, ivy: User) -> None:
    message = message_actions.start_conversation(ivy, [fern], "Come to the chess club tonight!")
    report = actions.report_message(fern, message.pk, category=ReportCategory.HARASSMENT)
    assert report.case.kind == TargetKind.MESSAGE and report.case.account_id == ivy.pk

    outsider = make_user("moss")
    with pytest.raises(Http404):
        actions.report_message(outsider, message.pk)
    with pytest.raises(ValidationError):
        actions.report_message(ivy, message.pk)  # one's own message


def test_what_the_reporter_cannot_see_is_not_found(fern: User, ivy: User) -> None:
    hidden = make_post(ivy, "For my followers only.", Visibility.FOLLOWERS)
    with pytest.raises(Http404):
        actions.report_post(fern, hidden.pk)
    with pytest.raises(Http404):
        actions.report_post(fern, 123456789)
    with pytest.raises(Http404):
        actions.report(fern, "planet", ivy.pk)
    ivy.is_active = False
    ivy.save(update_fields=["is_active"])
    with pytest.raises(Http404):
        actions.report_account(fern, ivy.pk)
    assert Report.objects.count() == 0 and Case.objects.count() == 0


def test_nobody_reports_themselves(fern: User) -> None:
    own = make_post(fern, "My own marrow.")
    with pytest.raises(ValidationError):
        actions.report_post(fern, own.pk)
    with pytest.raises(ValidationError):
        actions.report_account(fern, fern.pk)
    assert Report.objects.count() == 0


def test_a_rule_violation_names_the_sites_rules(fern: User, ivy: User) -> None:
    rule = Rule.objects.create(text="Be kind to other gardeners.")
    post = make_post(ivy, "Your roses are ugly.")
    with pytest.raises(ValidationError):
        actions.report_post(fern, post.pk, category=ReportCategory.VIOLATION)
    with pytest.raises(ValidationError):
        actions.report_post(fern, post.pk, rule_ids=["99"])
    report = actions.report_post(fern, post.pk, rule_ids=[str(rule.pk)])
    assert report.category == ReportCategory.VIOLATION and report.rule_ids == [str(rule.pk)]


def test_duplicate_reports_join_one_open_case(fern: User, ivy: User) -> None:
    post = make_post(ivy, "Free fertiliser, send your bank details.")
    moss, rowan = make_user("moss"), make_user("rowan")
    first = actions.report_post(fern, post.pk, category=ReportCategory.SPAM)
    second = actions.report_post(moss, post.pk, category=ReportCategory.LEGAL)
    third = actions.report_post(rowan, post.pk, category=ReportCategory.SPAM)
    assert first.case_id == second.case_id == third.case_id
    case = Case.objects.get(pk=first.case_id)
    assert case.report_count == 3
    # Once decided, a new report opens a new case.
    Case.objects.filter(pk=case.pk).update(state=CaseState.DISMISSED)
    later = actions.report_post(fern, post.pk, category=ReportCategory.SPAM)
    assert later.case_id != case.pk
    assert Case.objects.filter(kind=TargetKind.POST, target_id=post.pk).count() == 2


def test_priority_puts_harm_first_then_the_number_of_reports(fern: User, ivy: User) -> None:
    moss = make_user("moss")
    spam = make_post(ivy, "Seeds for sale.")
    harm = make_post(ivy, "A worrying post.")
    actions.report_post(fern, spam.pk, category=ReportCategory.SPAM)
    actions.report_post(moss, spam.pk, category=ReportCategory.SPAM)
    actions.report_post(fern, harm.pk, category=ReportCategory.SELF_HARM)
    spam_case = Case.objects.get(target_id=spam.pk)
    harm_case = Case.objects.get(target_id=harm.pk)
    assert harm_case.priority > spam_case.priority
    assert actions.priority_of(["spam"], 3) > actions.priority_of(["spam"], 2)
    assert actions.priority_of(["hate"], 1) > actions.priority_of(["spam", "other"], 50)
    for category in ("legal", "violence", "self_harm", "sexual"):
        assert actions.priority_of([category], 1) > actions.priority_of(["harassment"], 99)


@pytest.mark.django_db(transaction=True)
def test_reports_at_the_same_moment_make_one_case(database_vendor: str) -> None:
    if database_vendor == "sqlite":
        pytest.skip("SQLite runs one writer at a time: no race to test")
    author = make_user("ivy")
    post = make_post(author, "A heated chess debate.")
    reporters = [make_user(f"player{i}") for i in range(6)]
    barrier = threading.Barrier(len(reporters))
    errors: list[BaseException] = []

    def file(reporter: User) -> None:
        try:
            barrier.wait()
            actions.report_post(reporter, post.pk, category=ReportCategory.HARASSMENT)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=file, args=(r,)) for r in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    cases = Case.objects.filter(kind=TargetKind.POST, target_id=post.pk)
    assert cases.count() == 1 and cases.get().report_count == len(reporters)


def test_reporting_is_rate_limited(fern: User, ivy: User, monkeypatch) -> None:
    from townsquare.core.ratelimit import Limit, RateLimited

    monkeypatch.setattr(actions, "REPORTS_PER_ACCOUNT", Limit("report-account-test", 2, 3600))
    actions.report_account(fern, ivy.pk)
    actions.report_account(fern, ivy.pk)
    with pytest.raises(RateLimited):
        actions.report_account(fern, ivy.pk)


# The web


def test_the_report_link_is_on_others_posts_only(fern: User, ivy: User, browser) -> None:
    theirs = make_post(ivy, "Lovely leeks this year.")
    mine = make_post(fern, "My leeks too.")
    page = text_of(browser.get(f"/@ivy/{theirs.pk}"))
    assert f"/report?kind=post&amp;id={theirs.pk}" in page
    page = text_of(browser.get(f"/@fern/{mine.pk}"))
    assert f"/report?kind=post&amp;id={mine.pk}" not in page


def test_report_links_on_profiles_groups_and_messages(fern: User, ivy: User, browser) -> None:
    assert f"/report?kind=account&amp;id={ivy.pk}" in text_of(browser.get("/@ivy"))
    group = create_group(ivy, name="Compost Corner", handle="compost")
    assert f"/report?kind=group&amp;id={group.pk}" in text_of(browser.get("/g/compost"))
    message = message_actions.start_conversation(ivy, [fern], "See you at the plot.")
    thread = text_of(browser.get(f"/messages/{message.conversation_id}"))
    assert f"/report?kind=message&amp;id={message.pk}" in thread
    # The sender does not get a link to report their own message.
    own = text_of(client_of(ivy).get(f"/messages/{message.conversation_id}"))
    assert f"/report?kind=message&amp;id={message.pk}" not in own


def test_the_report_form_and_its_confirmation(fern: User, ivy: User, browser) -> None:
    rule = Rule.objects.create(text="No advertising.")
    post = make_post(ivy, "Buy my compost bins!")
    form = browser.get(f"/report?kind=post&id={post.pk}")
    assert form.status_code == 200
    page = text_of(form)
    assert 'type="radio"' in page and "Self-harm or suicide" in page
    assert "No advertising." in page and 'type="checkbox"' in page
    sent = browser.post(
        "/report",
        {
            "kind": "post",
            "id": str(post.pk),
            "category": "violation",
            "rules": [str(rule.pk)],
            "comment": "Adverts in the club feed.",
        },
    )
    assert sent.status_code == 200
    assert "your report was sent" in text_of(sent)
    report = Report.objects.get()
    assert report.reporter_id == fern.pk and report.rule_ids == [str(rule.pk)]
    assert report.comment == "Adverts in the club feed."


def test_the_report_form_refuses_bad_input(fern: User, ivy: User, browser) -> None:
    post = make_post(ivy, "Buy my compost bins!")
    assert browser.get("/report?kind=post&id=nope").status_code == 404
    assert browser.get("/report?kind=planet&id=1").status_code == 404
    assert browser.get("/report").status_code == 404
    missing_category = browser.post("/report", {"kind": "post", "id": str(post.pk)})
    assert missing_category.status_code == 400
    no_rule = browser.post("/report", {"kind": "post", "id": str(post.pk), "category": "violation"})
    assert no_rule.status_code == 400
    own = browser.post("/report", {"kind": "account", "id": str(fern.pk), "category": "spam"})
    assert own.status_code == 400 and "cannot report yourself" in text_of(own)
    assert Report.objects.count() == 0


def test_the_report_form_is_for_members_and_hides_what_they_cannot_see(ivy: User) -> None:
    hidden = make_post(ivy, "Followers only.", Visibility.FOLLOWERS)
    visitor = client_of(None)
    assert visitor.get(f"/report?kind=post&id={hidden.pk}").status_code == 302
    stranger = client_of(make_user("moss"))
    assert stranger.get(f"/report?kind=post&id={hidden.pk}").status_code == 404
    message = message_actions.start_conversation(ivy, [make_user("fern")], "Hello!")
    assert stranger.get(f"/report?kind=message&id={message.pk}").status_code == 404


# The Mastodon API


def test_api_reports_create_and_join_cases(fern: User, ivy: User) -> None:
    fern_api = api_as(fern, "write:reports")
    post = make_post(ivy, "Buy cheap seeds here!")
    response = fern_api.post(
        "/api/v1/reports",
        {"account_id": str(ivy.pk), "status_ids": [str(post.pk)], "category": "spam"},
    )
    assert response.status_code == 200
    report = Report.objects.get(pk=int(response.json()["id"]))
    assert report.case.kind == TargetKind.POST and report.case.target_id == post.pk
    # The same post reported from the web joins the case.
    web = actions.report_post(make_user("moss"), post.pk, category=ReportCategory.SPAM)
    assert web.case_id == report.case_id

    account_only = fern_api.post("/api/v1/reports", {"account_id": str(ivy.pk)})
    assert account_only.status_code == 200
    about_account = Report.objects.get(pk=int(account_only.json()["id"]))
    assert about_account.case.kind == TargetKind.ACCOUNT
    assert about_account.case.target_id == ivy.pk
