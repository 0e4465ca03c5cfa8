"""JSON for the API: orjson (several times faster than the standard library on timelines)."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(data: Any) -> bytes:
    return orjson.dumps(data)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
