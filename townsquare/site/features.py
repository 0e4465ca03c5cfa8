"""Which features the operator switched on. Every page, menu entry and route of a feature asks
`enabled(name)`; a feature the operator never touched is on, but for the few in
`catalog.OFF_BY_DEFAULT` (friends mode).

The answer is read from the database at most once every `REFRESH_SECONDS` in each process (one
short statement), so a switch reaches every web process within that time, and at once in the
process that made the change."""

from __future__ import annotations

import threading
import time

from townsquare.site.catalog import FEATURES, OFF_BY_DEFAULT
from townsquare.site.models import FeatureSwitch

__all__ = ["FEATURES", "UnknownFeature", "enabled", "forget", "switches"]
REFRESH_SECONDS = 5.0

_lock = threading.Lock()
_state: dict[str, object] = {"read_at": float("-inf"), "off": OFF_BY_DEFAULT}


class UnknownFeature(ValueError):
    pass


def _off() -> frozenset[str]:
    now = time.monotonic()
    if now - float(_state["read_at"]) >= REFRESH_SECONDS:  # type: ignore[arg-type]
        chosen = dict(FeatureSwitch.objects.values_list("name", "enabled"))
        names = frozenset(
            name for name in FEATURES if not chosen.get(name, name not in OFF_BY_DEFAULT)
        )
        with _lock:
            _state.update(read_at=now, off=names)
    return _state["off"]  # type: ignore[return-value]


def forget() -> None:
    """Read the switches again on the next question (after a change in this process)."""
    with _lock:
        _state.update(read_at=float("-inf"), off=OFF_BY_DEFAULT)


def enabled(name: str) -> bool:
    if name not in FEATURES:
        raise UnknownFeature(name)
    return name not in _off()


def switches() -> dict[str, bool]:
    """Every feature and whether it is on, in the operator's order."""
    off = _off()
    return {name: name not in off for name in FEATURES}
