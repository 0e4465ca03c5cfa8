"""The moderators' queue at /admin/moderation: who may open it, its order and filters, a
case's page (the content in context, media behind a click, the account's history, every
report), assignment, notes, dismissing and resolving, and bulk actions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import client_of, text_of
from tests.factories import follow, make_post, make_user
from tests.test_media_images import media_root
from townsquare.accounts.models import User
from townsquare.media import actions as media_actions
from townsquare.messaging import actions as message_actions
from townsquare.moderation import actions, cases
from townsquare.moderation.models import Case, CaseNote, CaseState, Report, ReportCategory
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db
__all__ = ["media_root"]  # autouse: stored files go to the test's own folder


@pytest.fixture
def rowan() -> User:
    """The gardening club's moderator."""
    return make_user("rowan", role="moderator")


@pytest.fixture
def ivy() -> User:
    return make_user("ivy")


def _case(reporter: User, post_author: User, text: str, category: str) -> Case:
    post = make_post(post_author, text)
    return actions.report_post(reporter, post.pk, category=category).case


def test_members_may_not_open_the_queue(fern: User, browser) -> None:
    assert browser.get("/admin/moderation").status_code == 403
    case = _case(fern, make_user("ivy"), "Seeds for sale.", ReportCategory.SPAM)
    assert browser.get(f"/admin/moderation/{case.pk}").status_code == 403
    assert browser.post(f"/admin/moderation/{case.pk}/dismiss").status_code == 403
    assert browser.post("/admin/moderation/bulk", {"case": [case.pk]}).status_code == 403
    assert client_of(None).get("/admin/moderation").status_code == 302
    with pytest.raises(PermissionDenied):
        cases.dismiss(fern, case.pk)
    with pytest.raises(PermissionDenied):
        cases.add_note(fern, case.pk, "I think it is fine.")
    assert Case.objects.get(pk=case.pk).state == CaseState.OPEN


def test_the_queue_lists_urgent_cases_first_then_the_oldest(
    fern: User, ivy: User, rowan: User
) -> None:
    moss = make_user("moss")
    old_spam = _case(fern, ivy, "Seeds for sale.", ReportCategory.SPAM)
    new_spam = _case(fern, ivy, "More seeds for sale.", ReportCategory.SPAM)
    crowded = _case(fern, ivy, "Even more seeds.", ReportCategory.SPAM)
    actions.report_post(moss, crowded.target_id, category=ReportCategory.SPAM)
    harm = _case(fern, ivy, "Something frightening.", ReportCategory.VIOLENCE)
    page = text_of(client_of(rowan).get("/admin/moderation"))
    order = [page.index(f'id="case-{c.pk}"') for c in (harm, crowded, old_spam, new_spam)]
    assert order == sorted(order)
    assert "Moderation" in page  # in the staff navigation


def test_filters(fern: User, ivy: User, rowan: User) -> None:
    spam = _case(fern, ivy, "Seeds for sale.", ReportCategory.SPAM)
    hate = _case(fern, ivy, "A hateful remark.", ReportCategory.HATE)
    message = message_actions.start_conversation(ivy, [fern], "Buy my seeds.")
    about_message = actions.report_message(fern, message.pk, category=ReportCategory.SPAM).case
    decided = _case(fern, ivy, "Old news.", ReportCategory.SPAM)
    cases.dismiss(rowan, decided.pk, "Fine.")
    cases.assign(rowan, hate.pk, rowan)
    browser = client_of(rowan)

    def listed(query: str) -> set[int]:
        page = text_of(browser.get(f"/admin/moderation{query}"))
        every = (spam, hate, about_message, decided)
        return {c.pk for c in every if f'id="case-{c.pk}"' in page}

    assert listed("") == {spam.pk, hate.pk, about_message.pk}  # open ones by default
    assert listed("?state=dismissed") == {decided.pk}
    assert listed("?state=") == {spam.pk, hate.pk, about_message.pk, decided.pk}
    assert listed("?category=hate") == {hate.pk}
    assert listed("?kind=message") == {about_message.pk}
    assert listed("?assigned=me") == {hate.pk}
    assert listed("?assigned=none") == {spam.pk, about_message.pk}
    assert browser.get("/admin/moderation?state=nonsense&kind=x").status_code == 200


def test_the_case_page_shows_the_post_in_its_thread_and_every_report(
    fern: User, ivy: User, rowan: User
) -> None:
    moss = make_user("moss")
    follow(moss, ivy)  # moss sees ivy's followers-only posts; rowan does not follow ivy
    root = make_post(fern, "Who is coming to the plant sale?")
    reply = post_actions.create_post(
        ivy, text="Nobody wants your sad plants.", in_reply_to=root, visibility=Visibility.FOLLOWERS
    )
    post_actions.create_post(ivy, text="Another reply.", in_reply_to=root)
    case = actions.report_post(
        fern, reply.pk, category=ReportCategory.HARASSMENT, comment="Rude to me."
    ).case
    actions.report_post(moss, reply.pk, category=ReportCategory.OTHER, comment="Unkind.")
    page = text_of(client_of(rowan).get(f"/admin/moderation/{case.pk}"))
    # The moderator sees the followers-only reply they do not follow, and the post it answers.
    assert "Nobody wants your sad plants." in page
    assert "Who is coming to the plant sale?" in page
    assert page.index("Who is coming") < page.index("Nobody wants")
    assert "Rude to me." in page and "Unkind." in page
    assert "@fern" in page and "@moss" in page
    assert "Harassment or bullying" in page
    assert 'id="act-heading"' in page  # the Act part, for enforcement to add to


def test_media_on_the_case_page_is_hidden_until_clicked(fern: User, ivy: User, rowan: User) -> None:
    from tests.test_media_attachments import ready_images

    (picture,) = ready_images(ivy, 1, description="A marrow")
    post = make_post(ivy, "My prize marrow.")
    media_actions.attach(ivy, post, [picture.pk])
    case = actions.report_post(fern, post.pk, category=ReportCategory.SEXUAL).case
    page = text_of(client_of(rowan).get(f"/admin/moderation/{case.pk}"))
    start = page.index('<details class="media-sensitive">')
    assert 'alt="A marrow"' in page[start:]  # the image is inside the closed <details>
    assert '<details class="media-sensitive" open' not in page


def test_the_case_page_of_a_message_an_account_and_history(
    fern: User, ivy: User, rowan: User
) -> None:
    first = message_actions.start_conversation(ivy, [fern], "Hello from the chess club.")
    message = message_actions.send_message(ivy, first.conversation_id, "Give me your password.")
    case = actions.report_message(fern, message.pk, category=ReportCategory.OTHER).case
    earlier = _case(fern, ivy, "Earlier spam.", ReportCategory.SPAM)
    cases.resolve(rowan, earlier.pk, "Removed.")
    browser = client_of(rowan)
    page = text_of(browser.get(f"/admin/moderation/{case.pk}"))
    assert "Give me your password." in page and "Hello from the chess club." in page
    assert "1 other case (1 resolved, 0 dismissed)" in page
    assert f"/admin/moderation/{earlier.pk}" in page

    about = actions.report_account(fern, ivy.pk, category=ReportCategory.SPAM).case
    page = text_of(browser.get(f"/admin/moderation/{about.pk}"))
    assert "@ivy" in page and "2 other cases" in page
    assert browser.get("/admin/moderation/987654321").status_code == 404


def test_assignment_notes_and_dismissing(fern: User, ivy: User, rowan: User) -> None:
    case = _case(fern, ivy, "Seeds for sale.", ReportCategory.SPAM)
    browser = client_of(rowan)
    assert (
        browser.post(f"/admin/moderation/{case.pk}/assign", {"assignee": "me"}).status_code == 302
    )
    assert Case.objects.get(pk=case.pk).assigned_to_id == rowan.pk
    browser.post(f"/admin/moderation/{case.pk}/assign", {"assignee": ""})
    assert Case.objects.get(pk=case.pk).assigned_to_id is None
    refused = browser.post(f"/admin/moderation/{case.pk}/assign", {"assignee": "fern"})
    assert refused.status_code == 302 and Case.objects.get(pk=case.pk).assigned_to_id is None
    with pytest.raises(ValidationError):
        cases.assign(rowan, case.pk, fern)  # not a moderator

    browser.post(f"/admin/moderation/{case.pk}/note", {"text": "Looks like the usual seller."})
    note = CaseNote.objects.get(case=case)
    assert note.author_id == rowan.pk and note.text == "Looks like the usual seller."
    assert browser.post(f"/admin/moderation/{case.pk}/note", {"text": "  "}).status_code == 400
    assert "Looks like the usual seller." in text_of(browser.get(f"/admin/moderation/{case.pk}"))

    done = browser.post(f"/admin/moderation/{case.pk}/dismiss", {"note": "Allowed by the rules."})
    assert done.status_code == 302
    case.refresh_from_db()
    assert case.state == CaseState.DISMISSED and case.resolved_by_id == rowan.pk
    assert case.resolved_at is not None
    assert CaseNote.objects.filter(case=case, text="Allowed by the rules.").exists()
    assert all(r.action_taken for r in Report.objects.filter(case=case))
    with pytest.raises(ValidationError):
        cases.resolve(rowan, case.pk)  # already decided
    assert browser.post(f"/admin/moderation/{case.pk}/explode").status_code == 404


def test_resolving(fern: User, ivy: User, rowan: User) -> None:
    case = _case(fern, ivy, "Seeds for sale.", ReportCategory.SPAM)
    client_of(rowan).post(f"/admin/moderation/{case.pk}/resolve", {"note": "Talked to ivy."})
    case.refresh_from_db()
    assert case.state == CaseState.RESOLVED and case.resolved_by_id == rowan.pk


def test_bulk_actions(fern: User, ivy: User, rowan: User) -> None:
    wave = [_case(fern, ivy, f"Seeds for sale, lot {n}.", ReportCategory.SPAM) for n in range(3)]
    other = _case(fern, ivy, "Something else.", ReportCategory.OTHER)
    browser = client_of(rowan)
    ids = [str(c.pk) for c in wave]
    response = browser.post(
        "/admin/moderation/bulk", {"case": ids, "action": "assign", "assignee": "rowan"}
    )
    assert response.status_code == 302
    assert Case.objects.filter(assigned_to=rowan).count() == 3
    browser.post(
        "/admin/moderation/bulk", {"case": ids, "action": "dismiss", "note": "A spam wave."}
    )
    assert set(Case.objects.filter(state=CaseState.DISMISSED).values_list("pk", flat=True)) == {
        c.pk for c in wave
    }
    assert Case.objects.get(pk=other.pk).state == CaseState.OPEN
    assert CaseNote.objects.filter(text="A spam wave.").count() == 3
    # Nothing chosen, or nonsense, changes nothing and is no error page.
    assert browser.post("/admin/moderation/bulk", {"action": "dismiss"}).status_code == 302
    assert browser.post("/admin/moderation/bulk", {"case": ["x"], "action": "?"}).status_code == 302
    assert Case.objects.get(pk=other.pk).state == CaseState.OPEN
    with pytest.raises(PermissionDenied):
        cases.bulk_dismiss(fern, [other.pk])


def test_a_custom_role_with_the_permission_may_moderate(fern: User, ivy: User) -> None:
    from townsquare.accounts.models import StaffRole

    role = StaffRole.objects.create(name="Helpers", permissions=["moderate_content"])
    helper = make_user("hazel")
    helper.staff_role = role
    helper.save(update_fields=["staff_role"])
    case = _case(fern, ivy, "Seeds for sale.", ReportCategory.SPAM)
    assert client_of(helper).get("/admin/moderation").status_code == 200
    cases.assign(helper, case.pk, helper)
    assert Case.objects.get(pk=case.pk).assigned_to_id == helper.pk
