"""Ids are 64-bit and time-ordered: sorting by id is sorting by time."""

from __future__ import annotations

import time

from townsquare.core.ids import id_for_time, next_id, time_of_id


def test_ids_increase_fit_in_a_signed_64_bit_integer_and_carry_their_time() -> None:
    ids = [next_id() for _ in range(20_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(0 < value < 2**63 for value in ids)
    assert abs(time_of_id(ids[-1]) - time.time()) < 5


def test_an_id_made_later_sorts_after_the_cursor_for_an_earlier_time() -> None:
    cursor = id_for_time(time.time() - 1)
    assert next_id() > cursor
