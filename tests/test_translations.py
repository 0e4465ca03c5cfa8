"""Languages: every template's words go through the translation tags, pages say their language
and direction, a member's choice beats the browser's, the picker keeps a visitor's choice, and
the compiled catalogs that ship are those of the message files beside them."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.template.base import Lexer, TokenType
from django.test import Client

from tests.conftest import client_of, text_of
from tests.factories import make_user
from townsquare.accounts import actions

PACKAGE = Path(__file__).resolve().parent.parent / "townsquare"
ROOT = PACKAGE.parent

# Text that is the same in every language, as it shows with {…} for a variable. The brand name
# is not here: it is always inside a translated sentence, so translators can place it.
ALLOWED = {
    "/g/{…}",  # a group's address
}

# Attributes people read or hear (screen readers), and which inputs show their value.
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description"}
BUTTON_INPUTS = {"submit", "button", "reset"}
TRANSLATING_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}
MARK = "\ue000"  # stands for a variable or translated text: never a letter
LETTER = re.compile(r"[^\W\d_]")
# A literal with words in it given to an include, or as a filter's fallback text.
WORDS_ARGUMENT = re.compile(r"""\w+=(["'])([^"']*\s[^"']*)\1""")
FALLBACK_FILTER = re.compile(r"""\|(?:default|default_if_none|yesno):(["'])(.*?)\1""")


def _has_words(text: str) -> bool:
    return bool(LETTER.search(text.replace(MARK, " "))) and (
        text.replace(MARK, "{…}").strip() not in ALLOWED
    )


def _masked(source: str) -> tuple[str, list[tuple[int, str]]]:
    """The template as the person will read it, with variables and translated text replaced
    by MARK and other tags removed (lines kept), and the problems found in tags themselves."""
    out: list[str] = []
    problems: list[tuple[int, str]] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        kind, contents = token.token_type, token.contents
        name = contents.split()[0] if kind == TokenType.BLOCK and contents.split() else ""
        if closing is not None:
            if kind == TokenType.BLOCK and name == closing:
                closing = None
                out.append(MARK)
            elif kind == TokenType.TEXT:
                out.append("\n" * contents.count("\n"))
            continue
        if kind == TokenType.TEXT:
            out.append(contents)
        elif kind == TokenType.VAR:
            for _quote, literal in FALLBACK_FILTER.findall(contents):
                if _has_words(literal):
                    problems.append((token.lineno, f"{{{{ {contents} }}}}"))
            out.append(MARK)
        elif kind == TokenType.BLOCK:
            if name in TRANSLATING_BLOCKS:
                closing = TRANSLATING_BLOCKS[name]
                out.append(MARK)
            elif name in ("translate", "trans"):
                out.append(MARK)
            else:
                if name == "include":
                    for _quote, literal in WORDS_ARGUMENT.findall(contents):
                        if _has_words(literal):
                            problems.append((token.lineno, f"{{% {contents} %}}"))
                out.append("")
    return "".join(out), problems


class _Reader(HTMLParser):
    """Collects the text and the read attributes of an HTML page that have words in them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skipping += 1
        values = dict(attrs)
        line = self.getpos()[0]
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in BUTTON_INPUTS
            )
            read = read or (
                name == "content" and tag == "meta" and values.get("name") == "description"
            )
            if read and value and _has_words(value):
                self.found.append((line, f'{name}="{value.replace(MARK, "{…}")}"'))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.skipping -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if self.skipping or not _has_words(data):
            return
        start = LETTER.search(data.replace(MARK, " "))
        offset = data[: start.start()].count("\n") if start else 0
        self.found.append((self.getpos()[0] + offset, data.strip().replace(MARK, "{…}")))


def untranslated(path: Path) -> list[tuple[int, str]]:
    """The lines of a template that show words outside the translation tags."""
    text, problems = _masked(path.read_text(encoding="utf-8"))
    if path.suffix == ".html":
        reader = _Reader()
        reader.feed(text)
        reader.close()
        problems += reader.found
    else:  # plain text (emails): every line is read
        for number, line in enumerate(text.splitlines(), start=1):
            if _has_words(line):
                problems.append((number, line.strip().replace(MARK, "{…}")))
    return sorted(problems)


def _templates() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.glob("**/templates/**/*")
        if path.suffix in (".html", ".txt") and path.is_file()
    )


def test_every_template_word_is_translatable() -> None:
    templates = _templates()
    assert len(templates) > 50  # the walk finds the templates
    report = [
        f"{path.relative_to(ROOT)}:{line}: {text[:80]}"
        for path in templates
        for line, text in untranslated(path)
    ]
    assert not report, "Untranslated text in templates:\n" + "\n".join(report)


def test_the_check_sees_text_attributes_and_fallbacks(tmp_path: Path) -> None:
    """The checker itself: it finds plain words, read attributes, submit values and words
    given to includes or as a fallback, and lets translated text, variables and markup by."""
    page = tmp_path / "page.html"
    page.write_text(
        "{% load i18n %}<h1>{% translate 'Allotments' %}</h1>\n"
        "<p>{{ plot.name }} · {% blocktranslate %}Plot {{ number }}{% endblocktranslate %}</p>\n"
        "<p>Water the beans</p>\n"
        '<img src="a.png" alt="A row of beans">\n'
        '<input type="submit" value="Save"><input type="hidden" name="next" value="home">\n'
        '{% include "x.html" with label="Latest plots" section="plots" %}\n'
        '{{ plot.owner|default:"Nobody yet" }}\n'
        "<script>const seeds = 'many';</script>{# Sow in spring #}\n"
        "{% comment %}Harvest in autumn{% endcomment %}\n",
        encoding="utf-8",
    )
    assert [line for line, _text in untranslated(page)] == [3, 4, 5, 6, 7]
    email = tmp_path / "email.txt"
    email.write_text(
        "{% load i18n %}{% blocktranslate %}Hello {{ name }},{% endblocktranslate %}\n"
        "{{ link }}\nThanks for sowing\n",
        encoding="utf-8",
    )
    assert [line for line, _text in untranslated(email)] == [3]


# A few words of French, for the tests that read translated text (the shipped catalogs are
# filled in by translators; these tests must not depend on their progress).
FRENCH = {
    "Home": "Accueil",
    "Log in": "Se connecter",
    "Record not found": "Enregistrement introuvable",
    "Reset your %(site)s password": "Réinitialisez votre mot de passe %(site)s",
    "%(count)d reply": ("%(count)d réponse", "%(count)d réponses"),
}


@pytest.fixture
def french(tmp_path: Path, settings: object) -> None:
    """Those words compiled into a catalog the site reads before its own."""
    catalog = polib.POFile()
    catalog.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": "fr",
        "Plural-Forms": "nplurals=2; plural=(n > 1);",
    }
    for msgid, msgstr in FRENCH.items():
        if isinstance(msgstr, tuple):
            catalog.append(
                polib.POEntry(
                    msgid=msgid,
                    msgid_plural=msgid.replace("reply", "replies"),
                    msgstr_plural=dict(enumerate(msgstr)),
                )
            )
        else:
            catalog.append(polib.POEntry(msgid=msgid, msgstr=msgstr))
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog.save_as_mofile(str(folder / "django.mo"))
    settings.LOCALE_PATHS = [str(tmp_path), *settings.LOCALE_PATHS]  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_a_page_in_arabic_says_so_and_reads_right_to_left() -> None:
    page = Client().get("/login", HTTP_ACCEPT_LANGUAGE="ar,en;q=0.5")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl"' in text_of(page)
    assert page["Content-Language"] == "ar"
    assert "Accept-Language" in page["Vary"] and "Cookie" in page["Vary"]
    regional = Client().get("/login", HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.8")
    assert regional["Content-Language"] == "es"
    english = Client().get("/login", HTTP_ACCEPT_LANGUAGE="de,en;q=0.5")  # no German: English
    assert '<html lang="en" dir="ltr"' in text_of(english)
    assert english["Content-Language"] == "en"


@pytest.mark.django_db
def test_a_members_choice_beats_the_browsers_and_a_blank_one_leaves_it_to_the_browser() -> None:
    fern = make_user("fern")
    fern_web = client_of(fern)
    saved = fern_web.post("/settings/account", {"form": "language", "lang-language": "fr"})
    assert saved.status_code == 302
    fern.refresh_from_db()
    assert fern.language == "fr"
    page = fern_web.get("/settings/account", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="fr" dir="ltr"' in text_of(page) and page["Content-Language"] == "fr"
    # Elsewhere (another browser, no cookie): still French, as it is the member's choice.
    elsewhere = client_of(fern).get("/", HTTP_ACCEPT_LANGUAGE="ar")
    assert elsewhere["Content-Language"] == "fr"
    back = fern_web.post("/settings/account", {"form": "language", "lang-language": ""})
    assert back.status_code == 302
    fern.refresh_from_db()
    assert fern.language == ""
    assert fern_web.get("/", HTTP_ACCEPT_LANGUAGE="es")["Content-Language"] == "es"
    refused = fern_web.post("/settings/account", {"form": "language", "lang-language": "tlh"})
    assert refused.status_code == 400
    assert "Choose one of the languages offered." in text_of(refused)


@pytest.mark.django_db
def test_the_visitors_picker_keeps_the_choice_in_a_cookie_and_goes_back() -> None:
    visitor = Client()
    picked = visitor.post("/language", {"language": "es", "next": "/search?q=huerto"})
    assert picked.status_code == 302 and picked["Location"] == "/search?q=huerto"
    assert visitor.cookies["django_language"].value == "es"
    page = visitor.get("/login", HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="es"' in text_of(page) and page["Content-Language"] == "es"
    # Somewhere else: refused, back home instead. The footer's form names no page: back to
    # the referring page when it is one of this site's.
    away = visitor.post("/language", {"language": "ar", "next": "https://elsewhere.example/"})
    assert away["Location"] == "/"
    referred = visitor.post(
        "/language", {"language": "en"}, HTTP_REFERER="http://testserver/search?q=huerto"
    )
    assert referred["Location"] == "/search?q=huerto"
    foreign = visitor.post(
        "/language", {"language": "en"}, HTTP_REFERER="https://elsewhere.example/search"
    )
    assert foreign["Location"] == "/"


@pytest.mark.django_db
def test_the_picker_refuses_a_language_the_site_does_not_speak() -> None:
    visitor = Client()
    refused = visitor.post("/language", {"language": "xx", "next": "/"})
    assert refused.status_code == 400
    assert "Choose one of the languages offered." in text_of(refused)
    assert "django_language" not in visitor.cookies
    # The footer's picker is on every page, and works without JavaScript (a plain form).
    footer = text_of(visitor.get("/login"))
    assert 'action="/language"' in footer and '<option value="ar" lang="ar"' in footer


@pytest.mark.django_db
def test_a_members_footer_choice_is_kept_on_their_account() -> None:
    fern = make_user("fern")
    picked = client_of(fern).post("/language", {"language": "ar", "next": "/"})
    assert picked.status_code == 302
    fern.refresh_from_db()
    assert fern.language == "ar"


@pytest.mark.django_db
def test_the_api_answers_in_the_token_members_language() -> None:
    from tests.api.conftest import ApiClient, make_token

    fern = make_user("fern")
    actions.set_language(fern, "fr")
    api = ApiClient(make_token(fern)).client
    answer = api.get("/api/v1/statuses/1", HTTP_AUTHORIZATION=f"Bearer {make_token(fern)}",
                     HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert answer.status_code == 404
    assert answer["Content-Language"] == "fr"
    visitor = ApiClient().client.get("/api/v1/statuses/1", HTTP_ACCEPT_LANGUAGE="es")
    assert visitor.status_code == 404 and visitor["Content-Language"] == "es"


def _entries(catalog: polib._BaseFile) -> dict[tuple[str, str], object]:
    """The translated entries of a catalog: (context, message) -> its translation(s)."""
    found: dict[tuple[str, str], object] = {}
    for entry in catalog:
        if entry.obsolete or "fuzzy" in entry.flags or not entry.msgid:
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural))
            if any(forms):
                found[(entry.msgctxt or "", entry.msgid)] = forms
        elif entry.msgstr:
            found[(entry.msgctxt or "", entry.msgid)] = entry.msgstr
    return found


@pytest.mark.parametrize("code", ["fr", "es", "ar"])
def test_each_language_ships_a_compiled_catalog_as_new_as_its_messages(code: str) -> None:
    """A fresh machine may have no msgfmt: the .mo files in the package are what it uses.
    Each must hold exactly the translations of the .po beside it, and its plural rule."""
    folder = PACKAGE / "locale" / code / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    mo = polib.mofile(str(folder / "django.mo"))
    assert po.metadata.get("Language") == code
    assert po.metadata.get("Plural-Forms") == mo.metadata.get("Plural-Forms")
    assert "nplurals=" in (mo.metadata.get("Plural-Forms") or ""), "the plural rule is in the .mo"
    assert _entries(po) == _entries(mo), (
        f"run: cd townsquare && django-admin compilemessages ({code})"
    )


def test_every_language_offered_has_its_catalogs() -> None:
    from django.conf import settings

    offered = [code for code, _name in settings.LANGUAGES]
    assert offered[0] == settings.LANGUAGE_CODE == "en"
    assert "ar" in offered and "ar" in settings.LANGUAGES_BIDI
    for code in offered[1:]:
        assert (PACKAGE / "locale" / code / "LC_MESSAGES" / "django.mo").is_file(), code


@pytest.mark.django_db
def test_a_french_speaking_member_reads_french_whatever_their_browser_says(french: None) -> None:
    from tests.factories import make_post

    fern = make_user("fern")
    actions.set_language(fern, "fr")
    post = make_post(make_user("basil"), "Seedlings are up")
    page = text_of(client_of(fern).get(f"/@basil/{post.pk}", HTTP_ACCEPT_LANGUAGE="en"))
    assert ">Accueil</a>" in page and ">Home</a>" not in page
    assert "0 réponse" in page  # the post cards too (rendered in Python, plurals and all)
    # A visitor's browser asking for French gets it; one asking for English does not.
    assert ">Se connecter<" in text_of(Client().get("/login", HTTP_ACCEPT_LANGUAGE="fr"))
    assert ">Se connecter<" not in text_of(Client().get("/login", HTTP_ACCEPT_LANGUAGE="en"))


@pytest.mark.django_db
def test_emails_are_written_in_their_recipients_language(french: None) -> None:
    from django.core import mail

    fern = make_user("fern")
    actions.set_language(fern, "fr")
    # Asked for from an English browser: the email is still in fern's language.
    sent = Client().post(
        "/password/reset", {"email": "fern@example.org"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert sent.status_code == 200
    from tests.factories import run_jobs

    run_jobs()
    assert [message.subject for message in mail.outbox] == [
        "Réinitialisez votre mot de passe Townsquare"
    ]
    basil = make_user("basil")  # no choice: the site's language
    actions.send_password_reset_link(basil)
    run_jobs()
    assert mail.outbox[-1].subject == "Reset your Townsquare password"


@pytest.mark.django_db
def test_the_apis_errors_are_in_the_callers_language(french: None) -> None:
    from tests.api.conftest import ApiClient, make_token

    fern = make_user("fern")
    actions.set_language(fern, "fr")
    missing = ApiClient(make_token(fern)).get("/api/v1/statuses/1")
    assert missing.json() == {"error": "Enregistrement introuvable"}
    browser = ApiClient().client.get("/api/v1/statuses/1", HTTP_ACCEPT_LANGUAGE="fr")
    assert browser.json() == {"error": "Enregistrement introuvable"}
    assert ApiClient().get("/api/v1/statuses/1").json() == {"error": "Record not found"}
