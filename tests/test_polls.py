"""Polls on posts: creating them, voting, seeing results, and being told when they end."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.accounts.models import User
from townsquare.core import ratelimit
from townsquare.core.ratelimit import Limit, RateLimited
from townsquare.notifications.models import Kind, Notification
from townsquare.polls import tasks
from townsquare.polls.actions import create_poll, vote
from townsquare.polls.models import Poll, PollOption, PollVote
from townsquare.polls.queries import poll_for, polls_for
from townsquare.polls.render import poll_html
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db

HOUR = 60 * 60
DAY = 24 * HOUR
CLOSE_JOB = "townsquare.polls.tasks.close_poll"


def make_poll(
    author: User,
    options: list[str] | None = None,
    *,
    multiple: bool = False,
    expires_in: int = DAY,
    visibility: int = Visibility.PUBLIC,
) -> Poll:
    post = make_post(author, "Which vegetable for the club plot?", visibility=visibility)
    with transaction.atomic():
        return create_poll(
            post,
            options=options or ["Beans", "Leeks", "Squash"],
            multiple=multiple,
            expires_in=expires_in,
        )


def end(poll: Poll) -> None:
    """Move the poll's end, and its closing job, into the past."""
    past = timezone.now() - timedelta(seconds=1)
    Poll.objects.filter(pk=poll.pk).update(expires_at=past)
    DBTaskResult.objects.filter(task_path=CLOSE_JOB).update(run_after=past)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Creating --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expires_in", "message"),
    [
        (["Beans"], DAY, "2 to 10 options"),
        ([f"Bed {n}" for n in range(11)], DAY, "2 to 10 options"),
        (["Beans", "  "], DAY, "cannot be empty"),
        (["Beans", "beans "], DAY, "must all be different"),
        (["Beans", "x" * 51], DAY, "at most 50 characters"),
        (["Beans", "Leeks"], 60, "5 minutes to 7 days"),
        (["Beans", "Leeks"], 8 * DAY, "5 minutes to 7 days"),
    ],
)
def test_bad_polls_are_refused_with_a_clear_message(
    fern: User, options: list[str], expires_in: int, message: str
) -> None:
    post = make_post(fern)
    with pytest.raises(ValidationError) as caught:
        create_poll(post, options=options, expires_in=expires_in)
    assert message in caught.value.message_dict["poll"][0]
    assert not Poll.objects.exists() and not PollOption.objects.exists()


def test_an_invalid_poll_leaves_nothing_half_written(fern: User) -> None:
    with pytest.raises(ValidationError), transaction.atomic():
        post = make_post(fern, "Club outing: where to?")
        create_poll(post, options=["The rose garden", "x" * 60], expires_in=DAY)
    assert not Poll.objects.exists() and not PollOption.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=CLOSE_JOB).exists()


@pytest.mark.parametrize("expires_in", [5 * 60, 7 * DAY])
def test_polls_from_five_minutes_to_seven_days_are_accepted(fern: User, expires_in: int) -> None:
    titles = [f"Bed {n}" for n in range(9)] + ["y" * 50]
    before = timezone.now()
    poll = make_poll(fern, titles, expires_in=expires_in)
    assert [o.title for o in poll.options.order_by("position")] == titles
    expected = before + timedelta(seconds=expires_in)
    assert abs((poll.expires_at - expected).total_seconds()) < 5
    job = DBTaskResult.objects.get(task_path=CLOSE_JOB)
    assert job.run_after == poll.expires_at and job.args_kwargs["args"] == [poll.pk]


def test_option_titles_are_trimmed(fern: User) -> None:
    poll = make_poll(fern, ["  Beans ", "Broad   beans"])
    assert list(poll.options.values_list("title", flat=True)) == ["Beans", "Broad beans"]


# Voting ----------------------------------------------------------------------------------


def test_a_single_choice_vote_is_counted(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern)
    voted = vote(basil, poll.pk, [1])
    assert (voted.votes_count, voted.voters_count) == (1, 1)
    counts = dict(poll.options.values_list("position", "votes_count"))
    assert counts == {0: 0, 1: 1, 2: 0}
    assert poll_for(poll.post_id, basil).chosen == {1}  # type: ignore[union-attr]


def test_a_multiple_choice_vote_picks_several_options_at_once(fern: User) -> None:
    basil, sage = make_user("basil"), make_user("sage")
    poll = make_poll(fern, multiple=True)
    vote(basil, poll.pk, [0, 2])
    voted = vote(sage, poll.pk, [2])
    assert (voted.votes_count, voted.voters_count) == (3, 2)
    counts = dict(poll.options.values_list("position", "votes_count"))
    assert counts == {0: 1, 1: 0, 2: 2}


@pytest.mark.parametrize("multiple", [False, True])
def test_a_member_votes_once(fern: User, multiple: bool) -> None:
    basil = make_user("basil")
    poll = make_poll(fern, multiple=multiple)
    vote(basil, poll.pk, [0])
    with pytest.raises(ValidationError, match="already voted"):
        vote(basil, poll.pk, [1])
    poll.refresh_from_db()
    assert (poll.votes_count, poll.voters_count) == (1, 1)
    assert PollVote.objects.count() == 1


def test_no_votes_after_the_poll_ends(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern)
    end(poll)
    with pytest.raises(ValidationError, match="has ended"):
        vote(basil, poll.pk, [0])
    assert not PollVote.objects.exists()


def test_a_poll_on_a_post_the_voter_cannot_see_does_not_exist_for_them(fern: User) -> None:
    basil, sage = make_user("basil"), make_user("sage")
    follow(sage, fern)
    poll = make_poll(fern, visibility=Visibility.FOLLOWERS)
    with pytest.raises(Http404):
        vote(basil, poll.pk, [0])
    with pytest.raises(Http404):
        vote(basil, 12345, [0])
    assert not PollVote.objects.exists()
    vote(sage, poll.pk, [0])  # a follower may vote
    assert PollVote.objects.filter(voter=sage).count() == 1


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([3], "not one of the poll's options"),
        ([-1], "not one of the poll's options"),
        ([], "Choose an option"),
        ([0, 1], "one choice only"),
    ],
)
def test_bad_choices_are_refused(fern: User, choices: list[int], message: str) -> None:
    poll = make_poll(fern)
    with pytest.raises(ValidationError, match=message):
        vote(make_user("basil"), poll.pk, choices)
    assert not PollVote.objects.exists()


def test_the_author_sees_results_instead_of_voting(fern: User) -> None:
    poll = make_poll(fern)
    with pytest.raises(ValidationError, match="your own poll"):
        vote(fern, poll.pk, [0])
    view = poll_for(poll.post_id, fern)
    assert view is not None and view.show_results and not view.can_vote


def test_voting_is_rate_limited(fern: User, monkeypatch: pytest.MonkeyPatch) -> None:
    poll = make_poll(fern)
    monkeypatch.setattr(ratelimit, "WRITES_PER_ACCOUNT", Limit("test-poll-votes", 0, 60))
    with pytest.raises(RateLimited):
        vote(make_user("basil"), poll.pk, [0])
    assert not PollVote.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_votes_at_the_same_moment_count_once() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    poll = make_poll(fern, multiple=True)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def cast(position: int) -> None:
        try:
            start.wait(timeout=10)
            vote(basil, poll.pk, [position])
            outcomes.append("counted")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["You have already voted in this poll.", "counted"]
    poll.refresh_from_db()
    assert (poll.votes_count, poll.voters_count) == (1, 1)
    assert PollVote.objects.count() == 1


# Results ---------------------------------------------------------------------------------


def test_results_show_after_voting_at_expiry_or_to_the_author(fern: User) -> None:
    basil, sage = make_user("basil"), make_user("sage")
    poll = make_poll(fern)
    vote(basil, poll.pk, [2])
    views = {
        "visitor": poll_for(poll.post_id, None),
        "sage": poll_for(poll.post_id, sage),
        "basil": poll_for(poll.post_id, basil),
        "fern": poll_for(poll.post_id, fern),
    }
    shown = {who: (v.can_vote, v.show_results) for who, v in views.items() if v}
    assert shown == {
        "visitor": (False, False),
        "sage": (True, False),
        "basil": (False, True),
        "fern": (False, True),
    }
    end(poll)
    later = poll_for(poll.post_id, sage)
    assert later is not None and later.expired and later.show_results and not later.can_vote


def test_polls_for_a_page_of_posts_costs_a_fixed_number_of_queries(
    fern: User, django_assert_num_queries
) -> None:
    basil = make_user("basil")
    polls = [make_poll(fern) for _ in range(4)]
    plain = make_post(fern, "No poll here")
    for poll in polls:
        vote(basil, poll.pk, [0])
    post_ids = [p.post_id for p in polls] + [plain.pk]
    with django_assert_num_queries(1):  # polls, options and the viewer's choices together
        views = polls_for(post_ids, basil)
    assert set(views) == {p.post_id for p in polls}
    assert all(v.chosen == {0} and len(v.options) == 3 for v in views.values())
    assert all([o.position for o in v.options] == [0, 1, 2] for v in views.values())
    with django_assert_num_queries(1):
        anonymous = polls_for(post_ids, None)
    assert all(v.chosen == frozenset() and not v.signed_in for v in anonymous.values())


def test_the_form_and_the_results_render_safely(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern, ["<b>Tomatoes</b>", "Leeks & onions"])
    view = poll_for(poll.post_id, basil)
    assert view is not None
    form = poll_html(view, csrf_token="tok", post_url="/@fern/1")
    assert f'action="/polls/{poll.pk}/vote"' in form and 'type="radio"' in form
    assert 'name="next" value="/@fern/1"' in form and "Ends" in form
    assert "&lt;b&gt;Tomatoes&lt;/b&gt;" in form and "<b>" not in form
    vote(basil, poll.pk, [1])
    sage = make_user("sage")
    vote(sage, poll.pk, [1])
    results = poll_html(poll_for(poll.post_id, basil), csrf_token="tok", post_url="/")  # type: ignore[arg-type]
    assert "<form" not in results and "100%" in results and "2 votes" in results
    assert "your choice" in results and "Leeks &amp; onions" in results
    end(poll)
    closed = poll_html(poll_for(poll.post_id, None), csrf_token="", post_url="/")  # type: ignore[arg-type]
    assert "Closed" in closed and "100%" in closed


def test_a_multiple_choice_poll_offers_checkboxes(fern: User) -> None:
    poll = make_poll(fern, multiple=True)
    html = poll_html(poll_for(poll.post_id, make_user("basil")), csrf_token="t", post_url="/")  # type: ignore[arg-type]
    assert html.count('type="checkbox"') == 3 and "Choose one or more" in html


# The web ---------------------------------------------------------------------------------


def test_voting_without_javascript_posts_then_redirects_back(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern)
    client = client_for(basil)
    back = f"/@fern/{poll.post_id}"
    assert f'action="/polls/{poll.pk}/vote"' in client.get(back).content.decode()
    response = client.post(f"/polls/{poll.pk}/vote", {"choice": "1", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    page = client.get(back).content.decode()
    assert "Your vote is counted." in page
    assert (
        f'id="poll-{poll.pk}"' in page and "100%" in page and '<form class="poll-form"' not in page
    )
    view = poll_for(poll.post_id, basil)
    assert view is not None and view.chosen == {1} and view.show_results


def test_a_bad_vote_goes_back_with_the_reason(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern)
    client = client_for(basil)
    for odd in ("²", "٣", "1e3", "-1"):  # digits of other scripts are not option numbers
        assert client.post(f"/polls/{poll.pk}/vote", {"choice": odd}).status_code == 302
    response = client.post(f"/polls/{poll.pk}/vote", {"choice": "seven"})
    assert response.status_code == 302 and response["Location"] == f"/@fern/{poll.post_id}"
    page = client.get(response["Location"]).content.decode()
    assert "not one of the poll&#x27;s options" in page or "not one of the poll's" in page
    client.post(f"/polls/{poll.pk}/vote", {"choice": "0"})
    again = client.post(f"/polls/{poll.pk}/vote", {"choice": "1"}, follow=True)
    assert "already voted" in again.content.decode()
    assert PollVote.objects.count() == 1


def test_htmx_votes_swap_the_poll_in_place(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern)
    client = client_for(basil)
    url = f"/polls/{poll.pk}/vote"
    bad = client.post(url, {}, headers={"HX-Request": "true"})
    assert bad.status_code == 400
    assert "Choose an option" in bad.content.decode() and "<form" in bad.content.decode()
    good = client.post(url, {"choice": "2"}, headers={"HX-Request": "true"})
    html = good.content.decode()
    assert good.status_code == 200 and f'id="poll-{poll.pk}"' in html and "100%" in html


def test_the_vote_page_refuses_strangers_and_hidden_polls(fern: User) -> None:
    basil = make_user("basil")
    hidden = make_poll(fern, visibility=Visibility.FOLLOWERS)
    client = client_for(basil)
    assert client.post(f"/polls/{hidden.pk}/vote", {"choice": "0"}).status_code == 404
    assert client.post(f"/polls/{hidden.pk}/vote", {"choice": "x"}).status_code == 404
    assert client.post("/polls/99999999999999999999/vote", {"choice": "0"}).status_code == 404
    assert client.get(f"/polls/{hidden.pk}/vote").status_code == 405
    visitor = Client().post(f"/polls/{hidden.pk}/vote", {"choice": "0"})
    assert visitor.status_code == 302 and "/login" in visitor["Location"]
    assert not PollVote.objects.exists()


# Closing ---------------------------------------------------------------------------------


def test_voters_and_the_author_are_told_once_when_the_poll_ends(fern: User) -> None:
    basil, sage, mallow = make_user("basil"), make_user("sage"), make_user("mallow")
    poll = make_poll(fern, multiple=True)
    vote(basil, poll.pk, [0, 1])
    vote(sage, poll.pk, [2])
    run_jobs()
    assert not Notification.objects.filter(kind=Kind.POLL).exists()  # not over yet
    end(poll)
    run_jobs()
    told = Notification.objects.filter(kind=Kind.POLL, post_id=poll.post_id)
    assert sorted(told.values_list("recipient__username", flat=True)) == ["basil", "fern", "sage"]
    assert not told.filter(recipient=mallow).exists()
    poll.refresh_from_db()
    assert poll.closed_at is not None
    assert tasks.close_poll.call(poll.pk) == 0  # a second run tells nobody again
    Poll.objects.filter(pk=poll.pk).update(closed_at=None)  # even without the flag
    tasks.close_poll.call(poll.pk)
    assert told.count() == 3


def test_a_closing_job_that_runs_early_waits_for_the_end(fern: User) -> None:
    poll = make_poll(fern)
    vote(make_user("basil"), poll.pk, [0])
    assert tasks.close_poll.call(poll.pk) == 0
    poll.refresh_from_db()
    assert poll.closed_at is None and not Notification.objects.filter(kind=Kind.POLL).exists()


def test_many_voters_are_told_in_batches(fern: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "NOTIFY_BATCH", 2)
    poll = make_poll(fern)
    voters = [make_user(f"gardener_{n}") for n in range(5)]
    for voter in voters:
        vote(voter, poll.pk, [0])
    end(poll)
    run_jobs()
    assert Notification.objects.filter(kind=Kind.POLL).count() == 6


def test_a_poll_goes_with_its_post(fern: User) -> None:
    poll = make_poll(fern)
    vote(make_user("basil"), poll.pk, [1])
    Poll.objects.get(pk=poll.pk).post.delete()
    assert not Poll.objects.exists() and not PollVote.objects.exists()
    end(poll)
    run_jobs()  # the closing job finds nothing to do
    assert not Notification.objects.filter(kind=Kind.POLL).exists()


def test_a_poll_with_hidden_totals_shows_voters_no_counts_until_it_ends(fern: User) -> None:
    basil = make_user("basil")
    poll = make_poll(fern, ["Beans", "Leeks"])
    Poll.objects.filter(pk=poll.pk).update(hide_totals=True)
    vote(basil, poll.pk, [0])
    view = poll_for(poll.post_id, basil)
    assert view is not None and view.voted and not view.show_results
    page = poll_html(view, csrf_token="tok", post_url="/@fern/1")
    assert "Beans" in page and "1 vote" not in page and "%" not in page
    author_view = poll_for(poll.post_id, fern)
    assert author_view is not None and author_view.show_results
    Poll.objects.filter(pk=poll.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    ended = poll_for(poll.post_id, basil)
    assert ended is not None and ended.show_results
    assert "1 vote" in poll_html(ended, csrf_token="tok", post_url="/@fern/1")
