"""The operator's content rules: keyword, pattern and link-domain lists, new-account limits,
duplicate-text and mention floods, over posts (web and API), messages, profiles and sign-ups;
each outcome (reject, hold, sensitive, report, limit); dry run; testing a rule over recent
content; the staff page and its permission."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from tests.api.conftest import ApiClient, make_token
from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user, sign_up_checks
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import Application, User
from townsquare.messaging import actions as messaging
from townsquare.messaging.models import Message
from townsquare.moderation import rule_admin, rule_reports
from townsquare.moderation import rules as engine
from townsquare.moderation.models import (
    Case,
    ContentRule,
    Enforcement,
    Report,
    RuleHit,
)
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post
from townsquare.posts.queries import can_see, visible_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin() -> User:
    return make_user("olive", role="admin")


@pytest.fixture
def fern() -> User:
    fern = make_user("fern")
    User.objects.filter(pk=fern.pk).update(created_at=timezone.now() - timedelta(days=60))
    fern.refresh_from_db()
    return fern


@pytest.fixture
def basil() -> User:
    return make_user("basil")


def rule(admin: User, kind: str = "keywords", outcome: str = "reject", **kw: Any) -> ContentRule:
    values: dict[str, Any] = {
        "name": "Garden rule",
        "applies_to": ["posts", "messages", "profiles", "signups"],
        "kind": kind,
        "items": ["slugpellets"],
        "outcome": outcome,
        "message": "Please keep the garden friendly.",
        "enabled": True,
        "dry_run": False,
    }
    values.update(kw)
    return rule_admin.save_rule(admin, **values)


def post(author: User, text: str) -> Post:
    return post_actions.create_post(author, text=text)


# --- matching ---------------------------------------------------------------------------------


def test_keywords_ignore_case_and_accents_on_word_boundaries(admin: User, fern: User) -> None:
    rule(admin, items=["creme brulee"])
    with pytest.raises(ValidationError) as caught:
        post(fern, "Who brings the CRÈME Brûlée to the garden party?")
    assert caught.value.message_dict == {"text": ["Please keep the garden friendly."]}
    post(fern, "Who brings the cremebrulees?")  # not the word


def test_regex_rules_catch_and_link_domains_match_subdomains(admin: User, fern: User) -> None:
    rule(admin, "regex", items=[r"seed\s*swap\s*\d+"])
    rule(admin, "link_domains", items=["spam.example"], name="Links")
    with pytest.raises(ValidationError):
        post(fern, "Join seed swap 42 now")
    with pytest.raises(ValidationError):
        post(fern, "See https://shop.spam.example/tulips")
    post(fern, "See https://notspam.example/tulips and https://example.org")


def test_a_bad_regex_is_a_form_error_and_a_dangerous_one_is_refused(admin: User) -> None:
    with pytest.raises(ValidationError) as bad:
        rule(admin, "regex", items=["(unclosed"])
    assert "items" in bad.value.message_dict
    for pattern in ("(a+)+$", "(\\w*)*x", "(a|aa){2,}b", "(x)\\1"):
        with pytest.raises(ValidationError) as danger:
            rule(admin, "regex", items=[pattern])
        assert "items" in danger.value.message_dict
    with pytest.raises(ValidationError):
        rule(admin, "regex", items=["a" * (engine.MAX_PATTERN_LENGTH + 1)])
    assert not ContentRule.objects.exists()
    rule(admin, "regex", items=[r"\bfree\s+\w+\s+seeds\b"])  # repeats, but none nested


def test_the_staff_form_shows_regex_errors(admin: User) -> None:
    response = client_of(admin).post(
        "/admin/rules",
        {
            "name": "Bad",
            "applies_to": ["posts"],
            "kind": "regex",
            "items": "(a+)+",
            "outcome": "hold",
        },
    )
    assert response.status_code == 400
    assert "repeats something that repeats" in text_of(response)
    assert not ContentRule.objects.exists()


# --- outcomes on posts ------------------------------------------------------------------------


def test_reject_on_the_web_form_and_the_api(admin: User, fern: User) -> None:
    rule(admin)
    response = client_of(fern).post("/posts", {"text": "Buy slugpellets", "visibility": "0"})
    assert response.status_code == 400
    assert "Please keep the garden friendly." in text_of(response)
    api = ApiClient(make_token(fern))
    answer = api.post("/api/v1/statuses", {"status": "Buy slugpellets"})
    assert answer.status_code == 422
    assert "Please keep the garden friendly." in answer.json()["error"]
    assert not Post.objects.filter(author=fern).exists()
    found = ContentRule.objects.get()
    assert found.hits == 2 and RuleHit.objects.filter(rule=found, acted=True).count() == 2


def test_hold_keeps_a_post_to_its_author_until_released(
    admin: User, fern: User, basil: User
) -> None:
    rule(admin, outcome="hold")
    held = post(fern, "Cheap slugpellets here")
    assert held.held
    assert can_see(fern, held) and not can_see(basil, held) and not can_see(None, held)
    assert not visible_to(basil).filter(pk=held.pk).exists()
    assert visible_to(fern).filter(pk=held.pk).exists()
    api = ApiClient(make_token(basil))
    assert api.get(f"/api/v1/statuses/{held.pk}").status_code == 404
    timeline = api.get("/api/v1/timelines/public").json()
    assert held.pk not in [int(s["id"]) for s in timeline]
    report = Report.objects.get(object_id=held.pk)
    assert report.reporter is None and report.source == "automated"
    assert Case.objects.get(pk=report.case_id).source == "automated"
    with pytest.raises(PermissionDenied):
        rule_reports.release_post(basil, held)
    released = rule_reports.release_post(make_user("mona", role="moderator"), held)
    assert released is not None and can_see(basil, released)
    assert released.pk in [int(s["id"]) for s in api.get("/api/v1/timelines/public").json()]


def test_edits_are_checked(admin: User, fern: User) -> None:
    written = post(fern, "Tulips are up")
    rule(admin)
    with pytest.raises(ValidationError):
        post_actions.edit_post(fern, written, text="Tulips and slugpellets")
    assert Post.objects.get(pk=written.pk).text == "Tulips are up"
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, outcome="hold")
    post_actions.edit_post(fern, written, text="Tulips and slugpellets")
    assert Post.objects.get(pk=written.pk).held


def test_sensitive_report_and_limit_outcomes(admin: User, fern: User) -> None:
    rule(admin, outcome="sensitive")
    marked = post(fern, "slugpellets photo")
    assert Post.objects.get(pk=marked.pk).sensitive
    assert Enforcement.objects.filter(post_id=marked.pk, kind="sensitive", actor=None).exists()
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, outcome="report")
    reported = post(fern, "slugpellets again")
    assert Report.objects.filter(object_id=reported.pk, source="automated").exists()
    assert not Post.objects.get(pk=reported.pk).held
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, outcome="limit")
    post(fern, "slugpellets once more")
    fern.refresh_from_db()
    assert fern.is_limited
    assert Enforcement.objects.filter(account=fern, kind="limit", actor=None).exists()


def test_new_account_limits(admin: User, basil: User, fern: User) -> None:
    rule(
        admin,
        "new_account_limits",
        numbers={"days": 3, "links": 0, "mentions": 5, "posts_per_hour": 2},
    )
    with pytest.raises(ValidationError):
        post(basil, "Our club page: https://club.example.org")
    post(fern, "Our club page: https://club.example.org")  # not new
    post(basil, "First sowing")
    post(basil, "Second sowing")
    with pytest.raises(ValidationError):
        post(basil, "Third sowing")


def test_duplicate_flood_by_one_account_and_across_accounts(
    admin: User, fern: User, basil: User
) -> None:
    rule(admin, "duplicate_flood", numbers={"count": 3, "minutes": 10})
    post(fern, "Seed swap on Saturday!")
    post(fern, "seed  SWAP on saturday!")
    with pytest.raises(ValidationError):
        post(fern, "Seed swap on Saturday!")
    post(basil, "Seed swap on Saturday!")  # another account counts apart
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, "duplicate_flood", numbers={"count": 2, "minutes": 10, "across_accounts": 1})
    post(fern, "Chess night tonight")
    with pytest.raises(ValidationError):
        post(basil, "Chess night tonight")


def test_mention_flood(admin: User, fern: User) -> None:
    for name in ("ash", "birch", "cedar"):
        make_user(name)
    rule(admin, "mention_flood", numbers={"per_post": 2, "per_hour": 30, "days": 3})
    with pytest.raises(ValidationError):
        post(fern, "Hello @ash @birch @cedar")
    post(fern, "Hello @ash @birch")


# --- messages, profiles, sign-ups ---------------------------------------------------------


def test_messages_are_checked(admin: User, fern: User, basil: User) -> None:
    rule(admin)
    with pytest.raises(ValidationError) as caught:
        messaging.start_conversation(fern, [basil], "slugpellets for you")
    assert caught.value.message_dict == {"text": ["Please keep the garden friendly."]}
    first = messaging.start_conversation(fern, [basil], "Hello neighbour")
    with pytest.raises(ValidationError):
        messaging.send_message(fern, first.conversation_id, "more slugpellets")
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, outcome="report")
    sent = messaging.send_message(fern, first.conversation_id, "slugpellets, sorry")
    assert Report.objects.filter(kind="message", object_id=sent.pk, source="automated").exists()
    assert Message.objects.filter(pk=sent.pk).exists()


def test_profiles_are_checked(admin: User, fern: User) -> None:
    rule(admin)
    with pytest.raises(ValidationError) as caught:
        account_actions.update_profile(fern, bio="I sell slugpellets")
    assert caught.value.message_dict == {"bio": ["Please keep the garden friendly."]}
    api = ApiClient(make_token(fern))
    answer = api.patch("/api/v1/accounts/update_credentials", {"display_name": "Slugpellets"})
    assert answer.status_code == 422
    fern.refresh_from_db()
    assert fern.bio == "" and fern.display_name != "Slugpellets"
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, outcome="report")
    account_actions.update_profile(fern, bio="I sell slugpellets")
    assert Report.objects.filter(kind="account", object_id=fern.pk, source="automated").exists()


def join(**fields: str) -> Any:
    data = {
        "username": "rowan",
        "email": "rowan@example.org",
        "password": PASSWORD,
        "agreement": "on",
        **sign_up_checks(),
        **fields,
    }
    return Client().post("/signup", data)


def test_sign_ups_are_checked(admin: User) -> None:
    rule(admin, "link_domains", items=["spam.example"], message="Not from there, sorry.")
    response = join(email="rowan@mail.spam.example")
    assert response.status_code == 400
    assert "Not from there, sorry." in text_of(response)
    assert not User.objects.filter(username="rowan").exists()
    ContentRule.objects.all().delete()
    engine.forget()
    rule(admin, "keywords", items=["rowan"], outcome="hold")
    assert join().status_code == 200
    rowan = User.objects.get(username="rowan")
    assert not rowan.is_active  # waits for a moderator
    assert Application.objects.filter(user=rowan).exists()


# --- dry run ----------------------------------------------------------------------------------


def test_dry_run_records_hits_and_acts_on_nothing(admin: User, fern: User, basil: User) -> None:
    for outcome in ("reject", "hold", "sensitive", "report", "limit"):
        rule(admin, outcome=outcome, name=outcome, dry_run=True)
    written = post(fern, "Slugpellets")
    assert not written.held and not Post.objects.get(pk=written.pk).sensitive
    fern.refresh_from_db()
    assert not fern.is_limited and not Report.objects.exists()
    hits = RuleHit.objects.filter(subject="posts", subject_id=written.pk)
    assert hits.count() == 5 and not hits.filter(acted=True).exists()
    messaging.start_conversation(fern, [basil], "slugpellets")
    account_actions.update_profile(fern, bio="slugpellets")
    assert RuleHit.objects.filter(subject="messages").count() == 5
    assert RuleHit.objects.filter(subject="profiles").count() == 5
    assert set(ContentRule.objects.values_list("hits", flat=True)) == {3}


def test_off_rules_do_nothing(admin: User, fern: User) -> None:
    rule(admin, enabled=False)
    post(fern, "Slugpellets")
    assert not RuleHit.objects.exists()


def test_testing_over_recent_content_lists_catches_without_acting(
    admin: User, fern: User, basil: User
) -> None:
    old = post(fern, "slugpellets in spring")
    post(fern, "Tomatoes are up")
    messaging.start_conversation(basil, [fern], "have some slugpellets")
    found = rule(admin, enabled=False)
    catches = rule_admin.try_rule(admin, found, days=7)
    assert {(c.subject, c.subject_id) for c in catches} >= {("posts", old.pk)}
    assert {c.subject for c in catches} == {"posts", "messages"}
    assert not RuleHit.objects.exists() and not Report.objects.exists()
    response = client_of(admin).post(f"/admin/rules/{found.pk}", {"action": "test", "days": "7"})
    assert response.status_code == 200
    assert "slugpellets in spring" in text_of(response) or "slugpellets" in text_of(response)
    assert text_of(response).count('class="rule-catch"') == 2


def test_testing_floods_over_recent_content(admin: User, fern: User) -> None:
    for _ in range(3):
        Post.objects.create(author=fern, text="Same again", html="<p>Same again</p>")
    found = rule(admin, "duplicate_flood", enabled=False, numbers={"count": 3, "minutes": 5})
    assert len(rule_admin.try_rule(admin, found)) == 1


# --- the staff page -----------------------------------------------------------------------


def test_the_staff_page_manages_rules(admin: User) -> None:
    browser = client_of(admin)
    assert browser.get("/admin/rules").status_code == 200
    response = browser.post(
        "/admin/rules",
        {
            "name": "Chess spam",
            "applies_to": ["posts", "messages"],
            "kind": "keywords",
            "items": "cheap rooks\nfree pawns",
            "outcome": "reject",
            "message": "Not here, please.",
            "dry_run": "on",
        },
    )
    saved = ContentRule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/admin/rules/{saved.pk}"
    assert saved.parameters == {"items": ["cheap rooks", "free pawns"]}
    assert not saved.enabled and saved.dry_run
    page = browser.get(f"/admin/rules/{saved.pk}")
    assert page.status_code == 200 and "Chess spam" in text_of(page)
    browser.post(f"/admin/rules/{saved.pk}", {"action": "enable"})
    browser.post(f"/admin/rules/{saved.pk}", {"action": "dry_run_off"})
    saved.refresh_from_db()
    assert saved.enabled and not saved.dry_run
    with pytest.raises(ValidationError):
        post(make_user("ivy"), "cheap rooks!")
    browser.post(f"/admin/rules/{saved.pk}", {"action": "delete"})
    assert not ContentRule.objects.exists()


def test_only_staff_who_manage_settings_reach_rules(admin: User, fern: User) -> None:
    found = rule(admin, enabled=False)
    moderator = make_user("mona", role="moderator")
    for member in (fern, moderator):
        assert client_of(member).get("/admin/rules").status_code == 403
        assert client_of(member).get(f"/admin/rules/{found.pk}").status_code == 403
        with pytest.raises(PermissionDenied):
            rule(member)
        with pytest.raises(PermissionDenied):
            rule_admin.try_rule(member, found)
    assert Client().get("/admin/rules").status_code == 302


def test_a_moderator_sees_a_held_post_in_its_case_and_releases_it_from_there(
    admin: User, fern: User, basil: User
) -> None:
    rule(admin, outcome="hold")
    held = post(fern, "Cheap slugpellets here")
    case = Case.objects.get(pk=Report.objects.get(object_id=held.pk).case_id)
    mona = make_user("mona", role="moderator")
    page = text_of(client_of(mona).get(f"/admin/moderation/{case.pk}"))
    assert "Cheap slugpellets here" in page
    assert "Release the post" in page
    response = client_of(mona).post(f"/admin/moderation/{case.pk}/release-post")
    assert response.status_code == 302
    published = Post.objects.get(text="Cheap slugpellets here")
    assert not published.held and can_see(basil, published)
    case.refresh_from_db()
    assert case.state == "resolved"
    assert "Release the post" not in text_of(client_of(mona).get(f"/admin/moderation/{case.pk}"))
