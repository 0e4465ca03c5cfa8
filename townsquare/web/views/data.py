"""A member's data: downloading an archive of it, importing lists, deleting the account (and
cancelling that while it can be cancelled)."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from townsquare.accounts import actions as account_actions
from townsquare.accounts import deletion, export, imports
from townsquare.accounts.models import AccountDeletion, ExportStatus, User
from townsquare.core.ratelimit import RateLimited
from townsquare.web.data_forms import DeleteAccountForm, ImportForm
from townsquare.web.views.common import apply_errors

RESTORE_KEY = "restore_account"
RESTORE_SECONDS = 15 * 60  # how long after logging in the offer to cancel stands


def _page(request: HttpRequest, member: User, form: ImportForm, status: int = 200) -> HttpResponse:
    latest = export.latest_export(member)
    context = {
        "export": latest,
        "preparing": latest is not None and latest.status == ExportStatus.PENDING,
        "ready": latest is not None
        and latest.status == ExportStatus.READY
        and latest.expires_at is not None
        and latest.expires_at > timezone.now(),
        "archive_days": export.ARCHIVE_DAYS,
        "form": form,
        "imports": imports.recent_imports(member),
    }
    return render(request, "web/settings/data.html", context, status=status)


@login_required
@require_GET
def your_data(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    return _page(request, request.user, ImportForm())


@login_required
@require_POST
def request_export(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    try:
        export.request_export(request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    except RateLimited as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("Your archive is being prepared. We will email you when it is ready.")
        )
    return redirect("data_settings")


@login_required
@require_GET
def download_export(request: HttpRequest, export_id: int) -> FileResponse:
    """The member's own archive, as an attachment; anyone else's (or an expired one) is 404."""
    assert isinstance(request.user, User)
    row = export.downloadable(request.user, export_id)
    if row is None:
        raise Http404(_("No such archive."))
    try:
        handle = export.archive_storage().open(row.path, "rb")
    except OSError:
        raise Http404(_("No such archive.")) from None
    day = timezone.localdate(row.finished_at or row.created_at).isoformat()
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{request.user.username}-{day}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def import_list(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            imports.start_import(
                request.user,
                form.cleaned_data["kind"],
                form.cleaned_data["mode"],
                form.cleaned_data["rows"],
                file_name=form.cleaned_data["file"].name or "",
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Your list is being imported. The result shows below when it is done.")
            )
            return redirect("data_settings")
    return _page(request, request.user, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    member = request.user
    form = DeleteAccountForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = deletion.request_deletion(request, member, form.cleaned_data["password"])
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                return render(
                    request, "web/settings/deletion_scheduled.html", {"due_at": row.due_at}
                )
    context = {
        "form": form,
        "problems": deletion.blockers(member),
        "grace_days": deletion.GRACE_PERIOD.days,
    }
    return render(request, "web/settings/delete_account.html", context, status=status)


# --- logging in during the grace period -----------------------------------------------------


def offer_restore(request: HttpRequest, member: User) -> HttpResponse:
    """After the right password for an account waiting to be deleted (the login page): this
    browser may cancel the deletion for a few minutes."""
    request.session[RESTORE_KEY] = {"id": member.pk, "at": time.time()}
    return redirect("restore_account")


def _restorable(request: HttpRequest) -> tuple[User, AccountDeletion] | None:
    marker = request.session.get(RESTORE_KEY)
    if not isinstance(marker, dict):
        return None
    try:
        member_id, at = int(marker["id"]), float(marker["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if time.time() - at > RESTORE_SECONDS:
        return None
    member = User.objects.filter(pk=member_id).first()
    row = deletion.pending_deletion(member) if member is not None else None
    if member is None or row is None:
        return None
    return member, row


@require_http_methods(["GET", "POST"])
def restore_account(request: HttpRequest) -> HttpResponse:
    found = _restorable(request)
    if found is None:
        request.session.pop(RESTORE_KEY, None)
        messages.info(request, _("Log in to your account first."))
        return redirect("login")
    member, row = found
    if request.method == "POST":
        request.session.pop(RESTORE_KEY, None)
        if request.POST.get("choice") != "keep":
            return redirect("login")
        if not deletion.cancel_deletion(member):
            messages.error(request, _("It is too late to cancel: the account is being deleted."))
            return redirect("login")
        account_actions.log_in(request, member)
        messages.success(request, _("Welcome back: your account will not be deleted."))
        return redirect("home")
    return render(request, "web/accounts/restore.html", {"member": member, "due_at": row.due_at})
