"""Importing a list of hashes into a bank (the staff page's "Import a list").

The list is read and checked when it is uploaded: a line that is not a hash, or 64-digit
hashes without saying whether they are PDQ or SHA-256, refuse the whole list with the lines
named, and nothing is added. A list of up to `SYNC_MAX` new hashes is then added at once, in
one transaction. A longer one (up to a million) would hold a web request, and on SQLite every
writer, for minutes: it is split into parts of `CHUNK` hashes, each added by a job in its own
short transaction (`HashImport` follows the progress, shown on the page). A part that runs
twice adds nothing twice; a part cut short by a crash is rolled back and run again, so the
whole list is added in the end. The bank's PDQ index is refreshed after each part, so matching
uses the new hashes as they arrive.

Rows are inserted with one prepared statement per batch rather than through model instances,
about ten times faster (`bench/hash_bench.py`, "importing")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from townsquare.accounts.models import User
from townsquare.core import words
from townsquare.core.ids import next_id
from townsquare.core.jobs import BULK, enqueue, retried
from townsquare.moderation import audit
from townsquare.moderation.hash_banks import _bank, _require, _target, _touch
from townsquare.moderation.models import BankedHash, HashImport, HashKind

MAX_IMPORT_BYTES = 128 * 1024 * 1024
MAX_IMPORT_LINES = 1_000_000
MAX_REPORTED_LINES = 20  # bad lines named in the error; the rest are counted
SYNC_MAX = 20_000  # new hashes added during the request; above, by jobs
CHUNK = 10_000  # hashes per job
INSERT_BATCH = 5_000
LOOKUP_BATCH = 2_000  # values per "already in the bank?" query
_HEX = re.compile(r"[0-9a-f]+")

Entry = tuple[str, str, str]  # (kind, lowercase hex, note)


@dataclass
class ParsedList:
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, hex, note)
    bad_lines: list[int] = field(default_factory=list)
    long_without_kind: list[int] = field(default_factory=list)


def parse_hash_list(text: str, *, long_kind: str | None) -> ParsedList:
    """Read a list: one hash per line, or `hash,label` (commas or tabs); blank lines, lines
    starting with # and a header line ("hash,label") are skipped. 32 hex digits are MD5; 64
    are PDQ or SHA-256, as `long_kind` says (the two look alike)."""
    parsed = ParsedList()
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = [part.strip() for part in re.split(r"[,\t]", stripped, maxsplit=1)]
        value = fields[0].lower()
        note = fields[1][:200] if len(fields) > 1 else ""
        if first and not _HEX.fullmatch(value) and value.isalpha():
            first = False
            continue  # a header row
        first = False
        if not _HEX.fullmatch(value) or len(value) not in (32, 64):
            parsed.bad_lines.append(number)
        elif len(value) == 32:
            parsed.entries.append((HashKind.MD5, value, note))
        elif long_kind in (HashKind.PDQ, HashKind.SHA256):
            parsed.entries.append((long_kind, value, note))
        else:
            parsed.long_without_kind.append(number)
    return parsed


def _line_list(numbers: list[int]) -> str:
    shown = ", ".join(words.number(n) for n in numbers[:MAX_REPORTED_LINES])
    left = len(numbers) - MAX_REPORTED_LINES
    if left > 0:
        shown += " " + ngettext("and %(count)s more", "and %(count)s more", left) % {
            "count": words.number(left)
        }
    return shown


@dataclass(frozen=True)
class ImportResult:
    """Added now (`added`, `already` in the bank), or queued (`queued`: the import's row)."""

    added: int
    already: int
    queued: HashImport | None = None


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": _("That list is too large: split it into files of at most 128 MB.")}
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("That file is not a text list (UTF-8).")}) from None


def _check(parsed: ParsedList) -> None:
    problems = []
    if parsed.bad_lines:
        problems.append(
            ngettext(
                "Line %(lines)s is not an MD5 (32 hex digits), PDQ or SHA-256 hash (64).",
                "Lines %(lines)s are not MD5 (32 hex digits), PDQ or SHA-256 hashes (64).",
                len(parsed.bad_lines),
            )
            % {"lines": _line_list(parsed.bad_lines)}
        )
    if parsed.long_without_kind:
        problems.append(
            _(
                "The list has 64-digit hashes (lines %(lines)s): choose whether they are PDQ "
                "or SHA-256."
            )
            % {"lines": _line_list(parsed.long_without_kind)}
        )
    if not problems and not parsed.entries:
        problems.append(_("That list has no hashes in it."))
    if not problems and len(parsed.entries) > MAX_IMPORT_LINES:
        problems.append(
            _("A list holds at most %(most)s hashes: split it.")
            % {"most": words.number(MAX_IMPORT_LINES)}
        )
    if problems:
        raise ValidationError({"file": problems})


def _present(bank_id: int, entries: list[Entry]) -> set[tuple[str, str]]:
    """Which of `entries` the bank already has, as (kind, value)."""
    found: set[tuple[str, str]] = set()
    for start in range(0, len(entries), LOOKUP_BATCH):
        values = {value for _kind, value, _note in entries[start : start + LOOKUP_BATCH]}
        rows = BankedHash.objects.filter(bank_id=bank_id, value__in=values)
        found.update(rows.values_list("kind", "value"))
    return found


def _insert(bank_id: int, actor_id: int | None, entries: list[Entry]) -> int:
    """Add the entries the bank lacks (call inside a transaction); how many were added."""
    present = _present(bank_id, entries)
    new = [entry for entry in entries if (entry[0], entry[1]) not in present]
    if not new:
        return 0
    quote = connection.ops.quote_name
    names = ("id", "bank_id", "kind", "value", "note", "added_by_id", "created_at")
    table, columns = quote(BankedHash._meta.db_table), ", ".join(map(quote, names))
    # Names from the model's metadata; the values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        for start in range(0, len(new), INSERT_BATCH):
            cursor.executemany(
                sql,
                [
                    (next_id(), bank_id, kind, value, note, actor_id, now)
                    for kind, value, note in new[start : start + INSERT_BATCH]
                ],
            )
    return len(new)


def import_hashes(
    actor: User, bank_id: int, data: bytes, *, long_kind: str | None = None
) -> ImportResult:
    """Add a list of hashes to a bank: all of them, or, when any line is bad, none (the error
    names the bad lines). Hashes the bank already has are counted, not added twice. A long
    list is queued (see the module's docstring)."""
    _require(actor)
    parsed = parse_hash_list(_decode(data), long_kind=long_kind)
    _check(parsed)
    unique: dict[tuple[str, str], str] = {}
    for kind, value, note in parsed.entries:
        unique.setdefault((kind, value), note)
    entries = [(kind, value, note) for (kind, value), note in unique.items()]
    with transaction.atomic():
        bank = _bank(bank_id, lock=True)
        if len(entries) > SYNC_MAX:
            return ImportResult(0, 0, queued=_queue(actor, bank.pk, entries))
        added = _insert(bank.pk, actor.pk, entries)
        _touch(bank.pk)
        audit.record(
            actor,
            "hashbank.import",
            target=_target(bank),
            after={"added": added, "already": len(entries) - added},
        )
    return ImportResult(added=added, already=len(parsed.entries) - added)


def _queue(actor: User, bank_id: int, entries: list[Entry]) -> HashImport:
    parts = [entries[start : start + CHUNK] for start in range(0, len(entries), CHUNK)]
    item = HashImport.objects.create(
        bank_id=bank_id, actor=actor, total=len(entries), chunks=len(parts)
    )
    audit.record(
        actor,
        "hashbank.import_queued",
        target=audit.Target("hash_bank", bank_id, item.bank.name),
        after={"hashes": len(entries), "import": item.pk},
    )
    for number, part in enumerate(parts):
        enqueue(import_part, item.pk, number, [list(entry) for entry in part])
    return item


@task(priority=BULK)
@retried()
def import_part(import_id: int, number: int, entries: list[list[str]]) -> None:
    """Add part `number` of a queued import (once, whatever the number of runs)."""
    with transaction.atomic():
        item = HashImport.objects.select_for_update().filter(pk=import_id).first()
        if item is None or number in item.done_chunks:
            return  # the bank was deleted, or this part was added already
        part: list[Entry] = [(kind, value, note) for kind, value, note in entries]
        added = _insert(item.bank_id, item.actor_id, part)
        item.added += added
        item.already += len(part) - added
        item.done_chunks = [*item.done_chunks, number]
        fields = ["added", "already", "done_chunks"]
        if len(item.done_chunks) >= item.chunks:
            item.finished_at = timezone.now()
            fields.append("finished_at")
            audit.record(
                item.actor,
                "hashbank.import",
                target=audit.Target("hash_bank", item.bank_id, item.bank.name),
                after={"added": item.added, "already": item.already, "import": item.pk},
            )
        item.save(update_fields=fields)
        _touch(item.bank_id)


def recent_imports(limit: int = 10) -> list[HashImport]:
    """The latest queued imports (running or finished), for the staff page."""
    return list(HashImport.objects.select_related("bank").order_by("-id")[:limit])
