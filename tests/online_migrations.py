"""Apply each of Townsquare's migrations while the previous version's code keeps running its
queries (tests/test_migrations_online.py).

The walk: a database of its own (a SQLite file, or a PostgreSQL database created and dropped
here) is migrated forward one migration at a time, in the order `migrate` applies them. Before
each migration of a Townsquare app, the models of the state so far are rendered: they stand
for the code that was serving. The migration is applied, then, with those old models, for
each Townsquare model: a SELECT of every column, an INSERT of a generated row, an UPDATE of
every column of that row, a SELECT of it back and a DELETE, all in a transaction rolled back
afterwards. What breaks is returned as a list of `Failure`s.
"""

from __future__ import annotations

import copy
import datetime
import decimal
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps as global_apps
from django.db import DatabaseError, connections, models, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.state import ProjectState
from django.db.utils import load_backend
from django.test.utils import override_settings
from django.utils import timezone

ALIAS = "online_migrations"

# The operations run with the old models, in this order, for each model.
OPERATIONS = ("select", "insert", "update", "reselect", "delete")


@dataclass(frozen=True)
class Failure:
    migration: str  # "app_label.0003_name"
    operation: str  # one of OPERATIONS
    model: str  # "app_label.ModelName" of the old code's model
    error: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.operation, self.model)

    def __str__(self) -> str:
        return f"{self.migration}: old code's {self.operation} of {self.model} fails: {self.error}"


@dataclass
class WalkResult:
    failures: list[Failure] = field(default_factory=list)
    # Models whose rows the factory could not generate, so their insert, update and delete
    # were not checked: "migration: model: why".
    skipped: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # the migrations checked, in order


def is_project_app(app_label: str) -> bool:
    try:
        return global_apps.get_app_config(app_label).name.startswith("townsquare.")
    except LookupError:  # an app that no longer exists: it was one of ours
        return True


# -- a database of its own -------------------------------------------------------------------


class _ToThisDatabase:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str:
        return ALIAS

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str:
        return ALIAS


@contextmanager
def dedicated_database(folder: Path) -> Iterator[BaseDatabaseWrapper]:
    """A connection, registered as `ALIAS`, to an empty database of the default's kind: a SQLite
    file in `folder`, or a PostgreSQL database of its own (dropped afterwards). The session's
    test database is not touched."""
    # After the end-to-end tests, Playwright's sync API keeps an event loop in this thread for
    # the rest of the session, and Django then refuses to open a connection here ("cannot call
    # this from an async context"); nothing here is async.
    allowed = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    default = connections["default"]
    settings_dict = copy.deepcopy(default.settings_dict)
    created = ""
    if default.vendor == "sqlite":
        settings_dict["NAME"] = str(folder / "online-migrations.sqlite3")
    else:
        created = f"townsquare_online_migrations_{os.getpid()}"
        with default._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{created}"')
            cursor.execute(f'CREATE DATABASE "{created}"')
        settings_dict["NAME"] = created
    settings_dict["CONN_MAX_AGE"] = 0
    backend = load_backend(settings_dict["ENGINE"])
    wrapper = backend.DatabaseWrapper(settings_dict, alias=ALIAS)
    connections[ALIAS] = wrapper
    # Data migrations (Django's and third parties' too) that query without `.using()` go to
    # this database while the walk runs.
    routers = router.__dict__.get("routers")
    router.__dict__["routers"] = [_ToThisDatabase()]
    try:
        yield wrapper
    finally:
        if routers is None:
            del router.__dict__["routers"]
        else:
            router.__dict__["routers"] = routers
        wrapper.close()
        del connections[ALIAS]
        if created:
            with default._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{created}"')
        if allowed is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = allowed


# -- rows made up for any model --------------------------------------------------------------


class CannotGenerate(Exception):
    """The factory cannot make a row of this model."""


def _label(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.object_name}"


def _first_choice(field: models.Field) -> Any:
    for value, _name in field.flatchoices:
        if value not in (None, ""):
            return value
    return None


def generated_value(field: models.Field, n: int) -> Any:
    """A value for a required field without a default, by type; `n` makes it unique."""
    if field.choices:
        choice = _first_choice(field)
        if choice is not None:
            return choice
    kind = field.get_internal_type()
    max_length = getattr(field, "max_length", None) or 1000
    if isinstance(field, models.EmailField):
        return f"v{n}@example.com"
    if isinstance(field, models.URLField):
        return f"https://example.com/{n}"
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    if kind in ("CharField", "TextField", "SlugField", "FileField", "ImageField", "FilePathField"):
        return f"v{n}"[:max_length]
    if kind == "BooleanField":
        return False
    if kind in (
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    ):
        return n  # unique too (a ladder of strike steps is unique by count)
    if kind == "FloatField":
        return 1.0
    if kind == "DecimalField":
        return decimal.Decimal("1")
    if kind == "DateTimeField":
        return timezone.now()
    if kind == "DateField":
        return timezone.now().date()
    if kind == "TimeField":
        return datetime.time(12, 0)
    if kind == "DurationField":
        return datetime.timedelta(minutes=1)
    if kind == "UUIDField":
        return uuid.uuid4()
    if kind == "BinaryField":
        return b"v"
    if kind == "JSONField":
        return {}
    raise CannotGenerate(f"no value for {field.name} ({kind})")


class RowFactory:
    """Rows of the models of one registry (the old code's or the new code's), inserted on
    `alias`. Required foreign keys point at rows of a pool the factory fills as needed: the
    k-th row of a model takes, for its j-th foreign key to a model, that model's (k+j)-th pool
    row, so pairs (follower, followee) differ within a row and from row to row."""

    def __init__(
        self,
        registry: Any,
        alias: str,
        fallback: RowFactory | None = None,
        fill: dict[str, tuple[str, ...]] | None = None,
    ):
        self.registry = registry
        self.fill = fill or {}  # label -> nullable fields to give a value anyway
        self.alias = alias
        self.fallback = fallback  # makes pool rows when this registry cannot (the new code's)
        self.pool: dict[str, list[Any]] = {}
        self.made: dict[str, int] = {}
        self.counter = 0

    def model(self, label: str) -> type[models.Model] | None:
        app_label, name = label.split(".")
        try:
            return self.registry.get_model(app_label, name)
        except LookupError:
            return None

    def build(self, model: type[models.Model]) -> models.Model:
        label = _label(model)
        k = self.made.get(label, 0)
        self.made[label] = k + 1
        values: dict[str, Any] = {}
        per_target: dict[str, int] = {}
        fill = self.fill.get(label, ())
        for f in model._meta.concrete_fields:
            if isinstance(f, models.AutoField) or f.generated:
                continue
            self.counter += 1
            null = f.null and f.name not in fill
            if f.is_relation:
                target = f.related_model
                if f.has_default():
                    values[f.attname] = f.get_default()
                elif null:
                    values[f.attname] = None
                else:
                    assert isinstance(target, type)
                    target_label = _label(target)
                    j = per_target.get(target_label, 0)
                    per_target[target_label] = j + 1
                    values[f.attname] = self.pool_row(target_label, k + j)
            elif f.has_default() and (callable(f.default) or not f.unique):
                values[f.attname] = f.get_default()
            elif null:
                values[f.attname] = None
            else:
                values[f.attname] = generated_value(f, self.counter)
        return model(**values)

    def insert(self, model: type[models.Model]) -> models.Model:
        row = self.build(model)
        row.save(using=self.alias, force_insert=True)
        return row

    def pool_row(self, label: str, index: int, depth: int = 0) -> Any:
        """The primary key of the `index`-th pool row of `label`, made (with the models it
        needs) if there is none yet."""
        rows = self.pool.setdefault(label, [])
        while len(rows) <= index:
            if depth > 20:
                raise CannotGenerate(f"required foreign keys loop through {label}")
            rows.append(self._new_pool_row(label))
        return rows[index]

    def _new_pool_row(self, label: str) -> Any:
        model = self.model(label)
        if model is not None:
            try:
                with transaction.atomic(using=self.alias):
                    return self.insert(model).pk
            except (DatabaseError, CannotGenerate) as error:
                if self.fallback is None:
                    raise CannotGenerate(f"cannot insert {label}: {_short(error)}") from error
        if self.fallback is None:
            raise CannotGenerate(f"no model {label}")
        # The old code's model cannot insert its row any longer (a failure that the check of
        # that model reports); the row others point at is made with the new code's model.
        return self.fallback.pool_row(label, len(self.fallback.pool.get(label, [])))


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text[:300]}"


# -- the walk --------------------------------------------------------------------------------


def _old_code_queries(
    name: str,
    old_apps: Any,
    new_apps: Any,
    alias: str,
    result: WalkResult,
    fill: dict[str, tuple[str, ...]],
) -> None:
    """What the old code does, with its models, against the migrated database."""
    new_rows = RowFactory(new_apps, alias, fill=fill)
    old_rows = RowFactory(old_apps, alias, fallback=new_rows, fill=fill)
    with transaction.atomic(using=alias):
        connection = connections[alias]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # foreign keys checked at once, not at commit
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in old_apps.get_models():
            if not is_project_app(model._meta.app_label) or not model._meta.managed:
                continue
            if model._meta.proxy:
                continue
            _check_model(name, model, old_rows, new_rows, alias, result)
        transaction.set_rollback(True, using=alias)


def _check_model(
    name: str,
    model: type[models.Model],
    old_rows: RowFactory,
    new_rows: RowFactory,
    alias: str,
    result: WalkResult,
) -> None:
    label = _label(model)
    manager = model._base_manager.using(alias)

    def fail(operation: str, error: BaseException) -> None:
        result.failures.append(Failure(name, operation, label, _short(error)))

    try:
        with transaction.atomic(using=alias):
            list(manager.all()[:1])
    except DatabaseError as error:
        fail("select", error)
        return
    try:
        with transaction.atomic(using=alias):
            row = old_rows.build(model)
    except CannotGenerate as error:  # the factory's limit, not the migration's: said apart
        result.skipped.append(f"{name}: {label}: {_short(error)}")
        return
    try:
        with transaction.atomic(using=alias):
            row.save(using=alias, force_insert=True)
    except DatabaseError as error:
        fail("insert", error)
        return
    try:
        with transaction.atomic(using=alias):
            row.save(using=alias, force_update=True)
    except DatabaseError as error:
        fail("update", error)
    try:
        with transaction.atomic(using=alias):
            read = manager.get(pk=row.pk)
            for f in model._meta.concrete_fields:
                getattr(read, f.attname)
    except DatabaseError as error:
        fail("reselect", error)
    try:
        with transaction.atomic(using=alias):
            row.delete(using=alias)
    except DatabaseError as error:
        fail("delete", error)


def _rendered_apart(state: ProjectState) -> Any:
    """The models of `state` (the serving code's), rendered in a registry of their own: the
    migration then mutates `state` and its registry, never these classes."""
    return ProjectState(
        models={key: value.clone() for key, value in state.models.items()},
        real_apps=state.real_apps,
    ).apps


def walk(
    connection: BaseDatabaseWrapper, *, fill: dict[str, tuple[str, ...]] | None = None
) -> WalkResult:
    """Migrate `connection`'s empty database forward, checking the old code's queries after
    each Townsquare migration. `fill` names, by model ("app.Model"), nullable fields that
    generated rows set anyway (for check constraints such as "one of these two")."""
    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    graph = executor.loader.graph
    plan = executor.migration_plan(graph.leaf_nodes(), clean_start=True)
    result = WalkResult()
    # OAuth applications hash their generated secrets on save: with the fast hasher, not the
    # site's argon2 (a third of the run otherwise).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        _walk_plan(executor, plan, result, fill or {})
    return result


def _walk_plan(
    executor: MigrationExecutor,
    plan: list[tuple[Any, bool]],
    result: WalkResult,
    fill: dict[str, tuple[str, ...]],
) -> None:
    state = ProjectState(real_apps=executor.loader.unmigrated_apps)
    alias = executor.connection.alias
    for migration, backwards in plan:
        assert not backwards
        name = f"{migration.app_label}.{migration.name}"
        check = is_project_app(migration.app_label)
        old_apps = None
        if check:
            old_apps = _rendered_apart(state)
        state = executor.apply_migration(state, migration)
        if old_apps is not None:
            _old_code_queries(name, old_apps, state.apps, alias, result, fill)
            result.checked.append(name)


# -- the check of the check ------------------------------------------------------------------


def _migration(name: str, app_label: str, operations: list[Any]) -> Migration:
    return type("Migration", (Migration,), {"operations": operations})(name, app_label)


def check_operations(connection: BaseDatabaseWrapper) -> list[Failure]:
    """Run the check over small made-up migrations of a made-up app ("onlinecheck"), each on
    a table of its own: what it reports for them (tests/test_migrations_online.py)."""
    from django.db import migrations

    cases: dict[str, list[Any]] = {
        "add_nullable": [
            migrations.AddField("plant", "colour", models.CharField(max_length=10, null=True))
        ],
        "add_db_default": [
            migrations.AddField(
                "plant", "colour", models.CharField(max_length=10, db_default="green")
            )
        ],
        "add_not_null": [
            migrations.AddField("plant", "colour", models.CharField(max_length=10, default="green"))
        ],
        "drop_column": [migrations.RemoveField("plant", "name")],
        "rename_table": [migrations.RenameModel("plant", "shrub")],
    }
    result = WalkResult()
    for number, (name, operations) in enumerate(cases.items()):
        app_label = f"onlinecheck{number}"
        initial = _migration(
            "0001_initial",
            app_label,
            [
                migrations.CreateModel(
                    "Plant",
                    [
                        ("id", models.BigAutoField(primary_key=True)),
                        ("name", models.CharField(max_length=20)),
                    ],
                )
            ],
        )
        change = _migration(name, app_label, operations)
        state = ProjectState()
        with connection.schema_editor() as editor:
            state = initial.apply(state, editor)
        old_apps = _rendered_apart(state)
        with connection.schema_editor() as editor:
            state = change.apply(state, editor)
        _old_code_queries(name, old_apps, state.apps, connection.alias, result, {})
    return result.failures
