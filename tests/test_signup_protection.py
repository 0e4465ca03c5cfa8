"""Against spam sign-ups: the honeypot, the minimum time to fill in the form, the proof of
work (ALTCHA, served by the site itself), blocked networks, and the approval queue that a
wave of sign-ups, or staff away for too long, switches on."""

from __future__ import annotations

import base64
import html
import json
import re
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import ApiClient, make_token
from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, make_user, sign_up_checks
from townsquare.accounts import signup_guard
from townsquare.accounts.models import Application, ApplicationState, User
from townsquare.core import altcha, ratelimit
from townsquare.site import actions as site_actions
from townsquare.site import ip_blocks
from townsquare.site.models import IpBlock

pytestmark = pytest.mark.django_db

REFUSED = "We could not accept this sign-up"


def join(
    username: str = "basil",
    *,
    client: Client | None = None,
    address: str = "198.51.100.10",
    checks: dict[str, str] | None = None,
    **fields: str,
) -> Any:
    data = {
        "username": username,
        "email": f"{username}@example.org",
        "password": PASSWORD,
        "agreement": "on",
        **(sign_up_checks() if checks is None else checks),
        **fields,
    }
    return (client or Client(REMOTE_ADDR=address)).post("/signup", data)


def joined(username: str = "basil") -> User | None:
    return User.objects.filter(username=username).first()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """The rate limits' clock, stopped; tests move it with `clock.now += seconds`."""
    moment = SimpleNamespace(now=time.time())
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: moment.now))
    return moment


# --- the form --------------------------------------------------------------------------------


def test_a_person_signs_up_through_the_page_solving_its_challenge() -> None:
    """The real flow: the page carries a challenge; the browser's answer (here computed as
    altcha-worker.js does) and the page's own time stamp are accepted after a few seconds."""
    browser = Client(REMOTE_ADDR="198.51.100.10")
    page = text_of(browser.get("/signup"))
    assert 'src="/static/townsquare/altcha.js"' in page
    assert "needs JavaScript" in page  # said to people without it, in <noscript>
    challenge = json.loads(html.unescape(re.search(r'data-altcha="([^"]+)"', page)[1]))
    assert challenge["algorithm"] == "SHA-256" and challenge["maxnumber"] == altcha.MAX_NUMBER
    stamp = html.unescape(re.search(r'name="form_stamp" value="([^"]+)"', page)[1])
    honeypot = re.search(r'<input type="text" name="website"[^>]*>', page)[0]
    assert 'tabindex="-1"' in honeypot

    checks = {"website": "", "form_stamp": stamp, "altcha": altcha.solve(challenge)}
    too_soon = join(client=browser, checks=checks)
    assert too_soon.status_code == 400
    assert "please take a moment" in text_of(too_soon)
    assert joined() is None

    with pytest.MonkeyPatch.context() as later:
        moment = time.time() + 5
        later.setattr(ratelimit, "time", SimpleNamespace(time=lambda: moment))
        response = join(client=browser, checks=checks)
    assert response.status_code == 200
    member = joined()
    assert member is not None and member.is_active


def test_a_filled_honeypot_is_refused_without_saying_why() -> None:
    response = join(website="https://cheap-watches.example")
    assert response.status_code == 400
    assert REFUSED in text_of(response)
    assert "website" not in text_of(response).split(REFUSED)[1][:200]
    assert joined() is None


def test_a_form_without_its_time_stamp_or_with_a_forged_one_is_refused() -> None:
    checks = sign_up_checks()
    for stamp in ("", "1700000000", checks["form_stamp"] + "x"):
        response = join(checks={**checks, "form_stamp": stamp})
        assert response.status_code == 400
        assert "This form expired" in text_of(response)
    assert joined() is None


def test_without_the_proof_of_work_the_form_says_it_needs_javascript() -> None:
    checks = sign_up_checks()
    del checks["altcha"]
    response = join(checks=checks)
    assert response.status_code == 400
    assert "needs JavaScript" in text_of(response)
    assert joined() is None


def _payload(**changes: Any) -> str:
    challenge = altcha.create_challenge(max_number=20)
    data = json.loads(base64.b64decode(altcha.solve(challenge)))
    data.update(changes)
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_a_solution_counts_once_and_forged_ones_never() -> None:
    payload = altcha.solve(altcha.create_challenge(max_number=20))
    assert altcha.verify(payload)
    assert not altcha.verify(payload)  # replayed

    challenge = altcha.create_challenge(max_number=20, number=7)
    data = json.loads(base64.b64decode(altcha.solve(challenge)))
    assert data["number"] == 7
    assert not altcha.verify(_payload(number=10**6))  # the wrong number
    assert not altcha.verify(_payload(signature="0" * 64))  # not signed by this site
    assert not altcha.verify(_payload(algorithm="SHA-1"))
    assert not altcha.verify(_payload(salt="abc?expires=1&"))  # expired (and re-salted)
    for junk in ("", "not base64!", base64.b64encode(b"[1, 2]").decode(), "e30="):
        assert not altcha.verify(junk)

    # A forged challenge: its hash is right, but its signature is not the site's.
    salt = "00ff?expires=" + str(int(time.time()) + 600) + "&"
    forged = {
        "algorithm": "SHA-256",
        "challenge": altcha._hash_hex(salt + "3"),
        "salt": salt,
        "signature": "ab" * 32,
        "number": 3,
    }
    assert not altcha.verify(base64.b64encode(json.dumps(forged).encode()).decode())


def test_a_used_solution_cannot_sign_up_twice() -> None:
    checks = sign_up_checks()
    assert join("basil", checks=checks).status_code == 200
    again = join("thyme", checks=checks)
    assert again.status_code == 400
    assert "needs JavaScript" in text_of(again)
    assert joined("thyme") is None


def test_an_expired_challenge_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    challenge = altcha.create_challenge(max_number=20)
    payload = altcha.solve(challenge)
    real = time.time
    monkeypatch.setattr(altcha.time, "time", lambda: real() + altcha.EXPIRES_SECONDS + 1)
    assert not altcha.verify(payload)


def test_the_operator_can_switch_the_proof_of_work_off() -> None:
    admin = make_user("olga", role="admin")
    site_actions.update_settings(admin, signup_proof_of_work=False)
    page = text_of(Client().get("/signup"))
    assert "data-altcha=" not in page and "needs JavaScript" not in page
    checks = sign_up_checks()
    del checks["altcha"]
    assert join(checks=checks).status_code == 200
    assert joined() is not None

    settings_page = text_of(client_of(admin).get("/admin/settings"))
    assert 'name="signup_proof_of_work"' in settings_page
    assert 'name="approval_when_staff_idle_days"' in settings_page


def test_the_settings_are_checked_and_need_manage_settings() -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    moderator = make_user("mo", role="moderator")
    with pytest.raises(PermissionDenied):
        site_actions.update_settings(moderator, signup_burst_per_hour=5)
    with pytest.raises(ValidationError):
        site_actions.update_settings(None, approval_when_staff_idle_days=-1)
    with pytest.raises(ValidationError):
        site_actions.update_settings(None, signup_burst_per_hour="many")
    row = site_actions.update_settings(None, signup_burst_per_hour="12")
    assert row.signup_burst_per_hour == 12


# --- blocked networks ------------------------------------------------------------------------


def test_a_blocked_network_cannot_sign_up_on_the_web_or_the_api() -> None:
    ip_blocks.add_block(None, "203.0.113.0/24", note="A flood of spam accounts")
    response = join(address="203.0.113.77")
    assert response.status_code == 400
    assert REFUSED in text_of(response)
    assert joined() is None

    app = ApiClient(make_token(None, "read write follow"))
    api = app.client.post(
        "/api/v1/accounts",
        {
            "username": "thyme",
            "email": "thyme@example.org",
            "password": PASSWORD,
            "agreement": True,
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {app.token}",
        REMOTE_ADDR="203.0.113.5",
    )
    assert api.status_code == 403
    assert joined("thyme") is None

    assert join(address="203.0.114.1").status_code == 200  # next door is fine


def test_an_expired_block_no_longer_applies_and_ipv6_ranges_work() -> None:
    block = ip_blocks.add_block(None, "2001:db8::/32", days=1)
    assert ip_blocks.is_blocked("2001:db8::1")
    IpBlock.objects.filter(pk=block.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert not ip_blocks.is_blocked("2001:db8::1")
    assert not ip_blocks.is_blocked(None) and not ip_blocks.is_blocked("not an address")


def test_staff_block_and_unblock_networks_from_their_page() -> None:
    admin = make_user("olga", role="admin")
    browser = client_of(admin)
    assert browser.get("/admin/ip-blocks").status_code == 200
    assert "/admin/ip-blocks" in text_of(browser.get("/admin"))  # in the staff navigation

    for bad in ("garden", "10.0.0.0/4", "203.0.113.0/33"):
        response = browser.post("/admin/ip-blocks", {"network": bad})
        assert response.status_code == 400
    assert not IpBlock.objects.exists()

    response = browser.post(
        "/admin/ip-blocks", {"network": "203.0.113.9/24", "days": "7", "note": "spam wave"}
    )
    assert response.status_code == 302
    block = IpBlock.objects.get()
    assert block.network == "203.0.113.0/24" and block.created_by == admin
    assert block.expires_at is not None
    assert "203.0.113.0/24" in text_of(browser.get("/admin/ip-blocks"))

    assert browser.post(f"/admin/ip-blocks/{block.pk}/remove").status_code == 302
    assert not IpBlock.objects.exists()

    from townsquare.moderation.models import AuditEntry

    logged = list(
        AuditEntry.objects.filter(target_kind="ip_block").values_list("action", "target_label")
    )
    assert sorted(logged) == [
        ("ip_block.add", "203.0.113.0/24"),
        ("ip_block.remove", "203.0.113.0/24"),
    ]


def test_only_staff_who_manage_settings_open_the_blocks_page() -> None:
    for role in ("member", "moderator"):
        browser = client_of(make_user(f"someone_{role}", role=role))
        assert browser.get("/admin/ip-blocks").status_code in (302, 403, 404)
        assert browser.post("/admin/ip-blocks", {"network": "192.0.2.1"}).status_code in (
            302,
            403,
            404,
        )
    assert not IpBlock.objects.exists()


# --- waves of sign-ups -------------------------------------------------------------------------


def test_a_spam_wave_from_one_address_is_mostly_refused_and_the_rest_queued(
    clock: SimpleNamespace,
) -> None:
    """500 sign-ups from one address, each with its proof of work solved (the strongest
    program): the address's limit refuses most with 429; past the first few, those it lets
    through wait for approval instead of becoming members."""
    admin = make_user("olga", role="admin")
    bot = Client(REMOTE_ADDR="192.0.2.66")
    statuses: list[int] = []
    for i in range(500):
        response = join(f"bargain_{i}", client=bot)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response["Retry-After"]) > 0
    refused = statuses.count(429)
    assert refused == 500 - ratelimit.SIGNUPS_PER_IP.count
    assert statuses.count(200) == ratelimit.SIGNUPS_PER_IP.count

    made = User.objects.filter(username__startswith="bargain_")
    active = made.filter(is_active=True)
    assert active.count() == signup_guard.QUEUE_AFTER_PER_IP
    queued = Application.objects.filter(state=ApplicationState.PENDING)
    assert queued.count() == ratelimit.SIGNUPS_PER_IP.count - signup_guard.QUEUE_AFTER_PER_IP
    assert set(queued.values_list("user__is_active", flat=True)) == {False}

    # The wave put the whole site into the approval queue for a few hours: a sign-up from
    # elsewhere waits too, and the dashboard says why.
    assert join("basil", address="198.51.100.20").status_code == 200
    basil = joined("basil")
    assert basil is not None and not basil.is_active
    assert Application.objects.filter(user=basil, state=ApplicationState.PENDING).exists()
    dashboard = text_of(client_of(admin).get("/admin"))
    assert "Many sign-ups arrived in a short time" in dashboard

    # Hours later, sign-ups are let in again; the address may try again too.
    clock.now += signup_guard.WAVE_HOURS * 3600 + 1
    assert join("thyme", address="198.51.100.21").status_code == 200
    thyme = joined("thyme")
    assert thyme is not None and thyme.is_active
    assert join("bargain_again", client=bot).status_code == 200


def test_a_burst_from_many_addresses_queues_sign_ups(clock: SimpleNamespace) -> None:
    site_actions.update_settings(None, signup_burst_per_hour=5)
    for i in range(5):
        assert join(f"gardener_{i}", address=f"198.51.100.{i + 1}").status_code == 200
    assert User.objects.filter(is_active=True).count() == 5
    assert join("latecomer", address="198.51.100.99").status_code == 200
    latecomer = joined("latecomer")
    assert latecomer is not None and not latecomer.is_active
    assert Application.objects.filter(user=latecomer).exists()


def test_the_burst_detector_can_be_switched_off(clock: SimpleNamespace) -> None:
    site_actions.update_settings(None, signup_burst_per_hour=0)
    for i in range(8):
        assert join(f"gardener_{i}", address=f"198.51.100.{i + 1}").status_code == 200
    assert User.objects.filter(is_active=True).count() == 8


def test_api_sign_ups_in_a_wave_wait_for_approval_too(clock: SimpleNamespace) -> None:
    site_actions.update_settings(None, signup_burst_per_hour=1)
    join("basil", address="198.51.100.1")
    join("sage", address="198.51.100.2")  # the second in the hour: the wave starts
    app = ApiClient(make_token(None, "read write follow"))
    response = app.client.post(
        "/api/v1/accounts",
        {
            "username": "thyme",
            "email": "thyme@example.org",
            "password": PASSWORD,
            "agreement": True,
            "reason": "I grow herbs on Elm Street",
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {app.token}",
        REMOTE_ADDR="198.51.100.3",
    )
    assert response.status_code == 200
    thyme = joined("thyme")
    assert thyme is not None and not thyme.is_active
    assert Application.objects.get(user=thyme).answer == "I grow herbs on Elm Street"


# --- staff away ----------------------------------------------------------------------------------


def _staff_last_active(days_ago: int) -> User:
    admin = make_user("olga", role="admin")
    User.objects.filter(pk=admin.pk).update(last_login=timezone.now() - timedelta(days=days_ago))
    return admin


def test_sign_ups_wait_for_approval_when_no_staff_member_was_active_for_days() -> None:
    site_actions.update_settings(None, approval_when_staff_idle_days=14)
    _staff_last_active(days_ago=20)
    assert signup_guard.staff_idle()
    page = text_of(Client().get("/signup"))
    assert "Moderators read every application" in page
    assert join().status_code == 200
    basil = joined()
    assert basil is not None and not basil.is_active
    assert Application.objects.filter(user=basil, state=ApplicationState.PENDING).exists()
    reason = signup_guard.site_queue_reason()
    assert reason is not None and "No member of staff has been active for 14 days" in reason


def test_a_recently_active_moderator_keeps_sign_ups_open() -> None:
    site_actions.update_settings(None, approval_when_staff_idle_days=14)
    _staff_last_active(days_ago=20)
    mo = make_user("mo", role="moderator")
    User.objects.filter(pk=mo.pk).update(last_login=timezone.now() - timedelta(days=2))
    assert not signup_guard.staff_idle()
    assert join().status_code == 200
    basil = joined()
    assert basil is not None and basil.is_active


def test_zero_days_never_switches_and_a_site_without_staff_signs_is_left_open() -> None:
    _staff_last_active(days_ago=400)
    site_actions.update_settings(None, approval_when_staff_idle_days=0)
    assert not signup_guard.staff_idle()
    User.objects.all().delete()
    site_actions.update_settings(None, approval_when_staff_idle_days=14)
    assert signup_guard.last_staff_activity() is None
    assert not signup_guard.staff_idle()
