"""Django's SQLite backend, with each statement's placeholders converted once per process.

Python's sqlite3 module takes `?` placeholders; Django writes `%s` and turns one into the other
with a regular expression on every execution. On the API home timeline that was 35-45 µs for
the page's statement alone (2 KB of SQL) and about 150 µs a request over its five statements,
close to a tenth of the request. A site runs a few hundred distinct statements (an `IN` list
of each length is one), so the conversions are kept, at most `_CACHED` of them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base

_CACHED = 2048


@lru_cache(maxsize=_CACHED)
def _qmark(query: str) -> str:
    return str(base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%"))


class CursorWrapper(base.SQLiteCursorWrapper):
    def convert_query(self, query: str, *, param_names: Any = None) -> str:
        if param_names is None:
            return _qmark(query)
        return str(super().convert_query(query, param_names=param_names))


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name: str | None = None) -> CursorWrapper:
        return self.connection.cursor(factory=CursorWrapper)
