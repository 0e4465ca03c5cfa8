"""64-bit time-ordered ids: milliseconds since 2020-01-01 in the high bits, a sequence below.

Sorting by id is sorting by creation time, so feeds paginate by id cursor. The low 16 bits
are a per-process counter that starts at a random value, so two processes that create rows
in the same millisecond almost never collide (and a unique key catches it if they do).
"""

from __future__ import annotations

import secrets
import threading
import time

EPOCH_MS = 1_577_836_800_000  # 2020-01-01T00:00:00Z
SEQUENCE_BITS = 16
_SEQUENCE_MASK = (1 << SEQUENCE_BITS) - 1

_lock = threading.Lock()
_state = {"ms": 0, "seq": secrets.randbelow(1 << SEQUENCE_BITS), "start": 0}


def next_id() -> int:
    """A new id, strictly greater than every id this process made before."""
    with _lock:
        now = max(int(time.time() * 1000) - EPOCH_MS, _state["ms"])
        if now == _state["ms"]:
            seq = (_state["seq"] + 1) & _SEQUENCE_MASK
            if seq == _state["start"]:  # 65,536 ids this millisecond: borrow the next one
                now += 1
        else:
            seq = _state["seq"]
            _state["start"] = seq
        _state["ms"], _state["seq"] = now, seq
        return (now << SEQUENCE_BITS) | seq


def id_for_time(timestamp: float) -> int:
    """The smallest id that a row created at `timestamp` (seconds) could have."""
    return (int(timestamp * 1000) - EPOCH_MS) << SEQUENCE_BITS


def time_of_id(value: int) -> float:
    return ((value >> SEQUENCE_BITS) + EPOCH_MS) / 1000
