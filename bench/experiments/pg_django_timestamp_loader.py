"""Experiment (for `profile_api.py --database postgres --ab`): timestamps read by Django's
own loader (pure Python), as before the townsquare backend used psycopg's on UTC sessions."""

from django.db import connections


def apply() -> None:
    connections["default"].psycopg_timestamps = False


def undo() -> None:
    connections["default"].psycopg_timestamps = True
