"""Small factory functions for tests. They go through the write layer, as the site does."""

from __future__ import annotations

import itertools

from townsquare.accounts import actions as account_actions
from townsquare.accounts.models import User
from townsquare.core.jobs import run_pending_jobs
from townsquare.graph import actions as graph_actions
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility

_numbers = itertools.count(1)
PASSWORD = "tulips-and-rooks-42"


def make_user(
    username: str | None = None,
    *,
    password: str | None = None,
    confirmed: bool = True,
    locked: bool = False,
    role: str = "member",
) -> User:
    """A member. Without a password the account has an unusable one (fast: no argon2)."""
    name = username or f"gardener{next(_numbers)}"
    user = account_actions.create_user(
        name, f"{name}@example.org", password, role=role, email_confirmed=confirmed
    )
    if locked:
        user.locked = True
        user.save(update_fields=["locked"])
    return user


def make_post(
    author: User, text: str = "Planting garlic today.", visibility: int = Visibility.PUBLIC
) -> Post:
    return post_actions.create_post(author, text=text, visibility=visibility)


def follow(follower: User, followee: User) -> str:
    return graph_actions.follow(follower, followee)


def run_jobs() -> None:
    """Run every queued job (fan-out, back-fill, email) to completion."""
    run_pending_jobs()


def sign_up_checks() -> dict[str, str]:
    """The sign-up form's anti-spam fields as a person's browser sends them: the honeypot
    left empty, the form shown a minute ago, and the proof of work solved (a challenge of
    this site, made small so that solving it here is quick)."""
    from townsquare.accounts import signup_guard
    from townsquare.core import altcha, ratelimit

    return {
        signup_guard.HONEYPOT_FIELD: "",
        signup_guard.STAMP_FIELD: signup_guard.form_stamp(ratelimit.now() - 60),
        signup_guard.PROOF_FIELD: altcha.solve(altcha.create_challenge(max_number=50)),
    }
