"""The operator's kit speaks each person's language: a member who signed up from a French
browser keeps French, so the emails about their application, their archive, their account's
deletion and the dashboard's test email are in French whoever clicked; skipped rows of an
import are explained in the member's language; counts and sizes follow the language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pytest
from django.core import mail
from django.test import Client
from django.utils import formats, translation

from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user, run_jobs, sign_up_checks
from townsquare.accounts import actions as account_actions
from townsquare.accounts import export
from townsquare.accounts.models import AccountDeletion, Application, User
from townsquare.site import actions as site_actions
from townsquare.site.limits import size_text

pytestmark = pytest.mark.django_db

# A few words of French (the shipped catalogs are filled in by translators: these tests must
# not depend on their progress).
FRENCH = {
    "Confirm your email for %(site)s": "Confirmez votre adresse pour %(site)s",
    "Welcome to %(site)s": "Bienvenue sur %(site)s",
    "Your application to %(site)s": "Votre demande pour rejoindre %(site)s",
    "Your %(site)s archive is ready": "Votre archive de %(site)s est prête",
    "Your %(site)s account will be deleted": "Votre compte %(site)s sera supprimé",
    "Test email from %(site)s": "E-mail d'essai de %(site)s",
    "no account of that name here": "aucun compte de ce nom ici",
}


@pytest.fixture(autouse=True)
def french(tmp_path: Path, settings: Any) -> None:
    """Those words compiled into a catalog the site reads before its own."""
    catalog = polib.POFile()
    catalog.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for msgid, msgstr in FRENCH.items():
        catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    folder = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog.save_as_mofile(str(folder / "django.mo"))
    settings.LOCALE_PATHS = [str(tmp_path / "locale"), *settings.LOCALE_PATHS]
    # The archives of "Download my data" are kept apart from media.
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def subjects_to(address: str) -> list[str]:
    run_jobs()
    return [message.subject for message in mail.outbox if address in message.to]


def join(browser_language: str, username: str = "basil", **fields: str) -> Any:
    data = {
        "username": username,
        "email": f"{username}@example.org",
        "password": PASSWORD,
        "agreement": "on",
        **sign_up_checks(),
        **fields,
    }
    return Client().post("/signup", data, HTTP_ACCEPT_LANGUAGE=browser_language)


# --- signing up ------------------------------------------------------------------------------


def test_signing_up_from_a_french_browser_keeps_french_for_the_member() -> None:
    assert join("fr-FR,fr;q=0.9,en;q=0.5").status_code == 200
    basil = User.objects.get(username="basil")
    assert basil.language == "fr"
    assert subjects_to("basil@example.org") == ["Confirmez votre adresse pour Townsquare"]
    # Later, from an English browser, the site still speaks French to them.
    assert client_of(basil).get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "fr"


def test_signing_up_in_the_sites_own_language_leaves_the_choice_to_the_browser() -> None:
    assert join("en").status_code == 200
    assert User.objects.get(username="basil").language == ""
    assert subjects_to("basil@example.org") == ["Confirm your email for Townsquare"]
    # When the site speaks French by default, French is not a choice to keep either.
    site_actions.update_settings(None, default_language="fr")
    assert join("fr", username="sage").status_code == 200
    assert User.objects.get(username="sage").language == ""


def test_an_apps_sign_up_keeps_the_locale_it_sends() -> None:
    from tests.api.conftest import ApiClient, make_token

    data = {"username": "basil", "email": "basil@example.org", "password": PASSWORD,
            "agreement": True, "locale": "es-MX"}  # fmt: skip
    answer = ApiClient(make_token(None, "read write follow")).post("/api/v1/accounts", data)
    assert answer.status_code == 200, answer.content
    assert User.objects.get(username="basil").language == "es"


# --- applications ----------------------------------------------------------------------------


def test_the_decision_on_an_application_is_written_in_the_applicants_language() -> None:
    site_actions.update_settings(None, registration_mode="approval")
    join("fr", answer="La parcelle 12.")
    join("fr", username="sage", answer="La parcelle 3.")
    moss = make_user("moss", role="moderator")  # an English-speaking moderator
    run_jobs()
    mail.outbox.clear()  # (the confirmation emails)
    basil = Application.objects.get(username="basil")
    sage = Application.objects.get(username="sage")
    moderator = client_of(moss)
    accepted = moderator.post(f"/admin/applications/{basil.pk}/accept", HTTP_ACCEPT_LANGUAGE="en")
    declined = moderator.post(
        f"/admin/applications/{sage.pk}/decline", {"reason": "Full for this season."}
    )
    assert accepted.status_code == declined.status_code == 302
    assert subjects_to("basil@example.org") == ["Bienvenue sur Townsquare"]
    # The declined applicant's account is gone, yet the email is in the language they used.
    assert not User.objects.filter(username="sage").exists()
    assert subjects_to("sage@example.org") == ["Votre demande pour rejoindre Townsquare"]
    # The moderator's own page stays in English.
    page = text_of(moderator.get("/admin/applications", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Nobody is waiting." in page


# --- the member's data -----------------------------------------------------------------------


def test_the_archive_is_announced_in_the_members_language() -> None:
    fern = make_user("fern")
    account_actions.set_language(fern, "fr")
    export.request_export(fern)
    assert subjects_to(fern.email) == ["Votre archive de Townsquare est prête"]


def test_the_deletion_email_gives_the_date_in_the_members_language() -> None:
    fern = make_user("fern", password=PASSWORD)
    account_actions.set_language(fern, "fr")
    closed = client_of(fern).post("/settings/delete", {"password": PASSWORD})
    assert closed.status_code == 200
    due = AccountDeletion.objects.get(member=fern).due_at
    assert subjects_to(fern.email) == ["Votre compte Townsquare sera supprimé"]
    with translation.override("fr"):
        french_date = formats.date_format(due, "DATE_FORMAT")
    with translation.override("en"):
        english_date = formats.date_format(due, "DATE_FORMAT")
    [message] = [m for m in mail.outbox if fern.email in m.to]
    assert french_date in message.body and english_date not in message.body  # "5 mars 2026"


def test_skipped_rows_of_an_import_are_explained_in_the_members_language() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    fern = make_user("fern")
    account_actions.set_language(fern, "fr")
    upload = SimpleUploadedFile("blocked.csv", b"nobody_here\n", "text/csv")
    sent = client_of(fern).post(
        "/settings/data/import", {"kind": "blocks", "mode": "merge", "file": upload}
    )
    assert sent.status_code == 302
    run_jobs()
    page = text_of(client_of(fern).get("/settings/data", HTTP_ACCEPT_LANGUAGE="en"))
    assert "aucun compte de ce nom ici" in page and "no account of that name here" not in page


# --- the dashboard ---------------------------------------------------------------------------


def test_the_test_email_is_in_the_acting_admins_language(settings: Any) -> None:
    settings.EMAIL_BACKEND = "townsquare.site.email.SiteEmailBackend"
    settings.FALLBACK_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    hazel = make_user("hazel", role="admin")
    account_actions.set_language(hazel, "fr")
    sent = client_of(hazel).post("/admin/email/test", HTTP_ACCEPT_LANGUAGE="en")
    assert sent.status_code == 302
    assert [m.subject for m in mail.outbox if hazel.email in m.to] == [
        "E-mail d'essai de Townsquare"
    ]


def test_sizes_and_contrast_ratios_are_written_as_the_language_writes_numbers() -> None:
    from townsquare.site import colours

    with translation.override("en"):
        assert (
            size_text(3 * 1024 * 1024 // 2) == "1.5 MB" and size_text(10 * 1024 * 1024) == "10 MB"
        )
        assert size_text(100 * 1024) == "100 KB"
        assert colours.ratio_text(4.48) == "4.4:1"
    with translation.override("fr"):
        assert size_text(3 * 1024 * 1024 // 2).startswith("1,5")
        assert colours.ratio_text(4.48) == "4,4:1"
