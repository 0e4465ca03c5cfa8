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
