"""Filters (v2): keyword and post filters, and how they mark or hide statuses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import ApiClient, api_as
from tests.factories import follow, make_post, make_user
from townsquare.accounts.models import User
from townsquare.api.schemas.filters import Filter, FilterKeyword, FilterResult, FilterStatus
from townsquare.api.serializers.statuses import statuses
from townsquare.filters import actions as filter_actions
from townsquare.filters.actions import KeywordChange
from townsquare.posts.models import Visibility
from townsquare.posts.queries import posts_by_id

pytestmark = pytest.mark.django_db


def _create(client: ApiClient, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "No spoilers",
        "context": ["home", "public"],
        "keywords_attributes": [{"keyword": "endgame", "whole_word": True}],
        **extra,
    }
    response = client.post("/api/v2/filters", body)
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_create_and_read(fern_api: ApiClient) -> None:
    created = _create(fern_api, filter_action="hide", expires_in=3600)
    assert created["title"] == "No spoilers"
    assert created["context"] == ["home", "public"]
    assert created["filter_action"] == "hide"
    assert created["expires_at"] is not None
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [("endgame", True)]
    assert created["statuses"] == []
    Filter.model_validate(created)
    assert set(created) == set(Filter.model_fields)
    assert fern_api.get(f"/api/v2/filters/{created['id']}").json() == created
    assert fern_api.get("/api/v2/filters").json() == [created]
    v1 = fern_api.get("/api/v1/filters").json()
    assert v1[0]["phrase"] == "endgame" and v1[0]["irreversible"] is True


def test_create_form_encoded_as_the_docs_show(fern_api: ApiClient) -> None:
    response = fern_api.post(
        "/api/v2/filters",
        {
            "title": "test",
            "context[]": ["public"],
            "keywords_attributes[][keyword]": ["foo", "bar"],
            "keywords_attributes[][whole_word]": ["false", "true"],
        },
        form=True,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["filter_action"] == "warn"
    assert [(k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        ("foo", False),
        ("bar", True),
    ]


def test_update_keywords_attributes(fern_api: ApiClient) -> None:
    created = _create(
        fern_api,
        keywords_attributes=[{"keyword": "foo"}, {"keyword": "bar", "whole_word": False}],
    )
    foo, bar = created["keywords"]
    response = fern_api.put(
        f"/api/v2/filters/{created['id']}",
        {
            "title": "Renamed",
            "context": ["thread"],
            "keywords_attributes": [
                {"id": foo["id"], "_destroy": True},
                {"id": bar["id"], "keyword": "baz"},
                {"keyword": "qux"},
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["title"] == "Renamed" and body["context"] == ["thread"]
    assert [(k["id"], k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        (bar["id"], "baz", False),
        (body["keywords"][1]["id"], "qux", True),
    ]
    # expires_in empty: the filter lasts for good.
    timed = _create(fern_api, expires_in=60)
    cleared = fern_api.put(f"/api/v2/filters/{timed['id']}", {"expires_in": ""})
    assert cleared.json()["expires_at"] is None
    again = fern_api.client.put(
        f"/api/v2/filters/{timed['id']}",
        "expires_in=3600&filter_action=hide",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Bearer {fern_api.token}",
    )
    assert again.status_code == 200, again.content
    assert again.json()["expires_at"] is not None and again.json()["filter_action"] == "hide"
    # A keyword id from elsewhere is not found.
    other = fern_api.put(
        f"/api/v2/filters/{created['id']}", {"keywords_attributes": [{"id": "12345"}]}
    )
    assert other.status_code == 404


def test_keyword_endpoints(fern_api: ApiClient) -> None:
    created = _create(fern_api)
    path = f"/api/v2/filters/{created['id']}/keywords"
    added = fern_api.post(path, {"keyword": "checkmate", "whole_word": False})
    assert added.status_code == 200
    keyword = added.json()
    assert keyword["keyword"] == "checkmate" and keyword["whole_word"] is False
    assert set(FilterKeyword.model_validate(keyword).model_dump()) == set(keyword)
    assert [k["keyword"] for k in fern_api.get(path).json()] == ["endgame", "checkmate"]
    one = f"/api/v2/filters/keywords/{keyword['id']}"
    assert fern_api.get(one).json() == keyword
    changed = fern_api.put(one, {"keyword": "stalemate"})
    assert changed.json()["keyword"] == "stalemate"
    assert fern_api.delete(one).json() == {}
    assert fern_api.get(one).status_code == 404
    assert fern_api.post(path, {"keyword": " "}).status_code == 422
    assert fern_api.post(path, {}).status_code == 400


def test_status_endpoints(fern: User, fern_api: ApiClient) -> None:
    created = _create(fern_api)
    post = make_post(make_user("ivy"), "Opening theory night.")
    path = f"/api/v2/filters/{created['id']}/statuses"
    added = fern_api.post(path, {"status_id": str(post.pk)})
    assert added.status_code == 200
    row = added.json()
    assert row["status_id"] == str(post.pk)
    assert set(FilterStatus.model_validate(row).model_dump()) == set(row)
    assert fern_api.get(path).json() == [row]
    assert fern_api.get(f"/api/v2/filters/statuses/{row['id']}").json() == row
    assert fern_api.get(f"/api/v2/filters/{created['id']}").json()["statuses"] == [row]
    assert fern_api.post(path, {"status_id": str(post.pk)}).status_code == 422
    assert fern_api.delete(f"/api/v2/filters/statuses/{row['id']}").json() == {}
    assert fern_api.get(path).json() == []


def test_cannot_filter_a_post_one_cannot_see(fern: User, fern_api: ApiClient) -> None:
    created = _create(fern_api)
    secret = make_post(make_user("ivy"), "Followers only: gate code.", Visibility.FOLLOWERS)
    response = fern_api.post(
        f"/api/v2/filters/{created['id']}/statuses", {"status_id": str(secret.pk)}
    )
    assert response.status_code == 404


def test_bad_input(fern_api: ApiClient) -> None:
    assert fern_api.post("/api/v2/filters", {"context": ["home"]}).status_code == 400
    assert fern_api.post("/api/v2/filters", {"title": "x"}).status_code == 400
    bad_context = fern_api.post("/api/v2/filters", {"title": "x", "context": ["everywhere"]})
    assert bad_context.status_code == 422
    bad_action = fern_api.post(
        "/api/v2/filters", {"title": "x", "context": ["home"], "filter_action": "explode"}
    )
    assert bad_action.status_code == 422
    bad_expiry = fern_api.post(
        "/api/v2/filters", {"title": "x", "context": ["home"], "expires_in": -5}
    )
    assert bad_expiry.status_code == 422
    huge = fern_api.post(
        "/api/v2/filters", {"title": "x", "context": ["home"], "expires_in": 10**30}
    )
    assert huge.status_code == 422
    new_with_id = fern_api.post(
        "/api/v2/filters",
        {"title": "x", "context": ["home"], "keywords_attributes": [{"id": "5"}]},
    )
    assert new_with_id.status_code == 404
    assert fern_api.get("/api/v2/filters/abc").status_code == 404
    assert fern_api.post("/api/v2/filters/1/statuses", {"status_id": "x"}).status_code in (
        404,
        422,
    )


def test_tokens_scopes_and_ownership(fern: User, fern_api: ApiClient, anon: ApiClient) -> None:
    created = _create(fern_api)
    assert anon.get("/api/v2/filters").status_code == 401
    assert api_as(fern, "read:filters").post("/api/v2/filters", {}).status_code == 403
    assert api_as(fern, "write:filters").get("/api/v2/filters").status_code == 403
    other = api_as(make_user("rowan"))
    assert other.get("/api/v2/filters").json() == []
    assert other.get(f"/api/v2/filters/{created['id']}").status_code == 404
    assert other.put(f"/api/v2/filters/{created['id']}", {"title": "x"}).status_code == 404
    assert other.delete(f"/api/v2/filters/{created['id']}").status_code == 404
    keyword_id = created["keywords"][0]["id"]
    assert other.get(f"/api/v2/filters/keywords/{keyword_id}").status_code == 404
    assert other.delete(f"/api/v2/filters/keywords/{keyword_id}").status_code == 404
    assert other.get(f"/api/v2/filters/{created['id']}/keywords").status_code == 404
    assert fern_api.delete(f"/api/v2/filters/{created['id']}").json() == {}
    assert fern_api.get("/api/v2/filters").json() == []


def _rendered(viewer: User, post_ids: list[int], context: str) -> list[dict[str, Any]]:
    found = posts_by_id(viewer, post_ids)
    return statuses(viewer, [found[i] for i in post_ids], context=context)


def test_filters_mark_and_hide_statuses(fern: User) -> None:
    ivy = make_user("ivy")
    follow(fern, ivy)
    spoiler = make_post(ivy, "That ENDGAME was brilliant.")
    partial = make_post(ivy, "Endgames are hard.")
    plain = make_post(ivy, "Watering the leeks.")
    named = make_post(ivy, "Leeks again.")
    own = make_post(fern, "My endgame notes.")
    warn = filter_actions.create_filter(
        fern, title="Chess", context=["home"], keywords=[KeywordChange("endgame", True)]
    )
    filter_actions.add_status(fern, warn, named)
    ids = [spoiler.pk, partial.pk, plain.pk, named.pk, own.pk]

    shown = {int(s["id"]): s for s in _rendered(fern, ids, "home")}
    assert len(shown) == 5
    result = shown[spoiler.pk]["filtered"]
    assert FilterResult.model_validate(result[0]).model_dump() == result[0]
    assert result[0]["filter"]["id"] == str(warn.pk)
    assert result[0]["filter"]["filter_action"] == "warn"
    assert result[0]["keyword_matches"] == ["endgame"] and result[0]["status_matches"] is None
    assert shown[partial.pk]["filtered"] == []  # whole word: "Endgames" does not match
    assert shown[plain.pk]["filtered"] == []
    assert shown[named.pk]["filtered"][0]["status_matches"] == [str(named.pk)]
    assert shown[own.pk]["filtered"] == []  # one's own posts are never filtered

    # Another place: the filter does not apply.
    elsewhere = _rendered(fern, ids, "public")
    assert all(s["filtered"] == [] for s in elsewhere)

    filter_actions.create_filter(
        fern,
        title="Hide",
        context=["home"],
        action="hide",
        keywords=[KeywordChange("endgame", False)],
    )
    kept = [int(s["id"]) for s in _rendered(fern, ids, "home")]
    assert kept == [plain.pk, named.pk, own.pk]
    # Somebody else's filters do not touch what fern sees, nor fern's what ivy sees.
    assert len(_rendered(ivy, ids, "home")) == 5


def test_expired_filters_do_not_apply(fern: User) -> None:
    post = make_post(make_user("ivy"), "Endgame study group.")
    item = filter_actions.create_filter(
        fern, title="x", context=["home"], action="hide", keywords=[KeywordChange("endgame")]
    )
    assert _rendered(fern, [post.pk], "home") == []
    type(item).objects.filter(pk=item.pk).update(expires_at="2000-01-01T00:00:00Z")
    assert len(_rendered(fern, [post.pk], "home")) == 1


def test_filtered_on_the_list_timeline(fern: User, fern_api: ApiClient) -> None:
    ivy = make_user("ivy")
    follow(fern, ivy)
    post = make_post(ivy, "Endgame tonight at the library.")
    list_id = fern_api.post("/api/v1/lists", {"title": "Chess"}).json()["id"]
    fern_api.post(f"/api/v1/lists/{list_id}/accounts", {"account_ids": [str(ivy.pk)]})
    _create(fern_api, context=["home"])
    body = fern_api.get(f"/api/v1/timelines/list/{list_id}").json()
    assert body[0]["id"] == str(post.pk)
    assert body[0]["filtered"][0]["keyword_matches"] == ["endgame"]


def test_filters_apply_on_the_timelines_of_their_context(fern: User) -> None:
    """A `hide` filter for home drops the post from the home timeline; a `warn` filter for
    public marks it there; a filter of another context leaves the timeline alone."""
    from townsquare.feeds.queries import home_feed  # noqa: F401 - the feed the API reads

    grower = make_user("grower")
    follow(fern, grower)
    post = make_post(grower, "The endgame of the pumpkin contest is near")
    from tests.factories import run_jobs

    run_jobs()
    client = api_as(fern)
    home_ids = [s["id"] for s in client.get("/api/v1/timelines/home").json()]
    assert str(post.pk) in home_ids
    _create(client, context=["home"], filter_action="hide")
    home = client.get("/api/v1/timelines/home").json()
    assert str(post.pk) not in [s["id"] for s in home]
    public = client.get("/api/v1/timelines/public").json()
    shown = [s for s in public if s["id"] == str(post.pk)]
    assert shown and shown[0]["filtered"] == []  # a home filter does not touch public
    _create(client, title="Careful", context=["public"], filter_action="warn")
    public = client.get("/api/v1/timelines/public").json()
    marked = [s for s in public if s["id"] == str(post.pk)][0]
    assert [r["filter"]["title"] for r in marked["filtered"]] == ["Careful"]
    assert marked["filtered"][0]["keyword_matches"] == ["endgame"]
