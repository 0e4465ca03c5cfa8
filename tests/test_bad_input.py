"""Bad, tampered and hostile input gets a 4xx answer with something useful on it, never a 500.

Django's test client re-raises an exception from a view, so any 500 fails these tests too.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.conf import settings
from django.core import signing
from django.http import HttpResponse
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests.conftest import text_of
from tests.factories import PASSWORD, follow, make_post, make_user, run_jobs
from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User, UserSession
from townsquare.graph.models import Follow, FollowRequest
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture(autouse=True)
def _quick_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def compose(client: Client, text: str, visibility: str = "0", **extra: str) -> HttpResponse:
    return client.post("/posts", {"text": text, "visibility": visibility, **extra})


def text_of_length(n: int) -> str:
    base = "Plant the garlic in autumn and the chess club meets on Tuesdays. "
    return (base * (n // len(base) + 1))[: n - 1] + "."


# --- posts -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", " \n\t \r\n  "])
def test_empty_or_whitespace_post_is_refused(browser: Client, text: str) -> None:
    response = compose(browser, text)
    assert response.status_code == 400
    assert "Write something before posting." in text_of(response)
    assert not Post.objects.exists()


def test_over_long_post_is_refused_and_the_limit_itself_is_fine(browser: Client) -> None:
    limit = settings.TOWNSQUARE["MAX_POST_LENGTH"]
    response = compose(browser, text_of_length(limit + 1))
    assert response.status_code == 400
    assert f"Posts are at most {limit:,} characters" in text_of(response)
    assert not Post.objects.exists()

    assert compose(browser, text_of_length(limit)).status_code == 302
    assert len(Post.objects.get().text) == limit


def test_a_post_many_times_over_the_limit_is_refused(browser: Client) -> None:
    response = compose(browser, text_of_length(1_000_000))
    assert response.status_code == 400
    assert not Post.objects.exists()


@pytest.mark.parametrize("visibility", ["7", "abc", "", "-1", "1.5", "0x1", HUGE, "٣"])
def test_tampered_visibility_is_refused(browser: Client, visibility: str) -> None:
    response = compose(browser, "Seedlings are up in the community garden.", visibility)
    assert response.status_code == 400
    assert "Select a valid choice" in text_of(response) or "field is required" in text_of(response)
    assert not Post.objects.exists()


def test_missing_fields_on_compose_are_a_400(browser: Client) -> None:
    assert browser.post("/posts", {}).status_code == 400
    assert not Post.objects.exists()


def test_a_nul_character_in_a_post_is_refused(browser: Client) -> None:
    response = compose(browser, "Chess\x00 club")
    assert response.status_code == 400
    assert not Post.objects.exists()


def test_composing_needs_a_member_and_a_post(fern: User) -> None:
    response = compose(Client(), "Anonymous gardening tips")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
    signed_in = Client()
    signed_in.force_login(fern)
    assert signed_in.get("/posts").status_code == 405
    assert not Post.objects.exists()


def test_deleting_someone_elses_post_is_refused(browser: Client) -> None:
    moss = make_user("moss")
    post = make_post(moss, "Chess society: the spring tournament draw is up.")
    response = browser.post(f"/posts/{post.pk}/delete")
    assert response.status_code in (403, 404)
    assert Post.objects.filter(pk=post.pk).exists()


def test_deleting_a_post_one_cannot_see_or_that_does_not_exist_is_a_404(
    browser: Client,
) -> None:
    moss = make_user("moss")
    hidden = make_post(moss, "Plot allocations for followers.", Visibility.FOLLOWERS)
    assert browser.post(f"/posts/{hidden.pk}/delete").status_code == 404
    assert browser.post("/posts/12345/delete").status_code == 404
    assert browser.post(f"/posts/{HUGE}/delete").status_code == 404
    assert browser.get(f"/posts/{hidden.pk}/delete").status_code == 405
    assert Post.objects.filter(pk=hidden.pk).exists()


def test_deleting_needs_a_signed_in_member() -> None:
    moss = make_user("moss")
    post = make_post(moss)
    response = Client().post(f"/posts/{post.pk}/delete")
    assert response.status_code == 302
    assert Post.objects.filter(pk=post.pk).exists()


# --- people ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["follow", "unfollow", "remove-follower"])
def test_follow_actions_on_an_unknown_member_are_a_404(browser: Client, action: str) -> None:
    assert browser.post(f"/@nobody_here/{action}").status_code == 404
    assert browser.post(f"/@no-such-name/{action}").status_code == 404
    assert not Follow.objects.exists()


def test_following_oneself_is_refused_with_a_message(fern: User, browser: Client) -> None:
    response = browser.post("/@fern/follow", follow=True)
    assert response.status_code == 200
    assert "You cannot follow yourself." in text_of(response)
    assert not Follow.objects.exists()


def test_unknown_profile_is_a_404_page(browser: Client) -> None:
    for client in (Client(), browser):
        for path in ("/@nobody_here", "/@nobody_here/followers", "/@nobody_here/following"):
            response = client.get(path)
            assert response.status_code == 404
            assert "There is nothing here" in text_of(response)
    assert Client().get("/@" + "a" * 31).status_code == 404
    assert Client().get("/@fern/" + HUGE).status_code == 404
    assert Client().get("/@fern/12345").status_code == 404


@pytest.mark.parametrize("answer", ["maybe", "APPROVE", "delete"])
def test_a_tampered_follow_request_answer_does_nothing(fern: User, answer: str) -> None:
    fern.locked = True
    fern.save(update_fields=["locked"])
    moss = make_user("moss")
    follow(moss, fern)
    request = FollowRequest.objects.get()
    owner = Client()
    owner.force_login(fern)
    response = owner.post(f"/follow-requests/{request.pk}/{answer}")
    assert response.status_code in (302, 400, 404)
    assert FollowRequest.objects.filter(pk=request.pk).exists()
    assert not Follow.objects.exists()


def test_answering_an_unknown_follow_request_is_handled(browser: Client) -> None:
    for answer in ("approve", "reject"):
        response = browser.post(f"/follow-requests/12345/{answer}", follow=True)
        assert response.status_code == 200
        assert "That follow request no longer exists." in text_of(response)
        huge = browser.post(f"/follow-requests/{HUGE}/{answer}", follow=True)
        assert huge.status_code in (200, 404)


# --- feeds and cursors -------------------------------------------------------------------

FEEDS = ["/", "/public", "/tags/gardening", "/@fern", "/@fern/followers", "/@fern/following"]
CURSORS = ["abc", HUGE, "-1", "0", "1e9", "", " ", "1.5", str(2**63), str(2**63 - 1), "\x00"]


@pytest.mark.parametrize("cursor", CURSORS)
def test_junk_cursors_in_feed_urls_are_ignored(fern: User, browser: Client, cursor: str) -> None:
    moss = make_user("moss")
    follow(fern, moss)
    make_post(moss, "The #gardening club swaps seeds on Sunday.")
    run_jobs()
    for client in (browser, Client()):
        for url in FEEDS:
            for params in ({"max_id": cursor}, {"max_id": cursor, "limit": cursor}):
                response = client.get(url, params)
                assert response.status_code == 200, (url, params)
            htmx = client.get(url, {"max_id": cursor}, HTTP_HX_REQUEST="true")
            assert htmx.status_code == 200, url
    assert browser.get("/home/new", {"since": cursor}).status_code == 200


@pytest.mark.parametrize("name", ["%00", "a" * 500, "caf%C3%A9", "%F0%9F%8C%B1", "x%27%22%3C"])
def test_odd_tag_names_do_not_break_the_tag_page(name: str) -> None:
    assert Client().get(f"/tags/{name}").status_code in (200, 404)


# --- account links -----------------------------------------------------------------------


def signed_confirmation(payload: object) -> str:
    return signing.dumps(payload, salt=account_actions.CONFIRM_SALT, compress=True)


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 2000,
        "eyJ1IjoxfQ:1tq2Z0:abc",
        ".eJyrVipVslIqLU4tUtJRSs7PS8nMS1eyUsrMK0vNSc1LVSgpSk3VMjAwMAIAqZMJJg:1tq2Z0:abc",
        "%00",
        "%E2%98%83",
    ],
)
def test_garbage_confirmation_links_are_a_400_page(token: str) -> None:
    response = Client().get(f"/confirm/{token}")
    assert response.status_code == 400
    assert "That link did not work" in text_of(response)


def test_signed_confirmation_payloads_that_make_no_sense_are_a_400_page() -> None:
    for payload in (
        {"u": 12345, "e": "nobody@example.org"},
        {"u": "abc", "e": "x@example.org"},
        {"u": int(HUGE), "e": "x@example.org"},
        {"e": "x@example.org"},
        ["not", "a", "dict"],
        "just text",
        None,
    ):
        response = Client().get(f"/confirm/{signed_confirmation(payload)}")
        assert response.status_code == 400, payload
        assert "That link did not work" in text_of(response)


def test_a_token_signed_for_another_purpose_is_not_a_confirmation_link(fern: User) -> None:
    token = signing.dumps({"u": fern.pk, "e": fern.email}, salt="another-salt")
    assert Client().get(f"/confirm/{token}").status_code == 400


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("garbage", "garbage"),
        ("MTIz", "abc-def"),
        ("_-_-", "abc"),
        ("%00", "%00"),
        (urlsafe_base64_encode(force_bytes(HUGE)), "abc-def"),
        (urlsafe_base64_encode(force_bytes("-1")), "abc-def"),
        (urlsafe_base64_encode(b"\xff\xfe"), "abc-def"),
    ],
)
def test_garbage_password_reset_links_are_a_400_page(fern: User, uid: str, token: str) -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(
            f"/password/reset/{uid}/{token}", {"new_password": "rooks-and-bishops-77"}
        )
        assert response.status_code == 400
        assert "That link did not work" in text_of(response)


def test_a_reset_link_with_the_right_member_but_a_forged_token_is_a_400(fern: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(fern.pk))
    response = Client().post(
        f"/password/reset/{uid}/c0ffee-0123456789abcdef", {"new_password": "rooks-77-bishops"}
    )
    assert response.status_code == 400
    fern.refresh_from_db()
    assert not fern.has_usable_password()


# --- forms -------------------------------------------------------------------------------


def test_login_form_with_missing_or_odd_fields_is_a_400() -> None:
    assert Client().post("/login", {}).status_code in (200, 400)  # an empty form, shown again
    for data in ({"login": ""}, {"login": "fern"}, {"login": "fern\x00", "password": "x"}):
        assert Client().post("/login", data).status_code == 400
    assert Client().post("/login", {"login": "f" * 300, "password": "p" * 300}).status_code == 400


def test_signup_form_with_odd_values_is_a_400() -> None:
    assert Client().post("/signup", {}).status_code in (200, 400)  # an empty form, shown again
    for data in (
        {
            "username": "fern\x00",
            "email": "fern@example.org",
            "password": PASSWORD,
            "agreement": "on",
        },
        {
            "username": "fern",
            "email": "fern@example.org\x00",
            "password": PASSWORD,
            "agreement": "on",
        },
        {"username": "fern", "email": "fern@example.org", "password": "p" * 300, "agreement": "on"},
    ):
        assert Client().post("/signup", data).status_code == 400
    assert not User.objects.exists()


def test_an_email_longer_than_the_254_characters_an_address_may_have_is_refused() -> None:
    """The email column holds 254 characters (the longest address SMTP allows): a longer one
    must be a form error, not a row that PostgreSQL refuses with a 500."""
    email = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".org"
    assert len(email) == 260
    response = Client().post(
        "/signup",
        {"username": "fern", "email": email, "password": PASSWORD, "agreement": "on"},
    )
    assert response.status_code == 400
    assert not User.objects.exists()


def test_password_reset_form_with_a_bad_address_is_a_400() -> None:
    assert Client().post("/password/reset", {}).status_code in (200, 400)
    for data in ({"email": "not an address"}, {"email": "x@" + "y" * 400 + ".org"}):
        response = Client().post("/password/reset", data)
        assert response.status_code == 400


def test_too_many_form_fields_is_a_400(browser: Client) -> None:
    data = {f"field{i}": "x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 10)}
    data["text"] = "Chess club tonight"
    assert browser.post("/posts", data).status_code == 400
    assert not Post.objects.exists()


def test_profile_form_with_odd_values_is_a_400(fern: User, browser: Client) -> None:
    for data in (
        {"display_name": "Fern\x00"},
        {"bio": "Gardening\x00"},
        {"field_0_name": "L" * 51, "field_0_value": "Chess"},
        {"field_0_name": "Club", "field_0_value": "V" * 201},
        {"field_0_name": "", "field_0_value": "Chess"},
    ):
        assert browser.post("/settings/profile", data).status_code == 400, data
    fern.refresh_from_db()
    assert fern.fields == [] and fern.display_name == "" and fern.bio == ""


@pytest.mark.parametrize("value", ["abc", "", "-3", "0", HUGE, "1.5"])
def test_ending_a_session_with_a_junk_id_is_harmless(browser: Client, value: str) -> None:
    response = browser.post("/settings/sessions/end", {"session": value})
    assert response.status_code == 302
    assert browser.get("/settings/sessions").status_code == 200


def test_a_member_cannot_end_someone_elses_session() -> None:
    make_user("fern", password=PASSWORD)
    make_user("moss", password=PASSWORD)
    fern_browser, moss_browser = Client(), Client()
    assert fern_browser.post("/login", {"login": "fern", "password": PASSWORD}).status_code == 302
    assert moss_browser.post("/login", {"login": "moss", "password": PASSWORD}).status_code == 302
    theirs = UserSession.objects.get(user__username="moss")
    fern_browser.post("/settings/sessions/end", {"session": str(theirs.pk)})
    assert UserSession.objects.filter(pk=theirs.pk).exists()
    assert moss_browser.get("/settings/sessions").status_code == 200


# --- open redirects ----------------------------------------------------------------------

FOREIGN = [
    "https://evil.example/phish",
    "//evil.example/phish",
    "http:/\\evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://testserver.evil.example/",
    "javascript:alert(1)",
    " https://evil.example",
    "https:evil.example",
]


def assert_stays_on_this_site(response: HttpResponse) -> None:
    assert response.status_code == 302
    location = response["Location"]
    assert "evil.example" not in location
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", FOREIGN)
def test_login_never_follows_next_to_another_site(target: str) -> None:
    make_user("fern", password=PASSWORD)
    client = Client()
    page = client.get("/login", {"next": target})
    assert "evil.example" not in text_of(page)
    response = client.post(
        f"/login?next={quote(target)}", {"login": "fern", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    # Already signed in, the login page sends people on: still not to another site.
    again = client.get("/login", {"next": target})
    assert again.status_code == 302
    assert again["Location"] == "/"


def test_login_follows_next_on_this_site() -> None:
    make_user("fern", password=PASSWORD)
    client = Client()
    page = client.get("/login", {"next": "/settings/profile"})
    assert 'name="next" value="/settings/profile"' in text_of(page)
    response = client.post(
        "/login", {"login": "fern", "password": PASSWORD, "next": "/settings/profile"}
    )
    assert response["Location"] == "/settings/profile"


@pytest.mark.parametrize("target", FOREIGN[:3])
def test_other_forms_never_follow_next_to_another_site(
    fern: User, browser: Client, target: str
) -> None:
    make_user("moss")
    followed = browser.post("/@moss/follow", {"next": target})
    assert_stays_on_this_site(followed)
    unfollowed = browser.post(f"/@moss/unfollow?next={quote(target)}")
    assert_stays_on_this_site(unfollowed)

    posted = compose(browser, "Chess club moved to the library.", next=target)
    assert_stays_on_this_site(posted)
    post = Post.objects.get(author=fern)

    deleted = browser.post(f"/posts/{post.pk}/delete", {"next": target})
    assert_stays_on_this_site(deleted)
    assert not Post.objects.filter(pk=post.pk).exists()


def test_an_oversized_request_body_is_refused_before_it_is_read(browser: Client) -> None:
    from django.conf import settings

    config = settings.TOWNSQUARE
    largest_form = max(
        config["MAX_UPLOAD_BYTES"] * config["MAX_MEDIA_PER_POST"], config["MAX_VIDEO_BYTES"]
    )
    too_big = largest_form + 2 * 1024 * 1024
    response = browser.post(
        "/settings/profile", data=b"x", content_type="text/plain", CONTENT_LENGTH=str(too_big)
    )
    assert response.status_code == 413


def test_a_post_with_its_most_images_or_a_video_is_not_refused_for_its_size(
    browser: Client,
) -> None:
    """A post may carry MAX_MEDIA_PER_POST images of MAX_UPLOAD_BYTES each, or one video of
    MAX_VIDEO_BYTES: such a body must reach the composer (which checks each file)."""
    from django.conf import settings

    config = settings.TOWNSQUARE
    for size in (
        config["MAX_UPLOAD_BYTES"] * config["MAX_MEDIA_PER_POST"],
        config["MAX_VIDEO_BYTES"],
    ):
        response = browser.post(
            "/posts", data=b"x", content_type="text/plain", CONTENT_LENGTH=str(size)
        )
        assert response.status_code != 413


def test_live_updates_stop_quietly_once_signed_out() -> None:
    response = Client().get("/home/new?since=0", HTTP_HX_REQUEST="true")
    assert response.status_code == 286  # htmx: stop polling
    assert b"<html" not in response.content
