"""Staff: the operator's dashboard. Figures and charts of the site's life, the job queue, what
the site runs on and whether it is configured right (`townsquare check` in the browser)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from townsquare.site import health, stats
from townsquare.web.charts import bar_chart
from townsquare.web.views.common import permission_required


@require_GET
@permission_required("view_dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = stats.overview()
    days = stats.DAYS
    charts = [
        bar_chart(
            figures.members_per_day.points(),
            title=_("Members"),
            description=ngettext(
                "Members at the end of each of the last %(days)d day (accounts deleted or "
                "disabled since are not counted).",
                "Members at the end of each of the last %(days)d days (accounts deleted or "
                "disabled since are not counted).",
                days,
            )
            % {"days": days},
            chart_id="chart-members",
            running_total=True,
        ),
        bar_chart(
            figures.signups.points(),
            title=_("Sign-ups per day"),
            description=ngettext(
                "Accounts created on each of the last %(days)d day.",
                "Accounts created on each of the last %(days)d days.",
                days,
            )
            % {"days": days},
            chart_id="chart-signups",
        ),
        bar_chart(
            figures.posts_per_day.points(),
            title=_("Posts per day"),
            description=ngettext(
                "Posts written on each of the last %(days)d day (shares left out).",
                "Posts written on each of the last %(days)d days (shares left out).",
                days,
            )
            % {"days": days},
            chart_id="chart-posts",
        ),
        bar_chart(
            figures.reports.points(),
            title=_("Reports per day"),
            description=ngettext(
                "Reports sent to the moderators on each of the last %(days)d day.",
                "Reports sent to the moderators on each of the last %(days)d days.",
                days,
            )
            % {"days": days},
            chart_id="chart-reports",
        ),
    ]
    context = {
        "figures": figures,
        "charts": charts,
        "days": days,
        "failed_jobs_days": stats.FAILED_JOBS_DAYS,
        "health": health.check(),
        "may_approve": request.user.can("approve_signups"),  # type: ignore[union-attr]
        "may_run_jobs": request.user.can("manage_settings"),  # type: ignore[union-attr]
        "signups_held": _signups_held(),
    }
    return render(request, "web/staff/dashboard.html", context)


@require_POST
@permission_required("manage_settings")
def run_job_again(request: HttpRequest, job_id: object) -> HttpResponse:
    """A failed job (the dead-letter list) back to the queue, once its cause is fixed."""
    from townsquare.core.jobs import run_failed_job_again

    if run_failed_job_again(request.user, str(job_id)):
        messages.success(request, _("The job is back in the queue."))
    else:
        messages.error(request, _("That job is not among the failed ones any more."))
    return redirect("staff_dashboard")


def _signups_held() -> str:
    """Why an open site's sign-ups wait for approval now ("" when they do not)."""
    from townsquare.accounts import registration, signup_guard
    from townsquare.site.models import RegistrationMode

    if registration.mode() != RegistrationMode.OPEN:
        return ""
    return signup_guard.site_queue_reason() or ""
