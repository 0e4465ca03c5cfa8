"""Persistent PostgreSQL connections: a dropped connection is noticed before a request uses it,
and a healthy one costs no extra round trip (townsquare.core.backends.postgresql)."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.backends.postgresql import base as django_postgresql

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_connection(database_vendor: str):  # type: ignore[no-untyped-def]
    if database_vendor != "postgresql":
        pytest.skip("a PostgreSQL connection's health check (the PostgreSQL pass runs it)")
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_a_healthy_idle_connection_is_used_without_asking_the_server(other_connection) -> None:  # type: ignore[no-untyped-def]
    with other_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    with mock.patch.object(
        django_postgresql.DatabaseWrapper, "is_usable", side_effect=AssertionError("round trip")
    ):
        assert other_connection.is_usable() is True


def test_a_connection_the_server_dropped_is_found_unusable_and_replaced(other_connection) -> None:  # type: ignore[no-untyped-def]
    pid = other_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while other_connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert other_connection.is_usable() is False
    # As at the start of a request: Django closes it, and the next query connects again.
    other_connection.health_check_done = False
    other_connection.close_if_health_check_failed()
    with other_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
