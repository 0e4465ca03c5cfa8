"""Staff: the site's settings (who it is, who may join, its rules and feature switches)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from townsquare.accounts import registration, staff_actions
from townsquare.core.ratelimit import RateLimited
from townsquare.site import features, state
from townsquare.site.models import RegistrationMode, Rule
from townsquare.web.limits_form import LimitsForm
from townsquare.web.staff_forms import SiteSettingsForm, rules_text
from townsquare.web.views.common import apply_errors, permission_required


def _initial() -> dict[str, object]:
    row = state.site_settings()
    initial: dict[str, object] = {
        "name": row.name,
        "description": row.description,
        "contact_email": row.contact_email,
        "default_language": row.default_language,
        "registration_mode": row.registration_mode,
        "approval_question": row.approval_question,
        "invite_policy": row.invite_policy,
        "allowed_email_domains": row.allowed_email_domains,
        "blocked_email_domains": row.blocked_email_domains,
        "min_age": row.min_age,
        "require_staff_2fa": row.require_staff_2fa,
        "signup_proof_of_work": row.signup_proof_of_work,
        "approval_when_staff_idle_days": row.approval_when_staff_idle_days,
        "signup_burst_per_hour": row.signup_burst_per_hour,
        "evidence_hold_days": row.evidence_hold_days,
        "rules": rules_text(list(Rule.objects.all())),
    }
    for name, on in features.switches().items():
        initial[f"feature_{name}"] = on
    return initial


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def site_settings(request: HttpRequest) -> HttpResponse:
    form = SiteSettingsForm(request.POST or None, initial=_initial())
    limits_form = LimitsForm(request.POST or None, initial=LimitsForm.initial_from_settings())
    if request.method == "POST" and all([form.is_valid(), limits_form.is_valid()]):
        try:
            staff_actions.save_site_settings(
                request.user,  # type: ignore[arg-type]
                fields={**form.settings_fields(), **limits_form.changes()},
                rules=form.rule_pairs(),
                switches=form.switches(),
            )
        except ValidationError as exc:
            limit_errors = {k: v for k, v in exc.message_dict.items() if k in limits_form.fields}
            other = {k: v for k, v in exc.message_dict.items() if k not in limits_form.fields}
            if limit_errors:
                apply_errors(limits_form, ValidationError(limit_errors))
            if other:
                apply_errors(form, ValidationError(other))
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The site's settings were saved."))
            return redirect("staff_settings")
    bound = form.is_bound
    status = 400 if bound and (form.errors or limits_form.errors) else 200
    # TOWNSQUARE_REGISTRATIONS_OPEN=false, or the setup wizard, keeps sign-ups closed whatever
    # is chosen here: say so.
    chosen = state.site_settings().registration_mode
    overridden = registration.mode() == RegistrationMode.CLOSED != chosen
    context = {
        "form": form,
        "limits_form": limits_form,
        "overridden": registration.closed_message() if overridden else "",
    }
    return render(request, "web/staff/settings.html", context, status=status)
