"""Staff: the site's look (theme, colours, logo, favicon, custom CSS, footer), its pages
(about, terms, privacy) and its rules, at /admin/appearance."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from townsquare.media import images
from townsquare.site import actions, appearance, colours, state
from townsquare.site.models import Rule, SiteSettings
from townsquare.web.appearance_forms import AppearanceForm, PagesForm, RuleFormSet
from townsquare.web.views.common import apply_errors, permission_required

LOOK_FIELDS = ("theme", "color_mode", "accent_color", "background_color", "footer_md", "custom_css")
PAGE_FIELDS = ("about_md", "terms_md", "privacy_md", "rules_md")


def _initial(row: SiteSettings, fields: tuple[str, ...]) -> dict[str, Any]:
    return {field: getattr(row, field) for field in fields}


def _rules_formset(data: Any = None) -> Any:
    initial = [{"text": rule.text, "hint": rule.hint} for rule in Rule.objects.all()]
    return RuleFormSet(data, initial=initial, prefix="rules")


def _page(
    request: HttpRequest,
    *,
    look_form: forms.Form | None = None,
    pages_form: forms.Form | None = None,
    rules: Any = None,
) -> HttpResponse:
    row = state.site_settings()
    bound = [form for form in (look_form, pages_form, rules) if form is not None]
    can_edit_rules = request.user.can("manage_settings")  # type: ignore[union-attr]
    context = {
        "row": row,
        "look_form": look_form or AppearanceForm(initial=_initial(row, LOOK_FIELDS)),
        "pages_form": pages_form or PagesForm(initial=_initial(row, PAGE_FIELDS)),
        "rules": (rules or _rules_formset()) if can_edit_rules else None,
        "pairs": colours.pairs(row.theme, row.accent_color, row.background_color),
        "minimum": colours.ratio_text(colours.AA),
    }
    status = 400 if bound else 200
    return render(request, "web/staff/appearance.html", context, status=status)


@require_GET
@permission_required("manage_appearance")
def appearance_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _save_look(actor: Any, data: dict[str, Any]) -> SiteSettings:
    """Save the look and the images in one transaction: an invalid colour or a logo that is
    not an image changes nothing (an image stored before the failure is deleted again)."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            row = actions.update_settings(actor, **{field: data[field] for field in LOOK_FIELDS})
            for field in actions.IMAGE_FIELDS:
                if data.get(f"remove_{field}"):
                    row = actions.set_image(actor, field, None)
                elif data.get(field) is not None:
                    row = actions.set_image(actor, field, data[field])
                    stored.append(getattr(row, field))
    except BaseException:
        for path in stored:
            images.delete_image(path)
        state.forget()  # the settings may have been read inside the rolled-back transaction
        raise
    return row


@require_POST
@permission_required("manage_appearance")
def save_look(request: HttpRequest) -> HttpResponse:
    form = AppearanceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            row = _save_look(request.user, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The site's look is saved."))
            for warning in appearance.warnings(row):
                messages.warning(request, warning)
            return redirect("staff_appearance")
    return _page(request, look_form=form)


@require_POST
@permission_required("manage_appearance")
def save_pages(request: HttpRequest) -> HttpResponse:
    form = PagesForm(request.POST)
    if form.is_valid():
        try:
            actions.update_settings(
                request.user,  # type: ignore[arg-type]
                **{field: form.cleaned_data[field] for field in PAGE_FIELDS},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The pages are saved."))
            return redirect("staff_appearance")
    return _page(request, pages_form=form)


@require_POST
@permission_required("manage_settings")
def save_rules(request: HttpRequest) -> HttpResponse:
    formset = _rules_formset(request.POST)
    if formset.is_valid():
        try:
            actions.set_rules(request.user, formset.rules())  # type: ignore[arg-type]
        except ValidationError as exc:
            formset.non_form_errors().extend(exc.messages)
        else:
            messages.success(request, _("The rules are saved."))
            return redirect("staff_appearance")
    return _page(request, rules=formset)
