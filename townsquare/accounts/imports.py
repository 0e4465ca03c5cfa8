"""Importing lists in the CSV formats Mastodon writes (see accounts/export.py): people to
follow, to block, to mute, and posts to bookmark, merged with what the member has or
replacing it.

The file is parsed strictly when it is uploaded (a file that is not UTF-8 CSV, too big, or
whose header does not fit the kind of list chosen is refused with a message, and nothing is
queued). Its rows are then applied one by one in a job through the graph and posts actions,
so the same rules hold as when the member clicks (blocks, who may be followed, who may see
which post). Rows naming accounts or posts that do not exist here, or live on another site,
are skipped and listed with their reason. When the member's hourly limits (following,
blocking, ...) are reached the job pauses and carries on once they allow more.
"""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.archive import FOLLOWING_HEADER, MUTED_HEADER, site_host
from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import DataImport, ImportKind, ImportMode, ImportStatus, User
from townsquare.core.jobs import enqueue
from townsquare.core.ratelimit import Limit, RateLimited
from townsquare.graph import actions as graph_actions
from townsquare.graph.models import Block, Follow
from townsquare.graph.queries import active_mutes
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Bookmark, Post
from townsquare.posts.queries import can_see
from townsquare.site.limits import size_text

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
MAX_SKIPPED_SHOWN = 200
IMPORTS_PER_ACCOUNT = Limit("data-import", 20, 60 * 60)
ROWS_PER_RUN = 200  # then the job hands over to a new one (other jobs get their turn)
SECONDS_PER_RUN = 20.0

ADDRESS = "Account address"
COLUMNS = {
    ImportKind.FOLLOWING: FOLLOWING_HEADER,
    ImportKind.BLOCKS: [ADDRESS],
    ImportKind.MUTES: MUTED_HEADER,
    ImportKind.BOOKMARKS: ["#uri"],
}
# The first header of every list Mastodon writes with one (a file starting with one of them
# has a header row, and it must fit the kind of list chosen).
KNOWN_FIRST_HEADERS = {ADDRESS, "#uri", "#domain", "List name"}
_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}
_ADDRESS_RE = re.compile(r"^@?([A-Za-z0-9_]{1,30})(?:@([A-Za-z0-9.\-]{1,253}))?$")
_POST_PATHS = (
    re.compile(r"^/@([A-Za-z0-9_]{1,30})/([0-9]{1,19})/?$"),
    re.compile(r"^/users/([A-Za-z0-9_]{1,30})/statuses/([0-9]{1,19})/?$"),  # Mastodon's URIs
)


# --- reading the file ---------------------------------------------------------------------


def _read_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The non-blank rows of a UTF-8 CSV file, with their line numbers."""
    if len(data) > MAX_BYTES:
        raise ValidationError(
            _("The file is too large: a list may be at most %(size)s.")
            % {"size": size_text(MAX_BYTES)}
        )
    try:
        text = data.decode("utf-8-sig")  # a byte order mark, as spreadsheets write, is fine
    except UnicodeDecodeError:
        raise ValidationError(
            _("This is not a CSV file in UTF-8 text. Upload the list as you exported it.")
        ) from None
    if "\x00" in text:
        raise ValidationError(_("This is not a CSV file. Upload the list as you exported it."))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            cells = [cell.strip() for cell in row]
            if any(cells):
                rows.append((reader.line_num, cells))
            if len(rows) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise ValidationError(
            _("This is not a valid CSV file (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": exc}
        ) from None
    if not rows:
        raise ValidationError(_("The file is empty."))
    return rows


def _columns(kind: str, first: list[str]) -> list[str] | None:
    """The columns named by the file's header row, or None when it has no header. Refuses a
    header that does not fit the kind of list."""
    wanted = COLUMNS[ImportKind(kind)]
    if first[0] not in KNOWN_FIRST_HEADERS:
        if kind == ImportKind.BOOKMARKS:
            if not first[0].lower().startswith(("http://", "https://")):
                raise ValidationError(
                    _("The first line should be a post's address (or the header #uri).")
                )
        elif not _ADDRESS_RE.match(first[0]):
            raise ValidationError(
                _("The first line should be the header %(header)s or an account address.")
                % {"header": ",".join(wanted)}
            )
        return None
    unknown = [name for name in first if name and name not in wanted]
    if first[0] != wanted[0] or unknown or len(set(first)) != len(first):
        raise ValidationError(
            _(
                "The file's header (%(found)s) does not fit the kind of list chosen, "
                "“%(kind)s”: it should be %(header)s. Did you choose the right kind of list?"
            )
            % {"found": ",".join(first), "kind": ImportKind(kind).label, "header": ",".join(wanted)}
        )
    return first


def _flag(value: str, default: bool, line: int) -> bool:
    lowered = value.lower()
    if not lowered:
        return default
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationError(
        _("Line %(line)d: “%(value)s” should be true or false.") % {"line": line, "value": value}
    )


def parse_list(kind: str, data: bytes) -> list[dict[str, Any]]:
    """The rows of an uploaded list, as the import job applies them: {"line", "value"} and,
    by kind, "show_boosts" and "notify" (following) or "hide_notifications" (mutes).
    ValidationError (its message for the form) for a file that cannot be read as that list."""
    if kind not in ImportKind.values:
        raise ValidationError(_("Choose the kind of list."))
    rows = _read_rows(data)
    header = _columns(kind, rows[0][1])
    columns = header or [COLUMNS[ImportKind(kind)][0]]
    body = rows[1:] if header is not None else rows
    if not body:
        raise ValidationError(_("The file has a header but no rows."))
    if len(body) > MAX_ROWS:
        raise ValidationError(
            ngettext(
                "The file has more than %(count)d row: split it into smaller lists.",
                "The file has more than %(count)d rows: split it into smaller lists.",
                MAX_ROWS,
            )
            % {"count": MAX_ROWS}
        )
    parsed: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, cells in body:
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            raise ValidationError(
                _("Line %(line)d has more columns than the header.") % {"line": line}
            )
        values = dict(zip(columns, cells, strict=False))
        value = values.get(columns[0], "")
        if not value:
            raise ValidationError(_("Line %(line)d has no address.") % {"line": line})
        row: dict[str, Any] = {"line": line, "value": value}
        if kind == ImportKind.FOLLOWING:
            row["show_boosts"] = _flag(values.get("Show boosts", ""), True, line)
            row["notify"] = _flag(values.get("Notify on new posts", ""), False, line)
        elif kind == ImportKind.MUTES:
            row["hide_notifications"] = _flag(values.get("Hide notifications", ""), True, line)
        key = value.lower().removeprefix("@")
        if key not in seen:
            seen.add(key)
            parsed.append(row)
    return parsed


# --- starting an import ----------------------------------------------------------------------


def start_import(
    member: User, kind: str, mode: str, rows: list[dict[str, Any]], *, file_name: str = ""
) -> DataImport:
    """Queue the rows of a parsed list (see parse_list). One import at a time per member."""
    if kind not in ImportKind.values or mode not in ImportMode.values:
        raise ValidationError(_("Choose the kind of list and how to import it."))
    if not rows:
        raise ValidationError(_("The file has no rows."))
    if DataImport.objects.filter(member=member, status=ImportStatus.PENDING).exists():
        raise ValidationError(_("Your last import is still in progress: wait for it to finish."))
    IMPORTS_PER_ACCOUNT.hit(str(member.pk))
    from townsquare.accounts import tasks

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=member.pk).exists()
        if DataImport.objects.filter(member=member, status=ImportStatus.PENDING).exists():
            raise ValidationError(
                _("Your last import is still in progress: wait for it to finish.")
            )
        item = DataImport.objects.create(
            member=member,
            kind=kind,
            mode=mode,
            file_name=file_name[:200],
            rows=rows,
            total=len(rows),
        )
        enqueue(tasks.apply_data_import, item.pk)
    return item


def recent_imports(member: User, limit: int = 5) -> list[DataImport]:
    return list(DataImport.objects.filter(member=member).order_by("-id")[:limit])


# --- applying it (the job) ------------------------------------------------------------------


class _Skipped(Exception):
    """A row left out, with the reason the member reads."""


def resolve_account(member: User, value: str) -> User:
    """The active account of this site an address names (`user`, `user@host`, `@user@host`)."""
    match = _ADDRESS_RE.match(value.strip())
    if match is None:
        raise _Skipped(_("not an account address"))
    username, host = match.groups()
    if host and host.lower() != site_host():
        raise _Skipped(_("an account on another site (only this site's accounts for now)"))
    account = User.objects.filter(username__iexact=username, is_active=True).first()
    if account is None:
        raise _Skipped(_("no account of that name here"))
    if account.pk == member.pk:
        raise _Skipped(_("that is you"))
    return account


def resolve_post(member: User, value: str) -> Post:
    """The post of this site an address names, if the member may see it."""
    parts = urlsplit(value.strip())
    base = urlsplit(settings.BASE_URL)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Skipped(_("not a post's address"))
    if parts.hostname.lower() != (base.hostname or "").lower() or port != base.port:
        raise _Skipped(_("a post on another site (only this site's posts for now)"))
    for pattern in _POST_PATHS:
        found = pattern.match(parts.path)
        if found is not None:
            break
    else:
        raise _Skipped(_("not a post's address"))
    username, post_id = found.group(1), int(found.group(2))
    post = (
        Post.objects.select_related("author", "reblog_of__author")
        .filter(pk=post_id, author__username__iexact=username)
        .first()
    )
    if post is None or not can_see(member, post):
        raise _Skipped(_("no such post, or one you cannot see"))
    return post


def _apply_row(kind: str, member: User, row: dict[str, Any]) -> int:
    """Apply one row through the actions; the id an overwrite keeps."""
    if kind == ImportKind.BOOKMARKS:
        post = post_actions.bookmark(member, resolve_post(member, row["value"]))
        return post.pk
    account = resolve_account(member, row["value"])
    if kind == ImportKind.FOLLOWING:
        graph_actions.follow(
            member, account, reblogs=row.get("show_boosts", True), notify_posts=row.get("notify")
        )
    elif kind == ImportKind.BLOCKS:
        graph_actions.block(member, account)
    else:
        graph_actions.mute(member, account, notifications=row.get("hide_notifications", True))
    return account.pk


def _save(item: DataImport, *fields: str) -> None:
    DataImport.objects.filter(pk=item.pk).update(**{name: getattr(item, name) for name in fields})


_PROGRESS = ("position", "imported", "skipped_count", "skipped", "kept_ids", "paused_until")


def _skip(item: DataImport, row: dict[str, Any], reason: str) -> None:
    item.skipped_count += 1
    if len(item.skipped) < MAX_SKIPPED_SHOWN:
        item.skipped.append({"line": row["line"], "value": row["value"], "reason": reason})


def apply_import(import_id: int) -> datetime | None:
    """Apply the next rows of an import; when to carry on (None: finished, or nothing to
    do). Each row is applied and counted in one transaction, so a job run twice picks up
    where the first stopped. The reasons rows are skipped for are kept in the member's
    language (they read them on their data page)."""
    item = (
        DataImport.objects.select_related("member")
        .filter(pk=import_id, status=ImportStatus.PENDING)
        .first()
    )
    if item is None:
        return None
    with speaking_to(item.member):
        return _apply(item)


def _apply(item: DataImport) -> datetime | None:
    member = item.member
    if not member.is_active:
        item.status, item.finished_at = ImportStatus.FAILED, timezone.now()
        _save(item, "status", "finished_at")
        return None
    started = time.monotonic()
    done_here = 0
    item.paused_until = None
    while item.position < item.total:
        if done_here >= ROWS_PER_RUN or time.monotonic() - started > SECONDS_PER_RUN:
            _save(item, *_PROGRESS)
            return timezone.now()
        row = item.rows[item.position]
        try:
            with transaction.atomic():
                kept = _apply_row(item.kind, member, row)
                item.imported += 1
                item.kept_ids.append(kept)
                item.position += 1
                _save(item, *_PROGRESS)
        except RateLimited as exc:
            return _pause(item, exc)
        except (_Skipped, ValidationError) as exc:
            reason = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
            _skip(item, row, reason)
            item.position += 1
            _save(item, *_PROGRESS)
        done_here += 1
    if item.mode == ImportMode.OVERWRITE:
        try:
            _remove_the_rest(item, member)
        except RateLimited as exc:
            return _pause(item, exc)
    item.status, item.finished_at, item.paused_until = ImportStatus.DONE, timezone.now(), None
    _save(item, "status", "finished_at", "paused_until")
    return None


def _pause(item: DataImport, exc: RateLimited) -> datetime:
    item.paused_until = timezone.now() + timedelta(seconds=max(exc.retry_after, 1))
    _save(item, *_PROGRESS)
    return item.paused_until


def _remove_the_rest(item: DataImport, member: User) -> None:
    """Overwrite: what the member has of this kind and the list does not name goes, through
    the same actions as the member's own clicks."""
    kept = set(item.kept_ids)
    if item.kind == ImportKind.FOLLOWING:
        rows = Follow.objects.filter(follower=member).select_related("followee")
        for follow in [row for row in rows if row.followee_id not in kept]:
            graph_actions.unfollow(member, follow.followee)
            _count_removed(item)
    elif item.kind == ImportKind.BLOCKS:
        rows_b = Block.objects.filter(blocker=member).select_related("blocked")
        for block in [row for row in rows_b if row.blocked_id not in kept]:
            graph_actions.unblock(member, block.blocked)
            _count_removed(item)
    elif item.kind == ImportKind.MUTES:
        rows_m = active_mutes(member.pk).select_related("muted")
        for mute in [row for row in rows_m if row.muted_id not in kept]:
            graph_actions.unmute(member, mute.muted)
            _count_removed(item)
    else:
        rows_k = Bookmark.objects.filter(user=member).select_related("post")
        for bookmark in [row for row in rows_k if row.post_id not in kept]:
            post_actions.unbookmark(member, bookmark.post)
            _count_removed(item)


def _count_removed(item: DataImport) -> None:
    item.removed += 1
    _save(item, "removed")
