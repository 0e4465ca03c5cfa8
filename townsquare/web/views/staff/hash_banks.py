"""Staff: hash banks (list with counts, create, switch on and off, import a list, delete) and
the uploads they caught, waiting for a moderator (confirm or release). Permission
`moderate_content`; the work is done by `moderation.hash_banks`."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.accounts.models import User
from townsquare.core import words
from townsquare.moderation import hash_banks, hash_imports
from townsquare.moderation.models import HashKind, HashMatch, MatchStatus
from townsquare.web.views.common import apply_errors, permission_required

PERMISSION = hash_banks.PERMISSION
MATCHES_SHOWN = 50


class BankForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("What its hashes are, for moderators: “spam flyers (imported)”."),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("List of hashes"),
        help_text=gettext_lazy(
            "A text or CSV file: one hash per line, or hash,label. 32 hex digits are MD5."
        ),
    )
    long_kind = forms.ChoiceField(
        label=gettext_lazy("64-digit hashes are"),
        required=False,
        choices=[
            ("", gettext_lazy("(the list has none)")),
            (HashKind.PDQ, "PDQ"),
            (HashKind.SHA256, "SHA-256"),
        ],
    )


def _member(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # permission_required let only members in
    return request.user


def _page(
    request: HttpRequest,
    form: BankForm | None = None,
    *,
    failed_import: tuple[int, ImportForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    banks = hash_banks.banks_with_counts()
    imports = hash_imports.recent_imports()
    for row in banks:
        bank = row["bank"]
        row["imports"] = [item for item in imports if item.bank_id == bank.pk][:3]  # type: ignore[attr-defined]
        if failed_import and failed_import[0] == bank.pk:  # type: ignore[attr-defined]
            row["import_form"] = failed_import[1]
        else:
            row["import_form"] = ImportForm(prefix=f"b{bank.pk}")  # type: ignore[attr-defined]
    matches = list(
        HashMatch.objects.filter(status=MatchStatus.OPEN)
        .select_related("owner")
        .order_by("-id")[:MATCHES_SHOWN]
    )
    context = {"form": form or BankForm(), "banks": banks, "matches": matches}
    return render(request, "web/staff/hash_banks.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def index(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = BankForm(request.POST)
    if form.is_valid():
        try:
            bank = hash_banks.create_bank(
                _member(request), name=form.cleaned_data["name"], label=form.cleaned_data["label"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The bank “%(name)s” is ready.") % {"name": bank.name})
            return redirect("staff_hash_banks")
    return _page(request, form, status=400)


@require_POST
@permission_required(PERMISSION)
def import_list(request: HttpRequest, bank_id: int) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES, prefix=f"b{bank_id}")
    if not form.is_valid():
        form = ImportForm(request.POST, request.FILES)  # a form posted without the prefix
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = hash_imports.import_hashes(
                _member(request),
                bank_id,
                upload.read(hash_imports.MAX_IMPORT_BYTES + 1),
                long_kind=form.cleaned_data["long_kind"] or None,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if result.queued is not None:
                messages.success(
                    request,
                    _(
                        "The list of %(count)s hashes is being added in the background: its "
                        "progress shows under the bank."
                    )
                    % {"count": words.number(result.queued.total)},
                )
            else:
                messages.success(
                    request,
                    _("Added %(added)s hashes (%(already)s were already in the bank).")
                    % {
                        "added": words.number(result.added),
                        "already": words.number(result.already),
                    },
                )
            return redirect("staff_hash_banks")
    return _page(request, failed_import=(bank_id, form), status=400)


def _done(request: HttpRequest, call: object) -> HttpResponse:
    try:
        call()  # type: ignore[operator]
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("staff_hash_banks")


@require_POST
@permission_required(PERMISSION)
def switch(request: HttpRequest, bank_id: int) -> HttpResponse:
    enabled = bool(request.POST.get("enabled"))
    return _done(request, lambda: hash_banks.set_enabled(_member(request), bank_id, enabled))


@require_POST
@permission_required(PERMISSION)
def delete(request: HttpRequest, bank_id: int) -> HttpResponse:
    return _done(request, lambda: hash_banks.delete_bank(_member(request), bank_id))


@require_POST
@permission_required(PERMISSION)
def review(request: HttpRequest, match_id: int) -> HttpResponse:
    decision = request.POST.get("decision", "")
    return _done(request, lambda: hash_banks.review_match(_member(request), match_id, decision))
