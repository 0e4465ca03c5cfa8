"""Who may open a page's live connection (realtime.pages), without a server: the session
cookie's member, the same checks as every page, and only from the site's own pages."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.factories import make_user
from townsquare.accounts.models import User
from townsquare.realtime import pages

pytestmark = pytest.mark.django_db


def _session_of(member: User) -> str:
    client = Client()
    client.force_login(member)
    return client.cookies["sessionid"].value


def test_the_session_cookie_names_its_member() -> None:
    fern = make_user("fern")
    key = _session_of(fern)
    assert pages.session_key(f"csrftoken=x; sessionid={key}; theme=dark") == key
    assert pages.session_member(key) == fern.pk
    assert pages.session_key("sessionid") is None
    assert pages.session_key(None) is None
    assert pages.session_member("no-such-session") is None


def test_a_changed_password_or_a_disabled_account_ends_the_live_connection() -> None:
    fern, basil = make_user("fern"), make_user("basil")
    fern_key, basil_key = _session_of(fern), _session_of(basil)
    fern.set_password("a-new-secret-for-the-shed")
    fern.save(update_fields=["password"])
    assert pages.session_member(fern_key) is None
    User.objects.filter(pk=basil.pk).update(is_active=False)
    assert pages.session_member(basil_key) is None


@override_settings(BASE_URL="https://garden.example")
def test_only_the_sites_own_pages_may_read_the_live_connection() -> None:
    assert pages.allowed_origin(None, "127.0.0.1:8001")  # same origin: no Origin header
    assert pages.allowed_origin("http://127.0.0.1:8000", "127.0.0.1:8001")
    assert pages.allowed_origin("https://garden.example", "stream.garden.example")
    assert not pages.allowed_origin("https://evil.example", "127.0.0.1:8001")
    assert not pages.allowed_origin("null", "127.0.0.1:8001")
    assert not pages.allowed_origin("http://127.0.0.1.evil.example", "127.0.0.1:8001")


def test_the_live_address_follows_the_streaming_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "STREAMING_URL": ""}
    assert pages.live_url("http", "127.0.0.1:8000") == "http://127.0.0.1:8001/live/events"
    # Behind a reverse proxy on the default port: the same address (the proxy routes it).
    assert pages.live_url("https", "garden.example") == "https://garden.example/live/events"
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "STREAMING_URL": "wss://stream.garden.example"}
    assert pages.live_url("https", "garden.example") == "https://stream.garden.example/live/events"
