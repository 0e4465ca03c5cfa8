"""Which features the operator switched on. Every page, menu entry and route of a feature asks
`enabled(name)`; a feature the operator never touched is on, but for the few in
`catalog.OFF_BY_DEFAULT` (friends mode). Read through `state`, at most once every few seconds
in each process."""

from __future__ import annotations

from townsquare.site import state
from townsquare.site.catalog import FEATURES

__all__ = ["FEATURES", "UnknownFeature", "enabled", "forget", "switches"]


class UnknownFeature(ValueError):
    pass


forget = state.forget


def enabled(name: str) -> bool:
    if name not in FEATURES:
        raise UnknownFeature(name)
    return name not in state.current().off


def switches() -> dict[str, bool]:
    """Every feature and whether it is on, in the operator's order."""
    off = state.current().off
    return {name: name not in off for name in FEATURES}
