"""Staff: blocked networks (addresses and ranges that may not sign up or log in)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.core.ratelimit import RateLimited
from townsquare.site import ip_blocks
from townsquare.web.views.common import apply_errors, client_ip, permission_required


class IpBlockForm(forms.Form):
    network = forms.CharField(
        label=gettext_lazy("Address or range"),
        max_length=60,
        help_text=gettext_lazy("Such as 203.0.113.7, 203.0.113.0/24 or 2001:db8::/48."),
    )
    days = forms.IntegerField(
        label=gettext_lazy("For how many days"),
        required=False,
        min_value=1,
        max_value=ip_blocks.MAX_DAYS,
        help_text=gettext_lazy("Empty: until you remove it."),
    )
    note = forms.CharField(
        label=gettext_lazy("Note for staff"), required=False, max_length=ip_blocks.MAX_NOTE
    )


def _page(request: HttpRequest, form: IpBlockForm, status: int = 200) -> HttpResponse:
    now = timezone.now()
    rows = [
        {"block": block, "expired": block.expires_at is not None and block.expires_at <= now}
        for block in ip_blocks.all_blocks()
    ]
    return render(
        request, "web/staff/ip_blocks.html", {"form": form, "blocks": rows}, status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def index(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, IpBlockForm())
    form = IpBlockForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            block = ip_blocks.add_block(
                request.user,  # type: ignore[arg-type]
                data["network"],
                note=data["note"],
                days=data["days"],
                actor_ip=client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Nobody can sign up or log in from %(network)s now.")
                % {"network": block.network},
            )
            return redirect("staff_ip_blocks")
    return _page(request, form, status=400)


@require_POST
@permission_required("manage_settings")
def remove(request: HttpRequest, block_id: int) -> HttpResponse:
    ip_blocks.remove_block(request.user, block_id)  # type: ignore[arg-type]
    messages.success(request, _("The block was removed."))
    return redirect("staff_ip_blocks")
