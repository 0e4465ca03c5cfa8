"""ALTCHA proof of work (protocol v1), served and checked here: no third-party service.

The server picks a secret number below `maxnumber` and a random salt (carrying the challenge's
expiry), and sends the SHA-256 of salt + number with an HMAC signature of it (keyed with the
site's SECRET_KEY). The browser (townsquare/altcha.js) tries every number until the hash
matches, and sends back a base64 JSON payload {algorithm, challenge, number, salt, signature}.
The server checks the signature, the expiry and the hash, and accepts each solution once."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

from django.conf import settings
from django.core.cache import caches

ALGORITHM = "SHA-256"
# About half a second of work for a browser on average (crypto.subtle in a worker).
MAX_NUMBER = 100_000
EXPIRES_SECONDS = 20 * 60  # time to fill in the form


def _key() -> bytes:
    return ("altcha:" + settings.SECRET_KEY).encode()


def _hash_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _sign(challenge: str) -> str:
    return hmac.new(_key(), challenge.encode(), hashlib.sha256).hexdigest()


def create_challenge(*, max_number: int = MAX_NUMBER, number: int | None = None) -> dict[str, Any]:
    """A new challenge, as the browser receives it (JSON-ready)."""
    expires = int(time.time()) + EXPIRES_SECONDS
    salt = secrets.token_hex(12) + "?" + urlencode({"expires": expires}) + "&"
    if number is None:
        number = secrets.randbelow(max_number + 1)
    challenge = _hash_hex(f"{salt}{number}")
    return {
        "algorithm": ALGORITHM,
        "challenge": challenge,
        "maxnumber": max_number,
        "salt": salt,
        "signature": _sign(challenge),
    }


def solve(challenge: dict[str, Any]) -> str:
    """The payload a browser sends for `challenge` (for tests and scripted clients)."""
    for number in range(int(challenge["maxnumber"]) + 1):
        if _hash_hex(f"{challenge['salt']}{number}") == challenge["challenge"]:
            payload = {
                key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")
            }
            payload["number"] = number
            return base64.b64encode(json.dumps(payload).encode()).decode()
    raise ValueError("no solution")


def _decode(payload: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.b64decode(payload.encode(), validate=True))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    if not isinstance(data, dict):
        return None
    for field in ("algorithm", "challenge", "salt", "signature"):
        if not isinstance(data.get(field), str) or len(data[field]) > 200:
            return None
    if not isinstance(data.get("number"), int) or isinstance(data["number"], bool):
        return None
    return data


def verify(payload: str) -> bool:
    """Whether `payload` solves a challenge this site issued, not expired and not used before
    (a solution counts once: it is remembered until its challenge expires)."""
    data = _decode((payload or "").strip()[:2000])
    if data is None or data["algorithm"] != ALGORITHM:
        return False
    salt: str = data["salt"]
    try:
        expires = int(parse_qs(salt.partition("?")[2]).get("expires", ["0"])[0])
    except ValueError:
        return False
    now = int(time.time())
    if expires <= now:
        return False
    if not hmac.compare_digest(_sign(data["challenge"]), data["signature"]):
        return False
    if not hmac.compare_digest(_hash_hex(f"{salt}{data['number']}"), data["challenge"]):
        return False
    # The first use wins: add() only stores a key that is not there yet.
    return bool(caches["ratelimit"].add(f"altcha:{data['challenge']}", 1, expires - now + 1))
