"""Staff: the operator's content rules (moderation.rules): list, create, edit, switch on or off
and in or out of dry run, and test a rule over recent content before switching it on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from townsquare.moderation import rule_admin
from townsquare.moderation import rules as engine
from townsquare.moderation.models import ContentRule, RuleHit, RuleKind, RuleOutcome, RuleSubject
from townsquare.web.views.common import apply_errors, permission_required

_NUMBER_HELP = {
    "days": gettext_lazy("New account: younger than this many days."),
    "links": gettext_lazy("Most links in one item from a new account."),
    "mentions": gettext_lazy("Most mentions in one item from a new account."),
    "posts_per_hour": gettext_lazy("Most posts or messages in an hour from a new account."),
    "count": gettext_lazy("Same text this many times…"),
    "minutes": gettext_lazy("…within this many minutes."),
    "across_accounts": gettext_lazy("1: count the same text from all accounts together."),
    "per_post": gettext_lazy("Most mentions in one post or message."),
    "per_hour": gettext_lazy("Most mentions in an hour from a new account."),
}
_NUMBERS = sorted({key for values in engine.DEFAULTS.values() for key in values})


class RuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    applies_to = forms.MultipleChoiceField(
        label=gettext_lazy("Looks at"),
        choices=RuleSubject.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RuleKind.choices)
    items = forms.CharField(
        label=gettext_lazy("Keywords, patterns or domains"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One a line. Keywords match whole words, whatever their case and accents; a "
            "domain matches its subdomains too; patterns are Python regular expressions, "
            "without nested repeats."
        ),
    )
    outcome = forms.ChoiceField(label=gettext_lazy("Then"), choices=RuleOutcome.choices)
    message = forms.CharField(
        label=gettext_lazy("Message shown when refused"), required=False, max_length=300
    )
    enabled = forms.BooleanField(label=gettext_lazy("On"), required=False)
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: record what it catches, act on nothing"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key in _NUMBERS:
            self.fields[key] = forms.IntegerField(
                label=key.replace("_", " "),
                required=False,
                min_value=0,
                help_text=_NUMBER_HELP.get(key, ""),
            )


def _initial(rule: ContentRule) -> dict[str, Any]:
    params = rule.parameters if isinstance(rule.parameters, dict) else {}
    return {
        "name": rule.name,
        "applies_to": list(rule.applies_to),
        "kind": rule.kind,
        "items": "\n".join(params.get("items", [])),
        "outcome": rule.outcome,
        "message": rule.message,
        "enabled": rule.enabled,
        "dry_run": rule.dry_run,
        **{key: params[key] for key in _NUMBERS if key in params},
    }


def _save(request: HttpRequest, form: RuleForm, rule: ContentRule | None) -> ContentRule | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return rule_admin.save_rule(
            request.user,  # type: ignore[arg-type]
            rule,
            name=data["name"],
            applies_to=data["applies_to"],
            kind=data["kind"],
            items=data["items"].splitlines(),
            numbers={key: data.get(key) for key in _NUMBERS},
            outcome=data["outcome"],
            message=data["message"],
            enabled=data["enabled"],
            dry_run=data["dry_run"],
        )
    except ValidationError as exc:
        apply_errors(form, exc)
        return None


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def index(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST":
        rule = _save(request, form, None)
        if rule is not None:
            messages.success(request, _("The rule “%(name)s” was saved.") % {"name": rule.name})
            return redirect("staff_rule", rule_id=rule.pk)
    status = 400 if request.method == "POST" else 200
    rules = ContentRule.objects.order_by("id")
    return render(
        request, "web/staff/content_rules.html", {"form": form, "rules": rules}, status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required("manage_settings")
def detail(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(ContentRule, pk=rule_id)
    actor = request.user
    catches = None
    status = 200
    form = RuleForm(initial=_initial(rule))
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "save":
        form = RuleForm(request.POST)
        saved = _save(request, form, rule)
        if saved is not None:
            messages.success(request, _("The rule “%(name)s” was saved.") % {"name": saved.name})
            return redirect("staff_rule", rule_id=rule.pk)
        status = 400
    elif action in ("enable", "disable", "dry_run_on", "dry_run_off"):
        rule_admin.set_flags(
            actor,  # type: ignore[arg-type]
            rule,
            enabled={"enable": True, "disable": False}.get(action),
            dry_run={"dry_run_on": True, "dry_run_off": False}.get(action),
        )
        messages.success(request, _("The rule was changed."))
        return redirect("staff_rule", rule_id=rule.pk)
    elif action == "delete":
        rule_admin.delete_rule(actor, rule)  # type: ignore[arg-type]
        messages.success(request, _("The rule was deleted."))
        return redirect("staff_rules")
    elif action == "test":
        try:
            days = int(request.POST.get("days") or 7)
        except ValueError:
            days = 7
        try:
            catches = rule_admin.try_rule(actor, rule, days=days)  # type: ignore[arg-type]
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    hits = RuleHit.objects.filter(rule=rule).select_related("account").order_by("-id")[:50]
    return render(
        request,
        "web/staff/content_rule.html",
        {
            "rule": rule,
            "form": form,
            "catches": catches,
            "hits": hits,
            "max_items": rule_admin.MAX_TEST_ITEMS,
        },
        status=status,
    )
