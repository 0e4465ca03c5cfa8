"""64-bit time-ordered ids: milliseconds since 2020-01-01 in the high bits, a sequence below.

Sorting by id is sorting by creation time, so feeds paginate by id cursor. The low 16 bits
are a sequence within the millisecond.
"""

from __future__ import annotations

import secrets
import threading
import time

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1

_lock = threading.Lock()
_last = {"ms": 0, "seq": 0}


def next_id() -> int:
    """A new id, strictly greater than every id this process made before.

    Each millisecond's sequence starts at a random point in its lower half, so two processes
    that create rows in the same millisecond rarely collide (a unique key catches it if they do).
    """
    with _lock:
        now = int(time.time() * 1000) - EPOCH_MS
        if now > _last["ms"]:
            seq = secrets.randbelow(1 << (SEQUENCE_BITS - 1))
        else:  # same millisecond (or the clock stepped back): continue the sequence
            now = _last["ms"]
            seq = _last["seq"] + 1
            if seq > _SEQUENCE_MASK:  # sequence used up: borrow the next millisecond
                now += 1
                seq = secrets.randbelow(1 << (SEQUENCE_BITS - 1))
        _last["ms"], _last["seq"] = now, seq
        return (now << SEQUENCE_BITS) | seq


def id_for_time(timestamp: float) -> int:
    """The smallest id that a row created at `timestamp` (seconds) could have."""
    return (int(timestamp * 1000) - EPOCH_MS) << SEQUENCE_BITS


def time_of_id(value: int) -> float:
    return ((value >> SEQUENCE_BITS) + EPOCH_MS) / 1000
