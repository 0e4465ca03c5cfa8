"""Experiment (for `profile_api.py --ab`): link cards read with every page, as before the
entity cache kept ready cards with their statuses."""

from typing import Any

from townsquare.api.serializers import statuses
from townsquare.posts import display

_kept = statuses.hydrate


def _hydrate_reading_cards(*args: Any, **kwargs: Any) -> Any:
    kwargs.pop("card_known", None)
    return display.hydrate(*args, **kwargs)


def apply() -> None:
    statuses.hydrate = _hydrate_reading_cards  # type: ignore[assignment]


def undo() -> None:
    statuses.hydrate = _kept
