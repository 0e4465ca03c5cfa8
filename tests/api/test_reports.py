"""Reports: telling the moderators about an account and some of its posts."""

from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.api.schemas.reports import Report as ReportEntity
from townsquare.moderation.models import Report
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


def test_report_an_account_and_posts(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    first, second = make_post(ivy, "Buy cheap seeds here!"), make_post(ivy, "And here!")
    response = fern_api.post(
        "/api/v1/reports",
        {
            "account_id": str(ivy.pk),
            "status_ids": [str(first.pk), str(second.pk)],
            "comment": "Selling in the gardening club.",
            "category": "spam",
            "forward": True,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["category"] == "spam"
    assert body["comment"] == "Selling in the gardening club."
    assert body["action_taken"] is False and body["action_taken_at"] is None
    assert body["forwarded"] is False
    assert sorted(body["status_ids"]) == sorted([str(first.pk), str(second.pk)])
    assert body["rule_ids"] is None
    assert body["target_account"]["id"] == str(ivy.pk)
    assert body["created_at"].endswith("Z")
    ReportEntity.model_validate(body)
    assert set(body) == set(ReportEntity.model_fields)
    report = Report.objects.get(pk=int(body["id"]))
    assert report.reporter_id == fern.pk and report.target_id == ivy.pk
    assert sorted(report.post_ids) == sorted([first.pk, second.pk])


def test_form_encoded_minimal_report(fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    response = fern_api.post("/api/v1/reports", {"account_id": str(ivy.pk)}, form=True)
    assert response.status_code == 200
    assert response.json()["category"] == "other"
    assert response.json()["status_ids"] is None


def test_posts_must_be_the_accounts_and_visible(fern: User, fern_api: ApiClient) -> None:
    ivy, moss = make_user("ivy"), make_user("moss")
    not_theirs = make_post(moss, "Moss's post.")
    hidden = make_post(ivy, "Followers only.", Visibility.FOLLOWERS)
    for post in (not_theirs, hidden):
        response = fern_api.post(
            "/api/v1/reports", {"account_id": str(ivy.pk), "status_ids": [str(post.pk)]}
        )
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    assert Report.objects.count() == 0


def test_bad_input(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    assert fern_api.post("/api/v1/reports", {}).status_code == 400
    assert fern_api.post("/api/v1/reports", {"account_id": "nope"}).status_code == 404
    assert fern_api.post("/api/v1/reports", {"account_id": "9" * 30}).status_code == 404
    assert fern_api.post("/api/v1/reports", {"account_id": str(fern.pk)}).status_code == 422
    too_long = fern_api.post("/api/v1/reports", {"account_id": str(ivy.pk), "comment": "x" * 1001})
    assert too_long.status_code == 422
    bad_category = fern_api.post(
        "/api/v1/reports", {"account_id": str(ivy.pk), "category": "boring"}
    )
    assert bad_category.status_code == 422
    unknown_rule = fern_api.post("/api/v1/reports", {"account_id": str(ivy.pk), "rule_ids": ["7"]})
    assert unknown_rule.status_code == 422
    bad_status = fern_api.post(
        "/api/v1/reports", {"account_id": str(ivy.pk), "status_ids": ["abc"]}
    )
    assert bad_status.status_code == 422
    assert Report.objects.count() == 0


def test_tokens_and_scopes(fern: User, anon: ApiClient) -> None:
    ivy = make_user("ivy")
    assert anon.post("/api/v1/reports", {"account_id": str(ivy.pk)}).status_code == 401
    read_only = api_as(fern, "read")
    assert read_only.post("/api/v1/reports", {"account_id": str(ivy.pk)}).status_code == 403
    scoped = api_as(fern, "write:reports")
    assert scoped.post("/api/v1/reports", {"account_id": str(ivy.pk)}).status_code == 200


def test_deactivated_account_is_not_found(fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    ivy.is_active = False
    ivy.save(update_fields=["is_active"])
    assert fern_api.post("/api/v1/reports", {"account_id": str(ivy.pk)}).status_code == 404
