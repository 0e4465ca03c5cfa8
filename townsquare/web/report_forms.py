"""Forms of reporting (members) and of the moderation queue (staff)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.moderation.cases import MAX_NOTE_LENGTH
from townsquare.moderation.models import CaseState, ReportCategory, TargetKind

# The categories in the order members read them (the rule violation last but one: it names
# the site's rules below it).
CATEGORY_ORDER = (
    ReportCategory.SPAM,
    ReportCategory.HARASSMENT,
    ReportCategory.HATE,
    ReportCategory.VIOLENCE,
    ReportCategory.SEXUAL,
    ReportCategory.SELF_HARM,
    ReportCategory.LEGAL,
    ReportCategory.VIOLATION,
    ReportCategory.OTHER,
)


class ReportForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is wrong with it?"),
        choices=[(c.value, c.label) for c in CATEGORY_ORDER],
        widget=forms.RadioSelect,
    )
    rules = forms.MultipleChoiceField(
        label=_("Which of the site's rules does it break?"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("Anything the moderators should know (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, rules: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rules"].choices = rules  # type: ignore[attr-defined]
        if not rules:
            del self.fields["rules"]


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any")), *CaseState.choices],
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("Any")), *[(c.value, c.label) for c in CATEGORY_ORDER]],
    )
    kind = forms.ChoiceField(
        label=_("Reported"),
        required=False,
        choices=[("", _("Anything")), *TargetKind.choices],
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("To anyone")), ("me", _("To me")), ("none", _("To nobody"))],
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=_("Note (why; only moderators see it)"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
