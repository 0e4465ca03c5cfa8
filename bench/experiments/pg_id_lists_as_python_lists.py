"""Experiment (for `profile_api.py --database postgres --ab`): id lists passed to PostgreSQL
as Python lists (psycopg dumps each element), as before they went as the array's text."""

from collections.abc import Sequence
from typing import Any

from townsquare.core import sql

_kept = sql.id_in


def _as_list(column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
    if sql.vendor() == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [list(ids)]
    return _kept(column, ids)


_MODULES: list[Any] = []


def _users() -> list[Any]:
    """The modules that imported id_in by name."""
    if not _MODULES:
        import sys

        _MODULES.extend(
            module
            for name, module in list(sys.modules.items())
            if name.startswith("townsquare.") and getattr(module, "id_in", None) is _kept
        )
    return _MODULES


def apply() -> None:
    for module in _users():
        module.id_in = _as_list


def undo() -> None:
    for module in _users():
        module.id_in = _kept
