"""The translations that ship are complete: every message of every catalog is translated (no
empty or fuzzy entry), keeps the placeholders of its English, and every plural has all the
forms its language needs; a page in each language really speaks it."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client

import townsquare
from tests.conftest import text_of

LOCALE = Path(townsquare.__file__).resolve().parent / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdi]|%[sd]|\{[0-9a-z_]*\}")


def _catalog(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_and_none_is_fuzzy(code: str) -> None:
    catalog = _catalog(code)
    missing = [entry.msgid for entry in catalog if not entry.translated() and not entry.obsolete]
    fuzzy = [entry.msgid for entry in catalog if "fuzzy" in entry.flags]
    assert not missing, f"{code}: {len(missing)} untranslated, such as {missing[:5]}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy, such as {fuzzy[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_keep_their_placeholders(code: str) -> None:
    wrong = []
    for entry in _catalog(code):
        if entry.obsolete:
            continue
        wanted = sorted(set(PLACEHOLDER.findall(entry.msgid + " " + entry.msgid_plural)))
        if entry.msgid_plural:
            # Forms for one or two may say the word instead of the number ("one second"), so
            # they may leave the count out; the last (most general) form has every one, and
            # no form brings one of its own.
            forms = entry.msgstr_plural
            last = max(forms)
            for index, text in forms.items():
                found = set(PLACEHOLDER.findall(text))
                if not found <= set(wanted) or (index == last and found != set(wanted)):
                    wrong.append((entry.msgid, index))
        elif sorted(set(PLACEHOLDER.findall(entry.msgstr))) != wanted:
            wrong.append((entry.msgid, None))
    assert not wrong, f"{code}: placeholders differ in {wrong[:5]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_plurals_have_every_form_of_their_language(code: str) -> None:
    catalog = _catalog(code)
    forms = int(re.search(r"nplurals=(\d+)", catalog.metadata["Plural-Forms"]).group(1))  # type: ignore[union-attr]
    expected = {"fr": 2, "es": 2, "ar": 6}.get(code, forms)
    assert forms == expected
    short = [e.msgid for e in catalog if e.msgid_plural and len(e.msgstr_plural) != forms]
    assert not short, f"{code}: plurals without all {forms} forms: {short[:5]}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "words"),
    [("fr", "Se connecter"), ("es", "Iniciar sesión"), ("ar", "تسجيل الدخول")],
)
def test_the_login_page_speaks_each_language(code: str, words: str) -> None:
    page = text_of(Client().get("/login", HTTP_ACCEPT_LANGUAGE=code))
    assert f'<html lang="{code}"' in page
    assert words in page
    assert "Username or email" not in page
