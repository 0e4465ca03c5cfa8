"""An email change cannot outlive the owner taking their account back."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.factories import PASSWORD, make_user, run_jobs
from townsquare.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _request_email_change(client: Client, new_email: str) -> str:
    response = client.post(
        "/settings/account", {"form": "email", "em-email": new_email, "em-password": PASSWORD}
    )
    assert response.status_code == 302
    run_jobs()
    to_new = [m for m in mail.outbox if m.to == [new_email]][-1]
    return re.search(r"http://testserver(/confirm/\S+)", to_new.body).group(1)


def test_a_pending_email_change_dies_when_the_owner_changes_the_password() -> None:
    fern = make_user("fern", password=PASSWORD)
    intruder = Client()
    intruder.post("/login", {"login": "fern", "password": PASSWORD})
    link = _request_email_change(intruder, "someone.else@example.net")
    notice = [m for m in mail.outbox if m.to == ["fern@example.org"]]
    assert notice and "someone.else@example.net" in notice[-1].body  # the owner is told
    owner = Client()
    owner.post("/login", {"login": "fern", "password": PASSWORD})
    changed = owner.post(
        "/settings/account",
        {"form": "password", "pw-old_password": PASSWORD, "pw-new_password": "new-rooks-77-x"},
    )
    assert changed.status_code == 302
    assert Client().get(link).status_code == 400
    assert User.objects.get(pk=fern.pk).email == "fern@example.org"


def test_an_email_change_link_works_when_nothing_changed_since() -> None:
    fern = make_user("fern", password=PASSWORD)
    client = Client()
    client.post("/login", {"login": "fern", "password": PASSWORD})
    link = _request_email_change(client, "fern.new@example.org")
    assert Client().get(link).status_code == 302
    assert User.objects.get(pk=fern.pk).email == "fern.new@example.org"


def test_a_next_that_is_not_a_path_is_ignored_not_an_error() -> None:
    fern = make_user("fern")
    make_user("moss")
    client = Client()
    client.force_login(fern)
    response = client.post("/posts?next=feed", {"text": "Hello", "visibility": "0"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.post("/@moss/follow", {"next": "profile"})["Location"] == "/@moss"
    assert client.get("/login?next=back")["Location"] == "/"
