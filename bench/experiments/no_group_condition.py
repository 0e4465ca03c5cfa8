"""Experiment (for `profile_api.py --ab`): the listing statements without the group condition
that posts in groups added to the visibility rule (a trivially true test stands in for it,
taking the same parameter, so the statement's parameters are unchanged)."""

from townsquare.posts import visibility as queries

_kept = queries._group_sql


def _without(post_alias: str, *, member: bool) -> str:
    return " AND %s IS NOT NULL" if member else ""


def apply() -> None:
    queries._group_sql = _without  # type: ignore[assignment]


def undo() -> None:
    queries._group_sql = _kept  # type: ignore[assignment]
