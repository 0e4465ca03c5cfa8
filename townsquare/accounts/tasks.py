from __future__ import annotations

import smtplib

from django.core.mail import send_mail
from django_tasks import task

from townsquare.core.jobs import BULK, INTERACTIVE, enqueue, retried


@task(priority=INTERACTIVE)
@retried(smtplib.SMTPException, OSError)
def send_email(subject: str, body: str, to: str) -> None:
    send_mail(subject, body, None, [to])


@task(priority=BULK)
@retried()
def build_data_export(export_id: int) -> bool:
    """Build a member's archive ("Download my data"); True when it is ready."""
    from townsquare.accounts.export import build_export

    return build_export(export_id)


@task(priority=BULK)
@retried()
def apply_data_import(import_id: int) -> None:
    """Apply the next rows of an uploaded list; carries on in a new job (at once, or once the
    member's hourly limits allow) until every row is done."""
    from townsquare.accounts.imports import apply_import

    later = apply_import(import_id)
    if later is not None:
        enqueue(apply_data_import.using(run_after=later), import_id)


@task(priority=BULK)
@retried()
def delete_account_data(member_id: int) -> str:
    """Delete a member's content once their grace period is over (a no-op before it, after a
    cancellation, and once done); carries on in a new job when a run's time is up."""
    from townsquare.accounts.deletion import MORE, run_deletion

    outcome = run_deletion(member_id)
    if outcome == MORE:
        enqueue(delete_account_data, member_id)
    return outcome


def overdue_deletions() -> int:
    """The janitor's chore: queue the deletions whose scheduled job never ran."""
    from townsquare.accounts.deletion import due_deletions

    members = due_deletions()
    for member_id in members:
        enqueue(delete_account_data, member_id)
    return len(members)


@task()
@retried()
def delete_archives(paths: list[str]) -> None:
    """Delete data archives from the private storage (expired, replaced, or their member's
    account deleted)."""
    from townsquare.accounts.export import delete_archive_files

    delete_archive_files(paths)
