"""The accounts API: one's own account (verify, update, preferences), sign-up through an app,
and anyone's account, posts, lookup and search."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from tests.api.conftest import ApiClient, api_as, make_token
from tests.factories import follow, make_post, make_user
from townsquare.accounts.models import User
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db


def _png(name: str = "avatar.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (40, 120, 60)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


# --- verify_credentials / update_credentials / preferences ---------------------------------


def test_verify_credentials_has_source(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.get("/api/v1/accounts/verify_credentials")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(fern.pk)
    assert body["username"] == "fern"
    assert body["source"]["privacy"] == "public"
    assert body["source"]["sensitive"] is False
    assert body["source"]["follow_requests_count"] == 0


def test_verify_credentials_with_profile_scope_only(fern: User) -> None:
    assert api_as(fern, "profile").get("/api/v1/accounts/verify_credentials").status_code == 200


def test_verify_credentials_needs_token_and_scope(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/accounts/verify_credentials").status_code == 401
    other = api_as(fern, "write")
    assert other.get("/api/v1/accounts/verify_credentials").status_code == 403


def test_update_credentials_json(fern: User, fern_api: ApiClient) -> None:
    response = fern_api.patch(
        "/api/v1/accounts/update_credentials",
        {
            "display_name": "Fern of the Allotment",
            "note": "Growing #tomatoes by the river.",
            "locked": True,
            "bot": True,
            "fields_attributes": [
                {"name": "Plot", "value": "12B"},
                {"name": "Club", "value": "Gardening"},
            ],
            "source": {"privacy": "private", "sensitive": True, "language": "fr"},
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Fern of the Allotment"
    assert "tomatoes" in body["note"]
    assert body["locked"] is True
    assert body["bot"] is False
    assert [f["name"] for f in body["fields"]] == ["Plot", "Club"]
    assert body["source"]["note"] == "Growing #tomatoes by the river."
    assert body["source"]["privacy"] == "private"
    assert body["source"]["sensitive"] is True
    assert body["source"]["language"] == "fr"
    fern.refresh_from_db()
    assert fern.default_visibility == Visibility.FOLLOWERS
    prefs = fern_api.get("/api/v1/preferences").json()
    assert prefs["posting:default:visibility"] == "private"
    assert prefs["posting:default:sensitive"] is True
    assert prefs["posting:default:language"] == "fr"
    assert prefs["reading:expand:spoilers"] is False


def test_update_credentials_form_with_nested_source_and_field_hash(
    fern: User, fern_api: ApiClient
) -> None:
    response = fern_api.patch(
        "/api/v1/accounts/update_credentials",
        {
            "display_name": "Fern",
            "source[privacy]": "unlisted",
            "fields_attributes[1][name]": "Second",
            "fields_attributes[1][value]": "two",
            "fields_attributes[0][name]": "First",
            "fields_attributes[0][value]": "one",
            "avatar": _png(),
        },
        form=True,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["source"]["privacy"] == "unlisted"
    assert [f["name"] for f in body["fields"]] == ["First", "Second"]
    fern.refresh_from_db()
    assert fern.avatar
    assert "missing-avatar" not in body["avatar"]
    removed = fern_api.delete("/api/v1/profile/avatar")
    assert removed.status_code == 200
    assert "missing-avatar" in removed.json()["avatar"]


def test_update_credentials_empty_note_clears_it(fern: User, fern_api: ApiClient) -> None:
    fern_api.patch("/api/v1/accounts/update_credentials", {"note": "Likes peas."})
    response = fern_api.patch("/api/v1/accounts/update_credentials", {"note": ""})
    assert response.status_code == 200
    assert response.json()["note"] == ""


@pytest.mark.parametrize(
    "data",
    [
        {"source": {"privacy": "everyone"}},
        {"source": {"language": "not a language"}},
        {"fields_attributes": [{"name": f"n{i}", "value": "v"} for i in range(5)]},
        {"fields_attributes": [{"name": "only a name", "value": ""}]},
        {"display_name": "x" * 61},
        {"avatar": "not-a-file"},
        {"locked": "maybe"},
    ],
)
def test_update_credentials_rejects_bad_input(fern_api: ApiClient, data: dict[str, Any]) -> None:
    response = fern_api.patch("/api/v1/accounts/update_credentials", data)
    assert response.status_code == 422, response.content
    assert "error" in response.json()


def test_update_credentials_rejects_a_broken_image(fern_api: ApiClient) -> None:
    bad = SimpleUploadedFile("avatar.png", b"not an image", content_type="image/png")
    response = fern_api.patch("/api/v1/accounts/update_credentials", {"avatar": bad}, form=True)
    assert response.status_code == 422


def test_update_credentials_needs_write_scope(fern: User, anon: ApiClient) -> None:
    assert anon.patch("/api/v1/accounts/update_credentials", {"note": "x"}).status_code == 401
    reader = api_as(fern, "read")
    assert reader.patch("/api/v1/accounts/update_credentials", {"note": "x"}).status_code == 403
    assert reader.get("/api/v1/preferences").status_code == 200
    assert api_as(fern, "write").get("/api/v1/preferences").status_code == 403


def test_source_privacy_is_stored_on_the_member(fern: User, fern_api: ApiClient) -> None:
    fern_api.patch("/api/v1/accounts/update_credentials", {"source": {"privacy": "unlisted"}})
    fern.refresh_from_db()
    assert fern.default_visibility == Visibility.UNLISTED


# --- sign-up through an app ----------------------------------------------------------------


def _app_client(scopes: str = "read write follow") -> ApiClient:
    return ApiClient(make_token(None, scopes))


def test_register_returns_a_working_token() -> None:
    client = _app_client()
    response = client.post(
        "/api/v1/accounts",
        {
            "username": "basil",
            "email": "basil@example.org",
            "password": "chess-and-herbs-2026",
            "agreement": True,
            "locale": "en",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert set(body["scope"].split()) == {"read", "write", "follow"}
    assert isinstance(body["created_at"], int)
    basil = User.objects.get(username="basil")
    assert not basil.email_confirmed
    me = ApiClient(body["access_token"]).get("/api/v1/accounts/verify_credentials")
    assert me.status_code == 200
    assert me.json()["username"] == "basil"


def test_register_form_encoded() -> None:
    response = _app_client().post(
        "/api/v1/accounts",
        {
            "username": "rook",
            "email": "rook@example.org",
            "password": "chess-and-herbs-2026",
            "agreement": "true",
        },
        form=True,
    )
    assert response.status_code == 200, response.content


def test_register_validation_errors_in_mastodons_shape(fern: User) -> None:
    response = _app_client().post(
        "/api/v1/accounts",
        {"username": "fern", "email": "not-an-email", "password": "chess-and-herbs-2026"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"].startswith("Validation failed:")
    assert body["details"]["agreement"][0]["error"] == "ERR_ACCEPTED"
    response = _app_client().post(
        "/api/v1/accounts",
        {
            "username": "fern",
            "email": "fern2@example.org",
            "password": "chess-and-herbs-2026",
            "agreement": True,
        },
    )
    assert response.status_code == 422
    assert response.json()["details"]["username"][0]["error"] == "ERR_TAKEN"
    blank = _app_client().post("/api/v1/accounts", {"agreement": True})
    assert blank.status_code == 422
    assert blank.json()["details"]["password"][0]["error"] == "ERR_BLANK"


def test_register_needs_an_app_token_with_write_accounts(anon: ApiClient) -> None:
    data = {
        "username": "sage",
        "email": "sage@example.org",
        "password": "chess-and-herbs-2026",
        "agreement": True,
    }
    assert anon.post("/api/v1/accounts", data).status_code == 401
    assert _app_client("read").post("/api/v1/accounts", data).status_code == 403
    assert not User.objects.filter(username="sage").exists()


def test_register_refused_when_registrations_are_closed(settings: Any) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "REGISTRATIONS_OPEN": False}
    response = _app_client().post(
        "/api/v1/accounts",
        {
            "username": "thyme",
            "email": "thyme@example.org",
            "password": "chess-and-herbs-2026",
            "agreement": True,
        },
    )
    assert response.status_code == 403
    assert "closed" in response.json()["error"]
    assert not User.objects.filter(username="thyme").exists()
    page = Client().get("/signup")
    assert page.status_code == 403
    assert "closed" in page.content.decode()
    posted = Client().post(
        "/signup",
        {"username": "thyme", "email": "thyme@example.org", "password": "chess-and-herbs-2026"},
    )
    assert posted.status_code == 403
    assert not User.objects.filter(username="thyme").exists()


def test_register_is_rate_limited_per_address() -> None:
    client = _app_client()
    statuses = []
    for number in range(12):  # every attempt counts, even one that fails validation
        response = client.post(
            "/api/v1/accounts",
            {
                "username": f"not a name {number}!",
                "email": f"sprout{number}@example.org",
                "password": "chess-and-herbs-2026",
                "agreement": True,
            },
        )
        statuses.append(response.status_code)
    assert statuses[0] == 422
    assert statuses[-1] == 429


# --- anyone's account ----------------------------------------------------------------------


def test_get_account(fern: User, anon: ApiClient) -> None:
    make_post(fern)
    response = anon.get(f"/api/v1/accounts/{fern.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["acct"] == "fern"
    assert body["statuses_count"] == 1
    assert "source" not in body


def test_get_account_unknown_or_inactive(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/accounts/12345").status_code == 404
    assert anon.get("/api/v1/accounts/not-an-id").status_code == 404
    assert anon.get("/api/v1/accounts/99999999999999999999999").status_code == 404
    fern.is_active = False
    fern.save(update_fields=["is_active"])
    assert anon.get(f"/api/v1/accounts/{fern.pk}").status_code == 404


def test_get_account_scope(fern: User) -> None:
    assert api_as(fern, "write").get(f"/api/v1/accounts/{fern.pk}").status_code == 403
    assert api_as(fern, "read:accounts").get(f"/api/v1/accounts/{fern.pk}").status_code == 200


def test_lookup(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/accounts/lookup", {"acct": "fern"}).json()["id"] == str(fern.pk)
    assert anon.get("/api/v1/accounts/lookup", {"acct": "@FERN"}).status_code == 200
    assert anon.get("/api/v1/accounts/lookup", {"acct": "fern@testserver"}).status_code == 200
    assert anon.get("/api/v1/accounts/lookup", {"acct": "fern@elsewhere.example"}).status_code == (
        404
    )
    assert anon.get("/api/v1/accounts/lookup", {"acct": "nobody"}).status_code == 404
    assert anon.get("/api/v1/accounts/lookup").status_code == 400


def test_search_accounts(fern: User, fern_api: ApiClient) -> None:
    basil = make_user("basil")
    make_user("basilisk")
    hidden = make_user("basilio")
    hidden.discoverable = False
    hidden.save(update_fields=["discoverable"])
    found = fern_api.get("/api/v1/accounts/search", {"q": "basil"}).json()
    names = [a["username"] for a in found]
    assert names[0] == "basil"
    assert "basilisk" in names
    assert "basilio" not in names
    exact = fern_api.get("/api/v1/accounts/search", {"q": "@basilio"}).json()
    assert [a["username"] for a in exact][0] == "basilio"
    follow(fern, basil)
    only = fern_api.get("/api/v1/accounts/search", {"q": "basil", "following": "true"}).json()
    assert [a["username"] for a in only] == ["basil"]
    limited = fern_api.get("/api/v1/accounts/search", {"q": "basil", "limit": 1}).json()
    assert len(limited) == 1


def test_search_accounts_hides_blocked(fern: User, fern_api: ApiClient) -> None:
    rook = make_user("rook")
    graph_actions.block(rook, fern)
    assert fern_api.get("/api/v1/accounts/search", {"q": "rook"}).json() == []


def test_search_accounts_auth_and_input(fern: User, anon: ApiClient) -> None:
    assert anon.get("/api/v1/accounts/search", {"q": "fern"}).status_code == 401
    assert api_as(fern, "write").get("/api/v1/accounts/search", {"q": "f"}).status_code == 403
    client = api_as(fern)
    assert client.get("/api/v1/accounts/search").status_code == 400
    assert client.get("/api/v1/accounts/search", {"q": "fe", "limit": "lots"}).status_code == 422


# --- an account's statuses -----------------------------------------------------------------


def test_account_statuses_filters_and_pages(fern: User, anon: ApiClient) -> None:
    basil = make_user("basil")
    first = make_post(fern, "First seeds in.")
    other = make_post(basil, "Chess club tonight.")
    reply = post_actions.create_post(fern, text="Count me in!", in_reply_to=other)
    own_reply = post_actions.create_post(fern, text="And more seeds.", in_reply_to=first)
    tagged = make_post(fern, "Harvest day #tomatoes")
    share = post_actions.share(fern, other)
    url = f"/api/v1/accounts/{fern.pk}/statuses"

    every = anon.get(url).json()
    assert [s["id"] for s in every] == [
        str(share.pk),
        str(tagged.pk),
        str(own_reply.pk),
        str(reply.pk),
        str(first.pk),
    ]
    assert every[0]["reblog"]["id"] == str(other.pk)
    no_replies = [s["id"] for s in anon.get(url, {"exclude_replies": "true"}).json()]
    assert str(reply.pk) not in no_replies
    assert str(own_reply.pk) in no_replies
    no_shares = [s["id"] for s in anon.get(url, {"exclude_reblogs": "1"}).json()]
    assert str(share.pk) not in no_shares
    assert [s["id"] for s in anon.get(url, {"tagged": "Tomatoes"}).json()] == [str(tagged.pk)]
    assert anon.get(url, {"only_media": "true"}).json() == []

    page = anon.get(url, {"limit": 2})
    assert [s["id"] for s in page.json()] == [str(share.pk), str(tagged.pk)]
    link = page["Link"]
    assert f"max_id={tagged.pk}" in link and f"min_id={share.pk}" in link
    older = anon.get(url, {"max_id": tagged.pk, "limit": 2}).json()
    assert [s["id"] for s in older] == [str(own_reply.pk), str(reply.pk)]
    newer = anon.get(url, {"min_id": first.pk, "limit": 2}).json()
    assert [s["id"] for s in newer] == [str(own_reply.pk), str(reply.pk)]
    since = anon.get(url, {"since_id": own_reply.pk}).json()
    assert [s["id"] for s in since] == [str(share.pk), str(tagged.pk)]


def test_account_statuses_pinned(fern: User, fern_api: ApiClient) -> None:
    make_post(fern, "Not pinned.")
    pinned = make_post(fern, "Club rules, pinned.")
    post_actions.pin(fern, pinned)
    body = fern_api.get(f"/api/v1/accounts/{fern.pk}/statuses", {"pinned": "true"}).json()
    assert [s["id"] for s in body] == [str(pinned.pk)]
    assert body[0]["pinned"] is True


def test_account_statuses_hide_private_posts(fern: User, anon: ApiClient) -> None:
    public = make_post(fern, "Open day on Saturday.")
    make_post(fern, "For followers: the gate code.", Visibility.FOLLOWERS)
    make_post(fern, "Just for @nobody.", Visibility.MENTIONED)
    url = f"/api/v1/accounts/{fern.pk}/statuses"
    assert [s["id"] for s in anon.get(url).json()] == [str(public.pk)]
    stranger = api_as(make_user("stranger"))
    assert [s["id"] for s in stranger.get(url).json()] == [str(public.pk)]
    follower = make_user("follower")
    follow(follower, fern)
    assert len(api_as(follower).get(url).json()) == 2
    blocked = make_user("blocked")
    graph_actions.block(fern, blocked)
    assert api_as(blocked).get(url).json() == []


def test_account_statuses_errors(fern: User, anon: ApiClient) -> None:
    url = f"/api/v1/accounts/{fern.pk}/statuses"
    assert anon.get("/api/v1/accounts/1/statuses").status_code == 404
    assert anon.get(url, {"max_id": "abc"}).status_code == 422
    assert anon.get(url, {"limit": 0}).status_code == 422
    assert api_as(fern, "read:accounts").get(url).status_code == 403
    assert api_as(fern, "read:statuses").get(url).status_code == 200


def test_featured_tags_and_identity_proofs_are_empty(fern: User, fern_api: ApiClient) -> None:
    assert fern_api.get("/api/v1/featured_tags").json() == []
    assert fern_api.get(f"/api/v1/accounts/{fern.pk}/featured_tags").json() == []
    assert fern_api.get(f"/api/v1/accounts/{fern.pk}/identity_proofs").json() == []


def test_responses_match_the_documented_entities(fern: User, fern_api: ApiClient) -> None:
    from pydantic import TypeAdapter

    from townsquare.api.schemas.accounts import Preferences
    from townsquare.api.schemas.entities import Account, CredentialAccount, Status

    make_post(fern, "Checking the schema #beans")
    TypeAdapter(CredentialAccount).validate_python(
        fern_api.get("/api/v1/accounts/verify_credentials").json()
    )
    TypeAdapter(Account).validate_python(fern_api.get(f"/api/v1/accounts/{fern.pk}").json())
    TypeAdapter(list[Status]).validate_python(
        fern_api.get(f"/api/v1/accounts/{fern.pk}/statuses").json()
    )
    Preferences.model_validate(fern_api.get("/api/v1/preferences").json())
