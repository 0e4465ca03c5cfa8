"""Experiment (for `profile_api.py --ab`): SQLite statements' placeholders converted by
Django's regular expression on every execution, as before the townsquare backend kept them."""

from django.db.backends.sqlite3 import base

from townsquare.core.backends.sqlite3.base import CursorWrapper

_kept = CursorWrapper.convert_query


def apply() -> None:
    CursorWrapper.convert_query = base.SQLiteCursorWrapper.convert_query  # type: ignore[method-assign]


def undo() -> None:
    CursorWrapper.convert_query = _kept  # type: ignore[method-assign]
