"""toot, the command-line Mastodon client, unmodified, against a real `townsquare serve`: log in
with `login_cli` (the password grant), post, read timelines, follow and read notifications.

toot runs as a subprocess with its own config folder (XDG_CONFIG_HOME) per member. It accepts
an `http://` instance URL as given (only a bare domain gets https), so no TLS is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.clients.live import PASSWORD, Site, png_bytes, wait_until

TOOT = Path(sys.executable).with_name("toot")


@dataclass
class Toot:
    """toot for one member: its own config folder, so its login is its own."""

    home: Path
    username: str

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("TOOT_", "TOWNSQUARE_", "DJANGO_"))
        }
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            COLUMNS="100",
            TERM="dumb",
            PAGER="cat",
        )
        result = subprocess.run(
            [str(TOOT), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert result.returncode == 0, (
                f"toot {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
            )
        return result

    def json(self, *args: str) -> Any:
        output = self.run(*args, "--json").stdout
        return json.loads(output)


def _login(site: Site, home: Path, username: str) -> Toot:
    email = site.member(username)
    toot = Toot(home=home, username=username)
    result = toot.run("login_cli", "--instance", site.url, "--email", email, "--password", PASSWORD)
    assert "Successfully logged in" in result.stdout, result.stdout
    return toot


@pytest.fixture(scope="module")
def fern(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Toot:
    return _login(site, tmp_path_factory.mktemp("toot-fern"), "toot_fern")


@pytest.fixture(scope="module")
def basil(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Toot:
    return _login(site, tmp_path_factory.mktemp("toot-basil"), "toot_basil")


def test_login_cli_saves_the_account(site: Site, fern: Toot) -> None:
    config = json.loads((fern.home / ".config" / "toot" / "config.json").read_text())
    domain = site.url.removeprefix("http://")
    assert config["active_user"] == f"toot_fern@{domain}"
    assert config["apps"][domain]["base_url"] == site.url
    me = fern.json("whoami")
    assert me["username"] == "toot_fern"
    assert "toot_fern" in fern.run("whoami").stdout
    assert "Townsquare" in fern.run("instance").stdout


def test_post_follow_and_timeline(fern: Toot, basil: Toot, tmp_path: Path) -> None:
    picture = tmp_path / "allotment.png"
    picture.write_bytes(png_bytes((80, 60), "goldenrod"))
    status = fern.json(
        "post",
        "Plot 12 has its first courgette",
        "--media",
        str(picture),
        "--description",
        "A yellow courgette flower",
    )
    assert status["account"]["username"] == "toot_fern"
    assert status["media_attachments"][0]["description"] == "A yellow courgette flower"

    relationship = basil.json("follow", "toot_fern")
    assert relationship["following"] is True
    later = fern.json("post", "Watering at six, volunteers welcome")

    def in_home() -> list[Any] | None:
        home = basil.json("timelines", "home", "--no-pager", "--no-clear")
        ids = [item["id"] for item in home]
        return home if later["id"] in ids else None

    home = wait_until(in_home, timeout=20, what="fern's post in basil's home (toot)")
    assert home[0]["account"]["username"] == "toot_fern"
    # the human-readable timeline too (the older `toot timeline` command, one page)
    shown = basil.run("timeline", "--once", "--count", "5").stdout
    assert "Watering at six" in shown
    assert "toot_fern" in shown


def test_poll_post(fern: Toot) -> None:
    status = fern.json(
        "post",
        "Best day for the work party?",
        "--poll-option",
        "Saturday",
        "--poll-option",
        "Sunday",
        "--poll-expires-in",
        "1d",
    )
    assert [o["title"] for o in status["poll"]["options"]] == ["Saturday", "Sunday"]


def test_reply_favourite_reblog_and_notifications(fern: Toot, basil: Toot) -> None:
    original = fern.json("post", "Anyone want rhubarb crowns?")
    reply = basil.json("post", "Yes please, two!", "--reply-to", original["id"])
    assert reply["in_reply_to_id"] == original["id"]
    favourited = basil.json("favourite", original["id"])
    assert favourited["favourited"] is True
    reblog = basil.json("reblog", original["id"])
    assert reblog["reblog"]["id"] == original["id"]

    wanted = {"follow", "mention", "favourite", "reblog"}

    def kinds() -> set[str] | None:
        found = {n["type"] for n in fern.json("notifications")}
        return found if wanted <= found else None

    wait_until(kinds, timeout=20, what="notifications for toot_fern")
    shown = fern.run("notifications").stdout
    assert "toot_basil" in shown
    mentions = fern.json("notifications", "--mentions")
    assert mentions and all(n["type"] == "mention" for n in mentions)
    assert mentions[0]["status"]["id"] == reply["id"]
    thread = fern.run("thread", original["id"]).stdout
    assert "Yes please, two!" in thread
