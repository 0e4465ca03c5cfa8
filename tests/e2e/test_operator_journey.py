"""The operator's first day, in a real browser against a freshly installed `townsquare serve`.

Camille has never seen Townsquare. Her browser speaks French. From the link the server
printed she creates her admin account, names the site, gives it a logo, makes French its
language, takes members by invitation only and writes the first rules; she picks a theme and
an accent colour, and creates an invite link. Mateo, whose browser speaks Spanish, joins with
it, confirms his address and logs in. Camille finds him among the members, grants him the
verified badge and makes him a moderator (he then opens the dashboard); later she disables his
logins, which signs him out. Then a backup of the site restores into an empty folder, and every
row of every table and every media file of the restored site is the same as the original's.

The French and Spanish words the test looks for come from the site's own catalogs (through
Django's gettext), so the test reads the pages as their visitors do; it checks each of those
words really is translated. Nothing may answer with an error."""

from __future__ import annotations

import contextlib
import io
import re
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.conftest import Server, _townsquare_command, wait_until
from tests.e2e.test_member_journey import Watch
from tests.e2e.test_messages_journey import DESKTOP, PHONE, _fits_the_screen
from townsquare.site.state import REFRESH_SECONDS

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PASSWORD = "greenhouse tomatoes in June"


def said(language: str, text: str, *, same: bool = False) -> str:
    """`text` as the site says it in `language` (and it must be translated, unless `same`:
    a word both languages share)."""
    from django.utils import translation

    with translation.override(language):
        words = translation.gettext(text)
    assert same or words != text, f"{text!r} has no {language} translation"
    return words


def _logo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 200), (31, 78, 121)).save(out, "PNG")
    return out.getvalue()


def _setup_link(site: Server) -> str:
    def found() -> str | None:
        match = re.search(r"Set up your site \(this link works once\): (\S+)", site.log_tail(200))
        return match.group(1) if match else None

    return wait_until(found, timeout=20, what="the setup link in the server's output")


def _confirmation_link(site: Server, address: str) -> str:
    bodies = wait_until(lambda: site.mail_to(address), timeout=15, what=f"mail to {address}")
    match = re.search(r"https?://\S+/confirm/\S+", bodies[-1])
    assert match, bodies[-1]
    return match.group(0)


def _html_lang(page: Page) -> tuple[str, str]:
    return (
        page.evaluate("document.documentElement.lang"),
        page.evaluate("document.documentElement.dir"),
    )


def test_an_operator_sets_up_a_french_site_invites_a_member_and_backs_it_up(
    browser: Any, new_site: Server, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    watch = Watch()
    link = _setup_link(new_site)
    camille_screen = browser.new_context(base_url=new_site.url, locale="fr-FR", **DESKTOP)
    mateo_screen = browser.new_context(base_url=new_site.url, locale="es-ES", **PHONE)
    for screen in (camille_screen, mateo_screen):
        screen.set_default_timeout(10_000)
    try:
        camille = watch.attach(camille_screen.new_page())
        mateo = watch.attach(mateo_screen.new_page())

        # Nobody signs up before the site is set up.
        response = mateo.goto("/signup")
        assert response is not None and response.status == 403
        watch.problems.clear()  # that refusal was expected

        # Step 1: the admin account, in French.
        camille.goto(link)
        assert _html_lang(camille) == ("fr", "ltr")
        camille.get_by_label(said("fr", "Username")).fill("camille")
        camille.get_by_label(said("fr", "Email")).fill("camille@jardins-des-ormes.example")
        camille.get_by_label(said("fr", "Password"), exact=True).fill(PASSWORD)
        camille.get_by_role("button", name=said("fr", "Continue")).click()

        # Step 2: who the site is.
        camille.get_by_label(said("fr", "Site name")).fill("Les Jardins des Ormes")
        camille.get_by_label(said("fr", "What is this site about?")).fill(
            "Échanges de graines et de conseils entre voisins."
        )
        camille.get_by_label(said("fr", "The site's language")).select_option("fr")
        camille.get_by_label(said("fr", "Logo", same=True)).set_input_files(
            {"name": "logo.png", "mimeType": "image/png", "buffer": _logo()}
        )
        camille.get_by_role("button", name=said("fr", "Continue")).click()

        # Step 3: invitations only, and the first rules.
        camille.get_by_label(said("fr", "Invite only: people sign up with an invite link")).check()
        camille.get_by_label(said("fr", "The site's rules, one per line")).fill(
            "Soyez bienveillants.\nPas de vente."
        )
        camille.get_by_role("button", name=said("fr", "Open the site")).click()
        expect(camille.get_by_text(said("fr", "Your site is ready. Welcome!"))).to_be_visible()
        expect(camille.get_by_role("img", name="Les Jardins des Ormes")).to_be_visible()

        # The look: a theme and an accent colour.
        camille.goto("/admin/appearance")
        camille.get_by_label(said("fr", "Harbour: blue on cool grey")).check()
        camille.get_by_label(said("fr", "Accent colour (links and buttons)")).fill("#1f4e79")
        camille.get_by_role("button", name=said("fr", "Save the look")).click()
        expect(camille.locator("html")).to_have_attribute("data-theme", "harbour")

        # An invite link.
        camille.goto("/settings/invites")
        camille.get_by_role("button", name=said("fr", "Create an invite link")).click()
        invite = camille.get_by_label(said("fr", "Invite link")).first.input_value()
        assert "/signup?invite=" in invite

        # Every web process reads the operator's settings again within REFRESH_SECONDS: Mateo
        # comes by a little later, as visitors do.
        time.sleep(REFRESH_SECONDS + 1)

        # Mateo joins with it, in Spanish, on his phone.
        mateo.goto(invite)
        assert _html_lang(mateo) == ("es", "ltr")
        expect(mateo.get_by_text("Soyez bienveillants.")).to_be_visible()
        mateo.get_by_label(said("es", "Username")).fill("mateo")
        mateo.get_by_label(said("es", "Email")).fill("mateo@example.org")
        mateo.get_by_label(said("es", "Password"), exact=True).fill(PASSWORD)
        mateo.get_by_label(
            said("es", "I accept the site's rules, terms and privacy policy.")
        ).check()
        mateo.get_by_role("button", name=said("es", "Sign up")).click()
        expect(mateo.get_by_role("heading", name=said("es", "Check your email"))).to_be_visible()
        _fits_the_screen(mateo)
        mateo.goto(_confirmation_link(new_site, "mateo@example.org"))
        mateo.get_by_label(said("es", "Username or email")).fill("mateo")
        mateo.get_by_label(said("es", "Password"), exact=True).fill(PASSWORD)
        mateo.get_by_label(said("es", "Password"), exact=True).press("Enter")
        expect(mateo.get_by_label(said("es", "What's happening?"))).to_be_visible()

        # Camille finds him and grants the badge.
        camille.goto("/admin/members")
        camille.get_by_role("link", name="mateo").first.click()
        camille.get_by_role("button", name=said("fr", "Grant the verified badge")).click()
        mateo.goto("/@mateo")
        expect(mateo.locator(".verified").first).to_be_visible()

        # ... makes him a moderator: the dashboard opens for him.
        camille.get_by_label(said("fr", "Role"), exact=True).select_option("moderator")
        camille.get_by_role("button", name=said("fr", "Change the role")).click()
        expect(camille.get_by_text(said("fr", "Moderator")).first).to_be_visible()
        response = mateo.goto("/admin")
        assert response is not None and response.status == 200
        expect(mateo.get_by_role("heading", name=said("es", "Dashboard"))).to_be_visible()

        # ... and disables his logins: his next page asks him to log in, and he cannot.
        camille.get_by_role("button", name=said("fr", "Disable logging in")).click()
        mateo.goto("/admin")
        expect(mateo.get_by_label(said("es", "Username or email"))).to_be_visible()
        mateo.get_by_label(said("es", "Username or email")).fill("mateo")
        mateo.get_by_label(said("es", "Password"), exact=True).fill(PASSWORD)
        mateo.get_by_label(said("es", "Password"), exact=True).press("Enter")
        expect(mateo.get_by_label(said("es", "Username or email"))).to_be_visible()
        watch.problems.clear()  # the refused login answers 4xx, as it should
        watch.check()
    finally:
        camille_screen.close()
        mateo_screen.close()

    # A backup restores the whole site into an empty folder. The site is stopped first, so
    # that nothing (a job, a session seen again) changes it between the backup and the
    # comparison.
    new_site.stop()
    archive = tmp_path / "jardins.tar.gz"
    new_site.townsquare("backup", str(archive))
    restored = tmp_path / "restored"
    restored.mkdir()
    env = {**new_site.env, "TOWNSQUARE_DATA_DIR": str(restored)}
    result = subprocess.run(
        [*_townsquare_command(), "restore", str(archive)],
        env=env,
        cwd=restored,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with contextlib.closing(sqlite3.connect(restored / "townsquare.sqlite3")) as db:
        members = {row[0] for row in db.execute("SELECT username FROM accounts_user")}
        name, language, mode = db.execute(
            "SELECT name, default_language, registration_mode FROM site_sitesettings"
        ).fetchone()
        rules = [row[0] for row in db.execute("SELECT text FROM site_rule ORDER BY position")]
    assert {"camille", "mateo"} <= members
    assert (name, language, mode) == ("Les Jardins des Ormes", "fr", "invite")
    assert rules == ["Soyez bienveillants.", "Pas de vente."]
    logos = list((restored / "media" / "site" / "logo").glob("*.png"))
    assert len(logos) == 1
    # Identical: every row of every table, every media file byte for byte, the secret key.
    original = _tables(new_site.data_dir / "townsquare.sqlite3")
    assert len(original["accounts_user"]) == 2 and len(original["site_rule"]) == 2
    assert _tables(restored / "townsquare.sqlite3") == original
    assert _files(restored / "media") == _files(new_site.data_dir / "media")
    secret_key = (new_site.data_dir / "secret_key").read_bytes()
    assert (restored / "secret_key").read_bytes() == secret_key


def _tables(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {name: sorted(db.execute(f'SELECT * FROM "{name}"'), key=repr) for name in names}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
