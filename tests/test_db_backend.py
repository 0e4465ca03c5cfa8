"""The database backends Townsquare runs on (townsquare.core.backends): Django's, with the
changes their docstrings explain. Statements keep their meaning whatever the backend keeps
between executions."""

from __future__ import annotations

import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db


def test_both_databases_run_on_townsquares_backends() -> None:
    package = {"sqlite": "sqlite3", "postgresql": "postgresql"}[connection.vendor]
    assert type(connections["default"]).__module__ == f"townsquare.core.backends.{package}.base"


def test_a_statement_run_again_takes_its_new_parameters_and_keeps_literal_percent_signs() -> None:
    sql = "SELECT %s, %s, '100%%'"
    with connection.cursor() as cursor:
        cursor.execute(sql, [7, "roses"])
        first = cursor.fetchone()
        cursor.execute(sql, [8, "tulips"])
        second = cursor.fetchone()
    assert tuple(first) == (7, "roses", "100%")
    assert tuple(second) == (8, "tulips", "100%")


def test_named_parameters_still_work() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %(board)s, %(move)s", {"board": 3, "move": "e4"})
        assert tuple(cursor.fetchone()) == (3, "e4")


def test_a_like_pattern_with_a_percent_sign_matches_as_written() -> None:
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute("SELECT CASE WHEN %s LIKE 'Seed%%' THEN 1 ELSE 0 END", ["Seed swap"])
            assert cursor.fetchone()[0] == 1


def test_timestamps_come_back_as_the_same_instant_in_utc() -> None:
    """PostgreSQL's timestamps are read by psycopg's own loader on a UTC session (see the
    backend's docstring): the values must be exactly what Django's would give."""
    import datetime

    from tests.factories import make_user
    from townsquare.accounts.models import User

    moment = datetime.datetime(2026, 3, 1, 7, 30, 15, 123456, tzinfo=datetime.UTC)
    in_berlin = moment.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    member = make_user("hazel")
    User.objects.filter(pk=member.pk).update(created_at=in_berlin)
    read = User.objects.values_list("created_at", flat=True).get(pk=member.pk)
    assert read == moment and read.tzinfo is datetime.UTC
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at FROM accounts_user WHERE id = %s", [member.pk])
        (raw,) = cursor.fetchone()
    if connection.vendor == "postgresql":  # SQLite's plain cursor gives the stored text
        assert raw == moment and raw.tzinfo is datetime.UTC
