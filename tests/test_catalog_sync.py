"""Every message the source marks for translation is in every catalog that ships, translated:
a new `_("…")` or `{% translate "…" %}` nobody added to the message files would otherwise show
in English while every other test passes.

The messages are found the way `makemessages` finds them, without GNU xgettext: Python files
are read with `ast` (calls of the gettext functions whose message arguments are literals), and
templates go through Django's own `templatize` (what makemessages hands to xgettext), so a
blocktranslate becomes exactly the msgid of the catalogs: variables as %(name)s, `trimmed`
applied, and a literal % in a template written %% (makemessages does the same, and so does the
template engine when it looks the message up).

Only the `django` domain ships: no JavaScript is translated (no djangojs catalog, no gettext in
the static scripts), which a test here keeps true."""

from __future__ import annotations

import ast
import contextlib
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.utils.translation.template import templatize

import townsquare

PACKAGE = Path(townsquare.__file__).resolve().parent
ROOT = PACKAGE.parent
LOCALE = PACKAGE / "locale"
SHIPPED = sorted(path.name for path in LOCALE.iterdir() if (path / "LC_MESSAGES").is_dir())
SHOWN = 15  # missing messages listed in a failure, per language

# Where each function takes its arguments: (context, message, plural); the names are those
# makemessages gives xgettext (plus the Python defaults of xgettext: gettext, ngettext, _),
# and _lazy, which makemessages does not know: a call of it is reported, never left out.
SINGULAR = (None, 0, None)
PLURAL = (None, 0, 1)
CONTEXT = (0, 1, None)
CONTEXT_PLURAL = (0, 1, 2)
KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "gettext": SINGULAR,
    "gettext_lazy": SINGULAR,
    "gettext_noop": SINGULAR,
    "_": SINGULAR,
    "_lazy": SINGULAR,
    "ngettext": PLURAL,
    "ngettext_lazy": PLURAL,
    "pgettext": CONTEXT,
    "pgettext_lazy": CONTEXT,
    "npgettext": CONTEXT_PLURAL,
    "npgettext_lazy": CONTEXT_PLURAL,
}
TRANSLATION_MODULE = "django.utils.translation"
TEMPLATE_SUFFIXES = {".html", ".txt"}  # makemessages' default extensions, beside .py
SKIPPED_DIRECTORIES = {"migrations", "static", "__pycache__", "locale"}


@dataclass(frozen=True)
class Message:
    msgctxt: str | None
    msgid: str
    msgid_plural: str
    where: str  # path from the repository's root, and line

    @property
    def key(self) -> tuple[str | None, str, str]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def _message(spec: tuple[int | None, int, int | None], args: list[str], where: str) -> Message:
    context, singular, plural = spec
    return Message(
        msgctxt=args[context] if context is not None else None,
        msgid=args[singular],
        msgid_plural=args[plural] if plural is not None else "",
        where=where,
    )


def _needed(spec: tuple[int | None, int, int | None]) -> int:
    return max(index for index in spec if index is not None) + 1


def _python_messages(path: Path, root: Path) -> list[Message]:
    """The messages of one Python file: calls of a gettext function (by its name, as xgettext
    sees it, or by the name it was imported as) whose message arguments are all literals."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    names = dict(KEYWORDS)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == TRANSLATION_MODULE:
            for alias in node.names:
                if alias.asname and alias.name in KEYWORDS:
                    names[alias.asname] = KEYWORDS[alias.name]
    found = []
    relative = path.relative_to(root).as_posix()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Name):
            spec = names.get(node.func.id)
        elif isinstance(node.func, ast.Attribute):  # translation.gettext("…")
            spec = KEYWORDS.get(node.func.attr)
        else:
            spec = None
        if spec is None or len(node.args) < _needed(spec):
            continue
        args = node.args[: _needed(spec)]
        texts = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if len(texts) < len(args):
            continue  # a variable: its text is marked where it is written (gettext_noop)
        message = _message(spec, texts, f"{relative}:{node.lineno}")
        if message.msgid:
            found.append(message)
    return found


def _calls_in(code: str) -> list[tuple[str, list[str], int]]:
    """The calls (name, literal arguments, line) in the pseudo-Python of `templatize`. It is
    not valid Python (the text between calls is blanked out to runs of letters, with its
    indentation: `ast.parse` rejects every template of the project), so it is read token by
    token; each of its lines holds whole tokens, so dropping the indentation changes nothing."""
    flat = "\n".join(line.lstrip() for line in code.splitlines()) + "\n"
    tokens: list[tokenize.TokenInfo] = []
    # An unbalanced bracket fails only at the end: the calls before it are read.
    with contextlib.suppress(tokenize.TokenError):
        tokens.extend(tokenize.generate_tokens(io.StringIO(flat).readline))
    calls = []
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or tokens[index + 1].string != "(":
            continue
        args: list[str] = []
        pending = ""
        for following in tokens[index + 2 :]:
            if following.type == tokenize.STRING:
                pending += ast.literal_eval(following.string)  # "a" "b" is one string
            elif following.string in (",", ")"):
                args.append(pending)
                pending = ""
                if following.string == ")":
                    break
            elif following.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
                break  # `count`: the literals before it are the messages
        calls.append((token.string, args, token.start[0]))
    return calls


def _template_messages(path: Path, root: Path) -> list[Message]:
    relative = path.relative_to(root).as_posix()
    code = templatize(path.read_text(encoding="utf-8"), origin=relative)
    found = []
    for name, args, line in _calls_in(code):
        spec = KEYWORDS.get(name)
        if spec is None or len(args) < _needed(spec):
            continue
        message = _message(spec, args, f"{relative}:{line}")
        if message.msgid:
            found.append(message)
    return found


def source_messages(package: Path = PACKAGE, root: Path = ROOT) -> list[Message]:
    """Every message marked for translation under `package`, in file order."""
    found: list[Message] = []
    for path in sorted(package.rglob("*")):
        parts = path.relative_to(package).parts
        if not path.is_file() or SKIPPED_DIRECTORIES.intersection(parts):
            continue
        if path.suffix == ".py":
            found.extend(_python_messages(path, root))
        elif path.suffix in TEMPLATE_SUFFIXES:
            found.extend(_template_messages(path, root))
    return found


def _catalog(code: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))


def missing_from(catalog: polib.POFile, messages: list[Message]) -> list[str]:
    """One line per message that `catalog` lacks or leaves untranslated (or fuzzy)."""
    entries = {(e.msgctxt, e.msgid, e.msgid_plural): e for e in catalog if not e.obsolete}
    by_msgid: dict[str, list[polib.POEntry]] = {}
    for entry in entries.values():
        by_msgid.setdefault(entry.msgid, []).append(entry)
    lines = []
    seen = set()
    for message in messages:
        if message.key in seen:
            continue
        seen.add(message.key)
        entry = entries.get(message.key)
        if entry is not None and entry.translated() and "fuzzy" not in entry.flags:
            continue
        described = repr(message.msgid)
        if message.msgctxt is not None:
            described += f" (msgctxt {message.msgctxt!r})"
        if message.msgid_plural:
            described += f" (plural {message.msgid_plural!r})"
        if entry is not None:
            why = "untranslated or fuzzy"
        elif message.msgid in by_msgid:
            other = by_msgid[message.msgid][0]
            why = f"only with msgctxt {other.msgctxt!r} and plural {other.msgid_plural!r}"
        else:
            why = "missing"
        lines.append(f"{message.where}: {described}: {why}")
    return lines


@pytest.fixture(scope="module")
def messages() -> list[Message]:
    return source_messages()


@pytest.mark.parametrize("code", SHIPPED)
def test_every_source_message_is_in_the_catalog_and_translated(
    code: str, messages: list[Message]
) -> None:
    missing = missing_from(_catalog(code), messages)
    listed = "\n  ".join(missing[:SHOWN])
    assert not missing, (
        f"{code}: {len(missing)} of the source's messages are not translated in "
        f"locale/{code}/LC_MESSAGES/django.po (run makemessages, translate, compilemessages); "
        f"the first:\n  {listed}"
    )


def test_the_extractor_finds_the_messages_of_the_real_source(messages: list[Message]) -> None:
    found: dict[tuple[str | None, str, str], set[str]] = {}
    for message in messages:
        found.setdefault(message.key, set()).add(message.where.rsplit(":", 1)[0])
    expected = {
        # Python: gettext as _, with a placeholder
        (
            None,
            "Confirm your email for %(site)s",
            "",
        ): "townsquare/accounts/actions/confirmation.py",
        # Python: the module's own gettext_noop, with implicit concatenation
        (
            None,
            "Pages: organizations, brands and public figures, run by several members",
            "",
        ): "townsquare/site/catalog.py",
        # Python: translation.gettext, called on the module
        (None, "That upload is too large for this site.", ""): "townsquare/core/middleware.py",
        # {% translate %}, and with a context
        (None, "Waiting for a moderator", ""): (
            "townsquare/web/templates/web/moderation/reports/detail.html"
        ),
        ("of an event", "Host", ""): "townsquare/web/templates/web/events/event.html",
        # blocktranslate with a variable
        (None, "Report @%(username)s", ""): "townsquare/web/templates/web/profile.html",
        # blocktranslate trimmed, count, with: plural and variables
        (
            None,
            "In progress: %(done)s of %(total)s row.",
            "In progress: %(done)s of %(total)s rows.",
        ): "townsquare/web/templates/web/settings/data.html",
    }
    for key, path in expected.items():
        assert path in found.get(key, set()), f"{key} not found in {path}"
    # A Python pgettext and a template's plural are there too, and the source has hundreds.
    assert any(m.msgctxt and m.where.split(":")[0].endswith(".py") for m in messages)
    assert any(m.msgid_plural and m.where.split(":")[0].endswith(".html") for m in messages)
    assert len({m.key for m in messages}) > 1000


def test_a_new_message_nobody_translated_is_reported(tmp_path: Path) -> None:
    package = tmp_path / "townsquare"
    templates = package / "web" / "templates" / "web"
    templates.mkdir(parents=True)
    (package / "views.py").write_text(
        "from django.utils.translation import gettext as _, npgettext as np\n"
        "\n"
        "TITLE = _('Confirm your email for %(site)s')\n"
        "NEW = _('A sentence ' 'nobody translated')\n"
        "MANY = np('of spoons', '%(n)s new spoon', '%(n)s new spoons', 2)\n"
        "SKIPPED = _(TITLE)\n",
        encoding="utf-8",
    )
    (templates / "page.html").write_text(
        "{% load i18n %}<p>{% translate 'Waiting for a moderator' %}</p>\n"
        "<p>{% translate 'A new heading: 50% off' %}</p>\n"
        "  <p>{% blocktranslate trimmed with name=member.name %}\n"
        "     Hello {{ name }}, nobody   translated me.\n"
        "  {% endblocktranslate %}</p>\n"
        "{% blocktranslate count n=k %}{{ n }} new cup{% plural %}{{ n }} new cups{% endblocktranslate %}\n",
        encoding="utf-8",
    )
    messages = source_messages(package, tmp_path)
    assert [(m.key, m.where) for m in messages] == [
        ((None, "Confirm your email for %(site)s", ""), "townsquare/views.py:3"),
        ((None, "A sentence nobody translated", ""), "townsquare/views.py:4"),
        (("of spoons", "%(n)s new spoon", "%(n)s new spoons"), "townsquare/views.py:5"),
        ((None, "Waiting for a moderator", ""), "townsquare/web/templates/web/page.html:1"),
        ((None, "A new heading: 50%% off", ""), "townsquare/web/templates/web/page.html:2"),
        (
            (None, "Hello %(name)s, nobody   translated me.", ""),
            "townsquare/web/templates/web/page.html:3",
        ),
        ((None, "%(n)s new cup", "%(n)s new cups"), "townsquare/web/templates/web/page.html:6"),
    ]
    missing = missing_from(_catalog(SHIPPED[0]), messages)
    assert [line.split(": ", 1)[0] for line in missing] == [
        "townsquare/views.py:4",
        "townsquare/views.py:5",
        "townsquare/web/templates/web/page.html:2",
        "townsquare/web/templates/web/page.html:3",
        "townsquare/web/templates/web/page.html:6",
    ]
    assert missing[0] == "townsquare/views.py:4: 'A sentence nobody translated': missing"


def test_only_the_django_domain_is_translated() -> None:
    """No djangojs catalog and no gettext in the scripts: if JavaScript is ever translated,
    this test must learn to read its messages too."""
    catalogs = {path.name for path in LOCALE.glob("*/LC_MESSAGES/*.po")}
    assert catalogs == {"django.po"}
    scripts = [
        p for p in PACKAGE.rglob("*.js") if re.search(r"\b(n|p|np)?gettext\(", p.read_text())
    ]
    assert not scripts, f"scripts call gettext: {scripts}"
