"""Model instances from rows read with plain SQL, exactly as the ORM would build them.

A queryset (even `Model.objects.raw`) sets up converters, column maps and a compiler for every
query: on the hot read paths that cost more than the database took to answer (cProfile of the
API home timeline: polls and link cards read through `raw()` were a fifth of a request).
A `ModelReader` does that set-up once per database backend and then only applies the same
converters (the backend's, then the field's) to each row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model

from townsquare.core.sql import vendor

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


class ModelReader(Generic[M]):
    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in self.fields]
        self._converters: dict[str, list[list[Converter]]] = {}
        self._columns: dict[tuple[str, str], str] = {}

    def columns(self, alias: str) -> str:
        """The model's columns, in the order `build` expects, for a table aliased `alias`."""
        key = (vendor(), alias)
        found = self._columns.get(key)
        if found is None:
            quote = connection.ops.quote_name
            found = self._columns[key] = ", ".join(
                f"{alias}.{quote(field.column or field.attname)}" for field in self.fields
            )
        return found

    def _converters_now(self) -> list[list[Converter]]:
        found = self._converters.get(vendor())
        if found is None:
            found = []
            for field in self.fields:
                column = field.get_col(self.model._meta.db_table)
                found.append(
                    connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                )
            self._converters[vendor()] = found
        return found

    def build(self, values: Sequence[Any]) -> M:
        """The instance for `values`: one row's columns, as `columns` listed them."""
        row = list(values)
        for index, chain in enumerate(self._converters_now()):
            for convert in chain:
                row[index] = convert(row[index], None, connection)
        return self.model.from_db(connection.alias, self.names, row)
