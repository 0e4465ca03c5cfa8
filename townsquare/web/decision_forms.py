"""Forms of moderators' decisions (the case page's "Act" part, the queue's bulk decision) and
of the strike ladder."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.moderation.models import DecisionAction, StepAction
from townsquare.moderation.models.statement import GROUP_DECISION_LABELS

DURATION_CHOICES = (
    ("1d", _("1 day")),
    ("7d", _("7 days")),
    ("30d", _("30 days")),
    ("", _("Until lifted")),
)


def ground_choices() -> list[tuple[str, str]]:
    from townsquare.site.models import Rule

    rules = [(f"rule:{pk}", text) for pk, text in Rule.objects.values_list("pk", "text")]
    return [*rules, ("illegal", str(_("Illegal content (name the law below)")))]


class ActForm(forms.Form):
    action = forms.ChoiceField(label=_("Decision"), choices=DecisionAction.choices)
    duration = forms.ChoiceField(
        label=_("For how long (restrictions of the account)"),
        choices=DURATION_CHOICES,
        required=False,
    )
    ground = forms.ChoiceField(label=_("Ground"))
    legal_ground = forms.CharField(
        label=_("The law broken (for illegal content)"), required=False, max_length=500
    )
    explanation = forms.CharField(
        label=_("Explanation (the member reads it)"),
        max_length=2000,  # the Transparency Database's limit (decisions.MAX_EXPLANATION)
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    severity = forms.TypedChoiceField(
        label=_("Severity (strikes added)"),
        choices=[(str(n), str(n)) for n in range(4)],
        coerce=int,
        initial="1",
    )

    def __init__(self, *args: Any, for_group: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = ground_choices()  # type: ignore[attr-defined]
        if for_group:  # a group case: the group is warned, limited, frozen or suspended
            from townsquare.moderation.group_decisions import GROUP_ACTIONS

            self.fields["action"].choices = [  # type: ignore[attr-defined]
                (action.value, GROUP_DECISION_LABELS[action.value]) for action in GROUP_ACTIONS
            ]
            self.fields["duration"].label = _("For how long (restrictions of the group)")

    def decision(self) -> dict[str, Any]:
        """The keyword arguments of `decisions.act_on_case` (the form is valid)."""
        data = self.cleaned_data
        ground = data["ground"]
        rule_id = int(ground.split(":", 1)[1]) if ground.startswith("rule:") else None
        return {
            "action": data["action"],
            "duration": data["duration"] or "",
            "ground": "rule" if rule_id is not None else "illegal",
            "rule_id": rule_id,
            "legal_ground": data["legal_ground"],
            "explanation": data["explanation"],
            "severity": data["severity"],
        }


STEP_ACTIONS = [("", _("(no step)")), *StepAction.choices]


class LadderForm(forms.Form):
    expiry_days = forms.IntegerField(
        label=_("Strikes count for (days)"), min_value=1, max_value=3650
    )


class StepForm(forms.Form):
    strikes = forms.IntegerField(label=_("At strikes"), min_value=1, max_value=100, required=False)
    action = forms.ChoiceField(label=_("Action"), choices=STEP_ACTIONS, required=False)
    duration_days = forms.IntegerField(
        label=_("Days (empty: until lifted)"), min_value=1, max_value=3650, required=False
    )


class ExportForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)


class AccountActForm(ActForm):
    """A decision about accounts without a case (moderation.account_decisions): the account
    restrictions and the warning, not the decisions about posts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from townsquare.moderation.account_decisions import ACTIONS

        self.fields["action"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in DecisionAction.choices if value in ACTIONS
        ]
