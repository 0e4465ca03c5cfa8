"""The site's own pages (about, terms, privacy, rules) and the first-run setup wizard."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from townsquare.accounts import actions as account_actions
from townsquare.accounts import registration
from townsquare.core.ratelimit import RateLimited
from townsquare.site import actions, state
from townsquare.site.markdown import to_html
from townsquare.site.models import Rule
from townsquare.web.site_forms import FirstAdminForm, JoiningForm, SiteBasicsForm
from townsquare.web.views.common import apply_errors, permission_required

PAGES = {
    "about": ("about_md", gettext_lazy("About")),
    "terms": ("terms_md", gettext_lazy("Terms of service")),
    "privacy": ("privacy_md", gettext_lazy("Privacy policy")),
}


def site_page(request: HttpRequest, slug: str) -> HttpResponse:
    row = state.site_settings()
    if slug == "rules":
        context: dict[str, object] = {
            "title": _("Rules"),
            "rules": Rule.objects.all(),
            "slug": slug,
            "html": to_html(row.rules_md),
        }
        return render(request, "web/site/page.html", context)
    if slug not in PAGES:
        raise Http404
    field, title = PAGES[slug]
    text = getattr(row, field)
    context = {
        "title": title,
        "slug": slug,
        "html": to_html(text),
        "description": row.description if slug == "about" else "",
        "rules": Rule.objects.all() if slug == "about" else (),
    }
    return render(request, "web/site/page.html", context)


# --- setup wizard ----------------------------------------------------------------------------


def _status(form: object) -> int:
    return 400 if getattr(form, "is_bound", False) and getattr(form, "errors", None) else 200


@require_http_methods(["GET", "POST"])
def setup_start(request: HttpRequest, token: str) -> HttpResponse:
    """Step 1, from the link `townsquare serve` printed: the first admin account."""
    if not actions.setup_token_valid(token):
        return render(
            request,
            "web/site/setup.html",
            {"invalid": _("This setup link is not valid, or was already used.")},
            status=404,
        )
    form = FirstAdminForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            admin = registration.create_first_admin(
                token, data["username"], data["email"], data["password"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            account_actions.log_in(request, admin)
            return redirect("setup_site")
    context = {"form": form, "step": 1, "heading": _("Your admin account")}
    return render(request, "web/site/setup.html", context, status=_status(form))


def _wizard_open(request: HttpRequest) -> bool:
    return state.site_settings().setup_done_at is None


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def setup_site(request: HttpRequest) -> HttpResponse:
    """Step 2: the site's name, description, contact address and logo."""
    if not _wizard_open(request):
        return redirect("home")
    row = state.site_settings()
    initial = {
        "name": state.site_name(),
        "description": row.description,
        "contact_email": state.contact_email(),
        "default_language": translation.get_language(),
    }
    form = SiteBasicsForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                actions.update_settings(
                    request.user,  # type: ignore[arg-type]
                    name=data["name"],
                    description=data["description"],
                    contact_email=data["contact_email"],
                    default_language=data["default_language"],
                )
                if data["logo"] is not None:
                    actions.set_image(request.user, "logo", data["logo"])  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("setup_joining")
    context = {"form": form, "step": 2, "heading": _("Your site"), "multipart": True}
    return render(request, "web/site/setup.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def setup_joining(request: HttpRequest) -> HttpResponse:
    """Step 3: who can join, and the first rules; then the site opens."""
    if not _wizard_open(request):
        return redirect("home")
    row = state.site_settings()
    initial = {
        "registration_mode": row.registration_mode,
        "approval_question": row.approval_question,
        "rules": "\n".join(rule.text for rule in Rule.objects.all()),
    }
    form = JoiningForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actor = request.user
        try:
            with transaction.atomic():
                actions.update_settings(
                    actor,  # type: ignore[arg-type]
                    registration_mode=data["registration_mode"],
                    approval_question=data["approval_question"],
                )
                lines = data["rules"].splitlines()
                actions.set_rules(actor, [(line, "") for line in lines])  # type: ignore[arg-type]
                actions.finish_setup(actor)  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Your site is ready. Welcome!"))
            return redirect("home")
    context = {"form": form, "step": 3, "heading": _("Who can join")}
    return render(request, "web/site/setup.html", context, status=_status(form))
