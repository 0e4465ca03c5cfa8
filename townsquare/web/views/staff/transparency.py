"""Staff: the transparency report (`/admin/transparency`, permission `view_audit_log`) for a
date range, and its CSV download (`/admin/transparency.csv`)."""

from __future__ import annotations

import csv
import io
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from townsquare.moderation import transparency
from townsquare.web.views.common import permission_required

PERMISSION = "view_audit_log"
MAX_DAYS = 3660


class RangeForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False)
    end = forms.DateField(label=gettext_lazy("To"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        today = timezone.localdate()
        start = data.get("start") or date(today.year, 1, 1)
        end = data.get("end") or today
        assert isinstance(start, date) and isinstance(end, date)
        if start > end:
            raise ValidationError(_("The start of the period is after its end."))
        if (end - start).days > MAX_DAYS:
            raise ValidationError(_("The period is too long."))
        data["start"], data["end"] = start, end
        return data


def _report(request: HttpRequest) -> tuple[RangeForm, transparency.TransparencyReport | None]:
    form = RangeForm(request.GET)
    if not form.is_valid():
        return form, None
    return form, transparency.build(form.cleaned_data["start"], form.cleaned_data["end"])


@permission_required(PERMISSION)
@require_GET
def report(request: HttpRequest) -> HttpResponse:
    form, found = _report(request)
    context = {"form": form, "report": found, "query": request.GET.urlencode()}
    return render(request, "web/staff/transparency.html", context, status=200 if found else 400)


@permission_required(PERMISSION)
@require_GET
def report_csv(request: HttpRequest) -> HttpResponse:
    form, found = _report(request)
    if found is None:
        return HttpResponse(
            "; ".join(str(e) for e in form.errors.get("__all__", [])) or _("Invalid dates."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "item", "value"))
    writer.writerows(transparency.rows(found))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"transparency-{found.start.isoformat()}-{found.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
