"""Polls through the API: reading one as its status is seen, and voting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_user
from townsquare.accounts.models import User
from townsquare.polls.models import Poll
from townsquare.posts import actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


def poll_post(author: User, *, multiple: bool = False, visibility: int = 0) -> Post:
    return actions.create_post(
        author,
        text="Which day for the work party?",
        visibility=visibility,
        poll=actions.PollSpec(options=["Sat", "Sun", "Mon"], multiple=multiple, expires_in=3600),
    )


def test_anyone_reads_the_poll_of_a_public_status(fern: User, anon: ApiClient) -> None:
    poll = poll_post(fern).poll
    response = anon.get(f"/api/v1/polls/{poll.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(poll.pk)
    assert [o["title"] for o in body["options"]] == ["Sat", "Sun", "Mon"]
    assert "voted" not in body


def test_voting(fern: User) -> None:
    poll = poll_post(fern).poll
    rook = api_as(make_user("rook"))
    response = rook.post(f"/api/v1/polls/{poll.pk}/votes", {"choices": ["1"]})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["voted"] is True and body["own_votes"] == [1]
    assert [o["votes_count"] for o in body["options"]] == [0, 1, 0]
    assert rook.get(f"/api/v1/polls/{poll.pk}").json()["own_votes"] == [1]


def test_voting_with_a_form(fern: User) -> None:
    poll = poll_post(fern, multiple=True).poll
    rook = api_as(make_user("rook"))
    response = rook.post(f"/api/v1/polls/{poll.pk}/votes", {"choices[]": ["0", "2"]}, form=True)
    assert response.status_code == 200
    assert response.json()["own_votes"] == [0, 2]


def test_a_second_vote_is_422(fern: User) -> None:
    poll = poll_post(fern).poll
    rook = api_as(make_user("rook"))
    assert rook.post(f"/api/v1/polls/{poll.pk}/votes", {"choices": [0]}).status_code == 200
    again = rook.post(f"/api/v1/polls/{poll.pk}/votes", {"choices": [1]})
    assert again.status_code == 422 and "already voted" in again.json()["error"]


def test_an_ended_poll_takes_no_votes(fern: User) -> None:
    poll = poll_post(fern).poll
    Poll.objects.filter(pk=poll.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = api_as(make_user("rook")).post(f"/api/v1/polls/{poll.pk}/votes", {"choices": [0]})
    assert response.status_code == 422
    assert ApiClient().get(f"/api/v1/polls/{poll.pk}").json()["expired"] is True


@pytest.mark.parametrize(
    "data",
    [
        {"choices": [7]},
        {"choices": [-1]},
        {"choices": [0, 1]},  # single choice
        {"choices": ["first"]},
        {"choices": []},
    ],
)
def test_bad_choices_are_refused(fern: User, data: dict) -> None:
    poll = poll_post(fern).poll
    response = api_as(make_user("rook")).post(f"/api/v1/polls/{poll.pk}/votes", data)
    assert response.status_code in (400, 422), response.content
    assert Poll.objects.get(pk=poll.pk).voters_count == 0


def test_missing_choices_is_a_400(fern: User) -> None:
    poll = poll_post(fern).poll
    assert api_as(make_user("rook")).post(f"/api/v1/polls/{poll.pk}/votes").status_code == 400


def test_voting_needs_a_token_and_write_statuses(fern: User) -> None:
    poll = poll_post(fern).poll
    rook = make_user("rook")
    url = f"/api/v1/polls/{poll.pk}/votes"
    assert ApiClient().post(url, {"choices": [0]}).status_code == 401
    assert api_as(rook, "read").post(url, {"choices": [0]}).status_code == 403
    assert api_as(rook, "write").get(f"/api/v1/polls/{poll.pk}").status_code == 403


def test_a_poll_on_a_hidden_status_is_404(fern: User) -> None:
    poll = poll_post(fern, visibility=Visibility.FOLLOWERS).poll
    rook = make_user("rook")
    client = api_as(rook)
    assert client.get(f"/api/v1/polls/{poll.pk}").status_code == 404
    assert client.post(f"/api/v1/polls/{poll.pk}/votes", {"choices": [0]}).status_code == 404
    assert ApiClient().get(f"/api/v1/polls/{poll.pk}").status_code == 404
    follow(rook, fern)
    assert client.post(f"/api/v1/polls/{poll.pk}/votes", {"choices": [0]}).status_code == 200


def test_unknown_polls_are_404(fern_api: ApiClient) -> None:
    assert fern_api.get("/api/v1/polls/123").status_code == 404
    assert fern_api.get("/api/v1/polls/poll").status_code == 404
    assert fern_api.post("/api/v1/polls/123/votes", {"choices": [0]}).status_code == 404


# -- hidden totals, and a poll's end changed by an edit ------------------------------------------


def test_hidden_totals_stay_hidden_until_the_end_except_to_the_author(
    fern: User, fern_api: ApiClient
) -> None:
    answer = fern_api.post(
        "/api/v1/statuses",
        {
            "status": "Best mulch?",
            "poll": {"options": ["Bark", "Straw"], "expires_in": 3600, "hide_totals": True},
        },
    )
    assert answer.status_code == 200, answer.content
    status_id = answer.json()["id"]
    poll = Poll.objects.get(post_id=int(status_id))
    assert poll.hide_totals is True
    basil = api_as(make_user("basil"))
    voted = basil.post(f"/api/v1/polls/{poll.pk}/votes", {"choices": ["0"]})
    assert voted.status_code == 200, voted.content
    assert [o["votes_count"] for o in voted.json()["options"]] == [None, None]
    assert voted.json()["voted"] is True and voted.json()["own_votes"] == [0]
    anonymous = ApiClient().get(f"/api/v1/statuses/{status_id}").json()["poll"]
    assert [o["votes_count"] for o in anonymous["options"]] == [None, None]
    mine = fern_api.get(f"/api/v1/polls/{poll.pk}").json()  # the author sees the counts
    assert [o["votes_count"] for o in mine["options"]] == [1, 0]
    Poll.objects.filter(pk=poll.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    ended = ApiClient().get(f"/api/v1/polls/{poll.pk}").json()
    assert ended["expired"] is True
    assert [o["votes_count"] for o in ended["options"]] == [1, 0]


def test_an_edit_with_the_same_options_changes_the_end_and_keeps_the_votes(
    fern: User, fern_api: ApiClient
) -> None:
    post = poll_post(fern)
    poll = Poll.objects.get(post=post)
    api_as(make_user("basil")).post(f"/api/v1/polls/{poll.pk}/votes", {"choices": ["1"]})
    before = poll.expires_at
    edited = fern_api.put(
        f"/api/v1/statuses/{post.pk}",
        {
            "status": "Which day for the work party?",
            "poll": {"options": ["Sat", "Sun", "Mon"], "expires_in": 7200, "hide_totals": True},
        },
    )
    assert edited.status_code == 200, edited.content
    after = Poll.objects.get(pk=poll.pk)  # the same poll: votes kept
    assert after.votes_count == 1
    assert after.expires_at > before + timedelta(minutes=50)
    assert after.hide_totals is True
    assert edited.json()["poll"]["options"][1]["votes_count"] == 1  # the author sees them


def test_streamed_statuses_keep_hidden_totals_hidden(fern: User) -> None:
    from townsquare.realtime.publish import render_status

    basil = make_user("basil")
    follow(basil, fern)
    post = actions.create_post(
        fern,
        text="Which compost bin?",
        visibility=Visibility.FOLLOWERS,  # streamed as rendered for its author
        poll=actions.PollSpec(options=["Wood", "Plastic"], expires_in=3600, hide_totals=True),
    )
    poll = Poll.objects.get(post=post)
    api_as(basil).post(f"/api/v1/polls/{poll.pk}/votes", {"choices": ["0"]})
    rendered = render_status(post.pk, fern.pk)
    assert rendered is not None
    entity, payload = rendered
    assert [o["votes_count"] for o in entity["poll"]["options"]] == [None, None]
    assert '"votes_count":1' not in payload.replace(" ", "").split('"options"')[1]
    assert entity["application"] is None


def test_an_ended_poll_stays_ended_when_its_post_is_edited(fern: User, fern_api: ApiClient) -> None:
    post = poll_post(fern)
    ended_at = timezone.now() - timedelta(seconds=5)
    Poll.objects.filter(post=post).update(expires_at=ended_at)
    fern_api.put(
        f"/api/v1/statuses/{post.pk}",
        {"status": "Which day?", "poll": {"options": ["Sat", "Sun", "Mon"], "expires_in": 7200}},
    )
    assert Poll.objects.get(post=post).expires_at == ended_at
