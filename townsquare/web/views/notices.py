"""The public notice form (EU DSA Art. 16) at /notice: anyone, with or without an account,
tells the moderators about illegal content by its links. Protected like the sign-up form:
a honeypot, a minimum fill time and a proof of work (`accounts.signup_guard`)."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from townsquare.accounts import signup_guard
from townsquare.accounts.models import User
from townsquare.core import altcha
from townsquare.core.ratelimit import RateLimited
from townsquare.moderation import notices
from townsquare.web.views.common import apply_errors, client_ip


class NoticeForm(forms.Form):
    urls = forms.CharField(
        label=_("The exact links of the content"),
        help_text=_("One per line: posts, profiles, groups or pages of this site."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20_000,
    )
    category = forms.ChoiceField(label=_("What kind of illegal content is it?"), choices=())
    explanation = forms.CharField(
        label=_("Why is it illegal?"),
        help_text=_("Explain as precisely as you can."),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=notices.MAX_EXPLANATION,
    )
    legal_ground = forms.CharField(
        label=_("The law it breaks (optional)"),
        required=False,
        max_length=notices.MAX_LEGAL_GROUND,
    )
    name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=notices.MAX_NAME,
        help_text=_("Required, except for child sexual abuse material."),
    )
    email = forms.CharField(
        label=_("Your email address"),
        required=False,
        max_length=254,
        help_text=_("We send the acknowledgement and the decision there."),
    )
    good_faith = forms.BooleanField(
        label=_(
            "I believe in good faith that the information and allegations in this notice "
            "are accurate and complete."
        ),
        required=False,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["category"].choices = notices.categories()  # type: ignore[attr-defined]


def _guard() -> dict[str, object]:
    proof_of_work = signup_guard.proof_of_work_on()
    return {
        "honeypot": signup_guard.HONEYPOT_FIELD,
        "stamp_field": signup_guard.STAMP_FIELD,
        "stamp": signup_guard.form_stamp(),
        "min_seconds": signup_guard.MIN_FILL_SECONDS,
        "proof_field": signup_guard.PROOF_FIELD,
        "challenge": json.dumps(altcha.create_challenge()) if proof_of_work else "",
    }


@require_http_methods(["GET", "POST"])
def notice(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial: dict[str, str] = {}
    if isinstance(user, User) and user.is_authenticated:
        initial = {"name": user.name or user.username, "email": user.email}
    if request.GET.get("url"):
        initial["urls"] = request.GET["url"][:2000]
    form = NoticeForm(request.POST or None, initial=initial)
    context: dict[str, object] = {"form": form, "guard": _guard()}
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        try:
            signup_guard.check_form(request.POST, proof_of_work=signup_guard.proof_of_work_on())
        except ValidationError as exc:
            form.add_error(None, exc)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        filed = notices.NoticeForm(
            urls=notices.split_urls(data["urls"]),
            category=data["category"],
            explanation=data["explanation"],
            legal_ground=data["legal_ground"],
            name=data["name"],
            email=data["email"],
            good_faith=data["good_faith"],
            language=translation.get_language() or "",
            hosts=[request.get_host()],
        )
        try:
            made = notices.file_notice(request.user, filed, ip=client_ip(request))
        except ValidationError as exc:
            apply_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, str(exc))
            retry_after = exc.retry_after
        else:
            return render(request, "web/notices/thanks.html", {"notice": made})
    status = 400 if form.is_bound and form.errors else 200
    if retry_after:
        status = 429
    response = render(request, "web/notices/form.html", context, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
