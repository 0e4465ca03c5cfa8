"""'Download my data': a member asks for an archive of everything they have here; a job builds
it as a zip in the private storage (never under /media/, at a random path) and emails them
when it is ready; only they can download it (web/views/data.py), for ARCHIVE_DAYS days.
What the archive holds is written by archive.py. One archive is prepared at a time per
member; a new one replaces the old; expired ones are removed by the job and the janitor.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import InterfaceError, OperationalError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.archive import write_archive
from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import DataExport, ExportStatus, User
from townsquare.accounts.tasks import send_email
from townsquare.core.jobs import enqueue
from townsquare.core.ratelimit import Limit
from townsquare.site import state as site_state

logger = logging.getLogger(__name__)

ARCHIVE_DAYS = 7
# An archive still "being prepared" after this long was lost with its worker: the member may
# ask again.
STALE_AFTER = timedelta(hours=6)
EXPORTS_PER_ACCOUNT = Limit("data-export", 3, 24 * 60 * 60)


def archive_storage() -> Storage:
    """Where archives are kept: files nobody reaches but through the owner's download view."""
    return storages["private"]


# --- asking for an archive -------------------------------------------------------------------


def latest_export(member: User) -> DataExport | None:
    _settle_stale(member)
    return DataExport.objects.filter(member=member).order_by("-id").first()


def request_export(member: User) -> DataExport:
    """Queue the building of a new archive. One at a time: ValidationError while another is
    being prepared; RateLimited after EXPORTS_PER_ACCOUNT a day."""
    remove_expired()
    _settle_stale(member)
    if DataExport.objects.filter(member=member, status=ExportStatus.PENDING).exists():
        raise ValidationError(_("Your archive is already being prepared."))
    EXPORTS_PER_ACCOUNT.hit(str(member.pk))
    from townsquare.accounts import tasks

    with transaction.atomic():
        # The member's row is the lock: two requests at once make one archive.
        User.objects.select_for_update().filter(pk=member.pk).exists()
        if DataExport.objects.filter(member=member, status=ExportStatus.PENDING).exists():
            raise ValidationError(_("Your archive is already being prepared."))
        export = DataExport.objects.create(member=member)
        enqueue(tasks.build_data_export, export.pk)
    return export


def _settle_stale(member: User) -> None:
    cutoff = timezone.now() - STALE_AFTER
    DataExport.objects.filter(
        member=member, status=ExportStatus.PENDING, created_at__lt=cutoff
    ).update(status=ExportStatus.FAILED, finished_at=timezone.now())


def downloadable(member: User, export_id: int) -> DataExport | None:
    """The member's own archive, if it is ready and has not expired (None otherwise: the
    caller answers 404, the same as for someone else's)."""
    return DataExport.objects.filter(
        pk=export_id,
        member_id=member.pk,
        status=ExportStatus.READY,
        expires_at__gt=timezone.now(),
    ).first()


def remove_expired(now: datetime | None = None) -> int:
    """Delete the files of archives past their date (every member's); return how many."""
    now = now or timezone.now()
    removed = 0
    while True:
        with transaction.atomic():
            rows = list(
                DataExport.objects.select_for_update()
                .filter(status=ExportStatus.READY, expires_at__lte=now)
                .order_by("expires_at")[:100]
            )
            if not rows:
                return removed
            _expire(rows)
        removed += len(rows)


def _expire(rows: list[DataExport]) -> None:
    """Inside a transaction: the rows become expired, their files go once it commits."""
    DataExport.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=ExportStatus.EXPIRED, path="", size=0
    )
    paths = [row.path for row in rows if row.path]
    if paths:
        from townsquare.accounts import tasks

        enqueue(tasks.delete_archives, paths)


def delete_archive_files(paths: Iterable[str]) -> None:
    store = archive_storage()
    for path in paths:
        try:
            store.delete(path)
        except OSError:
            logger.exception("could not delete archive %s", path)


# --- building it (the job) ------------------------------------------------------------------


def build_export(export_id: int) -> bool:
    """Build the archive of a pending export; True when it is ready. Safe to run twice: a
    second run finds it no longer pending. Errors other than a passing database one mark it
    failed (the member may ask again)."""
    export = DataExport.objects.select_related("member").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.PENDING:
        return False
    member = export.member
    store = archive_storage()
    saved = ""
    try:
        path = f"exports/{member.pk}/{secrets.token_urlsafe(32)}.zip"
        with tempfile.TemporaryFile() as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                write_archive(archive, member)
            size = handle.tell()
            handle.seek(0)
            saved = store.save(path, File(handle))
        now = timezone.now()
        with transaction.atomic():
            done = DataExport.objects.filter(pk=export.pk, status=ExportStatus.PENDING).update(
                status=ExportStatus.READY,
                path=saved,
                size=size,
                finished_at=now,
                expires_at=now + timedelta(days=ARCHIVE_DAYS),
            )
            if not done:
                delete_archive_files([saved])
                return False
            # A new archive replaces the member's older ones.
            _expire(
                list(
                    DataExport.objects.filter(member=member, status=ExportStatus.READY).exclude(
                        pk=export.pk
                    )
                )
            )
            _tell_ready(member)
    except (OperationalError, InterfaceError):
        if saved:
            delete_archive_files([saved])
        raise  # the job is tried again later
    except Exception:
        logger.exception("could not build data export %s", export_id)
        if saved:
            delete_archive_files([saved])
        DataExport.objects.filter(pk=export.pk, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED, finished_at=timezone.now()
        )
        return False
    remove_expired()
    return True


def _tell_ready(member: User) -> None:
    link = settings.BASE_URL + reverse("data_settings")
    site_name = site_state.site_name()
    with speaking_to(member):  # the email in the member's language
        body = render_to_string(
            "accounts/email/export_ready.txt",
            {"user": member, "site_name": site_name, "link": link, "days": ARCHIVE_DAYS},
        )
        subject = _("Your %(site)s archive is ready") % {"site": site_name}
    enqueue(send_email, subject, body, member.email)
