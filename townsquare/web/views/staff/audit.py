"""Staff: the audit log (permission `view_audit_log`), newest first, searchable by actor,
action, target and dates, and exported with the same filters as CSV or JSON (streamed). The
log is read-only here: nothing on these pages changes it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from townsquare.core.pagination import parse_cursor
from townsquare.moderation import audit, audit_queries
from townsquare.moderation.models import AuditEntry
from townsquare.web.views.common import permission_required

ACTION_LABELS = {
    "member.role": gettext_lazy("Changed a member's role"),
    "member.verify": gettext_lazy("Changed the verified badge"),
    "member.password_reset": gettext_lazy("Sent a password reset link"),
    "member.require_confirmation": gettext_lazy("Asked to confirm the email again"),
    "member.disable": gettext_lazy("Disabled logging in"),
    "member.enable": gettext_lazy("Enabled logging in"),
    "member.delete": gettext_lazy("Deleted an account"),
    "role.create": gettext_lazy("Created a role"),
    "role.update": gettext_lazy("Changed a role"),
    "role.delete": gettext_lazy("Deleted a role"),
    "application.accept": gettext_lazy("Accepted an application"),
    "application.decline": gettext_lazy("Declined an application"),
    "invite.revoke": gettext_lazy("Withdrew an invite"),
    "site.settings": gettext_lazy("Changed the site's settings"),
    "appearance.update": gettext_lazy("Changed the site's appearance"),
    "rules.update": gettext_lazy("Changed the rules"),
    "feature.switch": gettext_lazy("Switched a feature"),
    "email.settings": gettext_lazy("Changed the email settings"),
    "email.test": gettext_lazy("Sent a test email"),
    "setup.start": gettext_lazy("Made a setup link"),
    "setup.finish": gettext_lazy("Finished setting up the site"),
    "announcement.create": gettext_lazy("Wrote an announcement"),
    "announcement.update": gettext_lazy("Changed an announcement"),
    "announcement.publish": gettext_lazy("Published an announcement"),
    "announcement.unpublish": gettext_lazy("Took down an announcement"),
    "announcement.delete": gettext_lazy("Deleted an announcement"),
    "emoji.create": gettext_lazy("Added a custom emoji"),
    "emoji.update": gettext_lazy("Changed a custom emoji"),
    "emoji.delete": gettext_lazy("Deleted a custom emoji"),
}


class AuditFilterForm(forms.Form):
    """The log's search (a GET form: every field optional)."""

    actor = forms.CharField(
        label=gettext_lazy("Who"),
        required=False,
        max_length=150,
        help_text=gettext_lazy("Part of a staff member's username."),
    )
    action = forms.CharField(
        label=gettext_lazy("Action"),
        required=False,
        max_length=64,
        help_text=gettext_lazy("An action such as member.role, or a kind such as member."),
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    target = forms.CharField(
        label=gettext_lazy("About"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Part of the name of what was changed, or its id."),
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date must not come before the start date."))
        return data

    def filters(self) -> audit_queries.AuditFilters:
        data = self.cleaned_data
        return audit_queries.AuditFilters(
            actor=data.get("actor") or "",
            action=data.get("action") or "",
            target=data.get("target") or "",
            since=data.get("since"),
            until=data.get("until"),
        )


def _shown(value: Any) -> str:
    if value == audit.CHANGED:
        return _("(changed)")
    if isinstance(value, str):
        return value
    if value is None:
        return _("(none)")
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return json.dumps(value, ensure_ascii=False)


def _row(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the page shows it: each changed field, before → after."""
    fields = list(entry.before) + [key for key in entry.after if key not in entry.before]
    return {
        "entry": entry,
        "actor": f"@{entry.actor_name}" if entry.actor_name else _("the command line"),
        "label": ACTION_LABELS.get(entry.action, ""),
        "changes": [
            {
                "field": field,
                "before": _shown(entry.before[field]) if field in entry.before else "—",
                "after": _shown(entry.after[field]) if field in entry.after else "—",
            }
            for field in fields
        ],
    }


@require_GET
@permission_required("view_audit_log")
def log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    cursor = parse_cursor(request.GET, default_limit=audit_queries.PAGE_SIZE, max_limit=200)
    status = 200
    found: list[AuditEntry] = []
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        filters = form.filters() if form.is_bound else audit_queries.AuditFilters()
        found = audit_queries.page(filters, max_id=cursor.max_id, limit=cursor.limit)
    query = request.GET.copy()
    query.pop("max_id", None)
    exports = query.urlencode()
    next_page = ""
    if found and len(found) == cursor.limit:
        query["max_id"] = str(found[-1].pk)
        next_page = f"?{query.urlencode()}"
    context = {
        "form": form,
        "rows": [_row(entry) for entry in found],
        "next_page": next_page,
        "export_query": f"?{exports}" if exports else "",
        "actions": audit.ACTIONS,
    }
    return render(request, "web/staff/audit.html", context, status=status)


class _Line:
    """A file-like object for csv.writer that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def _filters_or_error(request: HttpRequest) -> audit_queries.AuditFilters | HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        messages = [str(message) for errors in form.errors.values() for message in errors]
        return JsonResponse({"error": " ".join(messages)}, status=400)
    return form.filters()


def _filename(extension: str) -> str:
    return f"audit-log-{timezone.localdate().isoformat()}.{extension}"


@require_GET
@permission_required("view_audit_log")
def export_csv(request: HttpRequest) -> HttpResponse:
    filters = _filters_or_error(request)
    if isinstance(filters, HttpResponse):
        return filters
    writer = csv.writer(_Line())

    def lines() -> Iterator[str]:
        yield writer.writerow(audit_queries.EXPORT_COLUMNS)
        for entry in audit_queries.every(filters):
            data = audit_queries.exported(entry)
            yield writer.writerow(
                [audit_queries.csv_cell(data[name]) for name in audit_queries.EXPORT_COLUMNS]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return cast(HttpResponse, response)  # streamed (permission_required types HttpResponse)


@require_GET
@permission_required("view_audit_log")
def export_json(request: HttpRequest) -> HttpResponse:
    filters = _filters_or_error(request)
    if isinstance(filters, HttpResponse):
        return filters

    def chunks() -> Iterator[str]:
        yield "["
        first = True
        for entry in audit_queries.every(filters):
            text = json.dumps(audit_queries.exported(entry), ensure_ascii=False)
            yield ("\n" if first else ",\n") + text
            first = False
        yield "\n]\n"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    return cast(HttpResponse, response)  # streamed (permission_required types HttpResponse)
