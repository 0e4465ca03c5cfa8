"""Zero-downtime upgrades: every migration of Townsquare's apps is safe to run while the
previous version still serves (docs/deploy.md, "Upgrading without downtime").

For each migration, in the order `migrate` applies them, on a database of the test's own
(tests/online_migrations.py): the models of the state before it stand for the old code; the
migration is applied; then the old code's queries run against the migrated tables, for every
model: a SELECT of all its columns, an INSERT of a generated row, an UPDATE of that row, a
SELECT of it back and a DELETE (rolled back afterwards). A column dropped or renamed while the
old code reads it, a NOT NULL column added without a database default (the old code's INSERT
does not name it), a table renamed: each fails here, naming the migration and the query.

The rule for new migrations: expand, backfill, contract. Add columns nullable or with
`db_default` (Django's `default` alone is dropped from the database after the backfill), fill
them in a job, switch the code over, and remove or tighten in a later release.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.online_migrations import Failure, WalkResult, dedicated_database, walk

# Migrations of the past that are not safe to run under the old code: facts of the history,
# listed so that the test guards every new migration. Each entry names the old code's queries
# that break and why; an entry whose queries no longer fail is an error too (keep this short).
# All of these are the same mistake: AddField of a NOT NULL field with a Django `default` but
# no `db_default`. Django fills existing rows with the default and then drops it from the
# column, so until the new code serves, the old code's INSERT (which does not name the new
# column) fails with "NOT NULL constraint failed". The fix, for new migrations: `db_default=`
# (or null=True, backfilled by a job).
UNSAFE_IN_HISTORY: dict[str, set[tuple[str, str]]] = {
    # User.discoverable (boolean, default True): sign-ups fail during the upgrade.
    "accounts.0002_user_discoverable": {("insert", "accounts.User")},
    # User.default_language (char ""), default_sensitive, default_visibility.
    "accounts.0003_posting_defaults": {("insert", "accounts.User")},
    # User.has_filters (boolean, default False).
    "accounts.0004_user_has_filters": {("insert", "accounts.User")},
    # User.message_policy (small integer, default 0).
    "accounts.0005_who_may_message_a_member": {("insert", "accounts.User")},
    # User.connections_visibility, show_posts_to_visitors.
    "accounts.0006_privacy_of_connections_and_posts": {("insert", "accounts.User")},
    # User.is_page, page_category (char "").
    "accounts.0007_pages": {("insert", "accounts.User")},
    # User.friends_visibility (small integer, default 0).
    "accounts.0008_friends_list_visibility": {("insert", "accounts.User")},
    # User.language (char "").
    "accounts.0009_staff_roles_invites_applications": {("insert", "accounts.User")},
    # Post.likes_count, replies_count, shares_count, sensitive, spoiler_text: posting fails.
    "posts.0002_replies_shares_likes_bookmarks_pins_edits": {("insert", "posts.Post")},
    # PostEdit.media_ids (JSON, default []): editing a post fails.
    "posts.0003_application_scheduled_posts_edit_media": {("insert", "posts.PostEdit")},
    # Post.held (boolean, default False): posting fails.
    "posts.0005_held_group_posts": {("insert", "posts.Post")},
    # Group.approve_posts, cover (char ""): creating a group fails.
    "communities.0002_group_moderation": {("insert", "communities.Group")},
    # Follow and FollowRequest .notify, .show_reblogs: following fails.
    "graph.0003_follow_reblogs_and_notify": {
        ("insert", "graph.Follow"),
        ("insert", "graph.FollowRequest"),
    },
    # Report.kind (char, default "account"): reporting fails.
    "moderation.0003_report_cases": {("insert", "moderation.Report")},
    # Report.source (char, default "member").
    "moderation.0006_content_rules": {("insert", "moderation.Report")},
    # Case.source (char, default "report"): opening a case fails.
    "moderation.0007_notices_and_sources": {("insert", "moderation.Case")},
    # Poll.hide_totals (boolean, default False): posting a poll fails.
    "polls.0002_poll_hide_totals": {("insert", "polls.Poll")},
    # SiteSettings.email_from, smtp_* (char ""). SiteSettings is one row (pk=1), inserted by
    # the first settings change: only a site whose settings were never saved is affected.
    "site.0003_announcements_custom_emoji_smtp": {("insert", "site.SiteSettings")},
    # SiteSettings.default_language (char, default "en"); same single row.
    "site.0005_site_default_language": {("insert", "site.SiteSettings")},
    # SiteSettings.require_staff_2fa (boolean); same single row.
    "site.0006_require_staff_two_factor": {("insert", "site.SiteSettings")},
    # SiteSettings.approval_when_staff_idle_days, signup_burst_per_hour, signup_proof_of_work.
    "site.0007_signup_protection_and_ip_blocks": {("insert", "site.SiteSettings")},
    # SiteSettings.evidence_hold_days (small integer, default 180); same single row.
    "site.0008_evidence_hold_days": {("insert", "site.SiteSettings")},
}

# Nullable fields that generated rows set anyway, for check constraints the factory cannot
# guess: an appeal is about a statement or a case, exactly one (appeal_statement_or_case).
FILL_NULLABLE: dict[str, tuple[str, ...]] = {"moderation.Appeal": ("statement",)}


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory, django_db_blocker: Any) -> WalkResult:
    started = time.monotonic()
    with django_db_blocker.unblock(), dedicated_database(tmp_path_factory.mktemp("db")) as db:
        result = walk(db, fill=FILL_NULLABLE)
    print(f"{len(result.checked)} migrations checked in {time.monotonic() - started:.1f} s")
    return result


def _unexpected(result: WalkResult) -> list[Failure]:
    return [
        failure
        for failure in result.failures
        if failure.key not in UNSAFE_IN_HISTORY.get(failure.migration, set())
    ]


def test_every_migration_is_safe_while_the_previous_version_serves(walked: WalkResult) -> None:
    unexpected = _unexpected(walked)
    assert not unexpected, (
        "These migrations break queries of the code that serves while they run (see "
        "docs/deploy.md, 'Upgrading without downtime': add nullable or db_default columns, backfill in a job, "
        "switch the code, remove in a later release):\n"
        + "\n".join(f"  {failure}" for failure in unexpected)
    )


def test_every_model_was_exercised(walked: WalkResult) -> None:
    """The factory made a row of every model (a model it cannot fill would go unchecked)."""
    assert not walked.skipped, "\n".join(walked.skipped)


def test_the_allow_list_holds_only_what_still_fails(walked: WalkResult) -> None:
    assert walked.checked, "no migration was checked"
    failing = {(failure.migration, failure.key) for failure in walked.failures}
    stale = [
        f"{migration}: {operation} of {model}"
        for migration, keys in UNSAFE_IN_HISTORY.items()
        for operation, model in sorted(keys)
        if (migration, (operation, model)) not in failing
    ]
    unknown = sorted(set(UNSAFE_IN_HISTORY) - set(walked.checked))
    assert not unknown, f"UNSAFE_IN_HISTORY names migrations that do not exist: {unknown}"
    assert not stale, "UNSAFE_IN_HISTORY lists queries that no longer fail:\n" + "\n".join(stale)


def test_the_check_catches_an_unsafe_migration(tmp_path: Path, django_db_blocker: Any) -> None:
    """The check itself: a NOT NULL column without a database default, a dropped column and a
    renamed table each fail, naming the migration and the query; a nullable column or one with
    `db_default` passes."""
    from tests.online_migrations import check_operations

    with django_db_blocker.unblock(), dedicated_database(tmp_path) as db:
        failures = check_operations(db)
    found = {(failure.migration, failure.operation) for failure in failures}
    assert ("add_not_null", "insert") in found
    assert ("drop_column", "select") in found
    assert ("rename_table", "select") in found
    assert not {name for name, _ in found} & {"add_nullable", "add_db_default"}, failures
