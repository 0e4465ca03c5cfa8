"""Forms of the staff dashboard: the members list and a member's actions, custom roles, and
the site's settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.accounts import staff_queries
from townsquare.accounts.models import Role, StaffRole
from townsquare.accounts.permissions import PERMISSIONS
from townsquare.site.catalog import FEATURES
from townsquare.site.models import InvitePolicy, RegistrationMode
from townsquare.web.site_forms import SiteIdentityForm

ROLE_LABELS: dict[str, Any] = {
    Role.ADMIN.value: _("Admin"),
    Role.MODERATOR.value: _("Moderator"),
    Role.MEMBER.value: _("Member"),
}


class MemberFilterForm(forms.Form):
    """The members list's search and filters (a GET form: every field optional)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Part of a username, a name or an email address."),
    )
    role = forms.ChoiceField(label=_("Role"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any")),
            (staff_queries.ACTIVE, _("Can log in")),
            (staff_queries.DISABLED, _("Login disabled")),
            (staff_queries.DEACTIVATED, _("Deactivated (applying, or being deleted)")),
        ],
    )
    kind = forms.ChoiceField(
        label=_("Accounts"),
        required=False,
        choices=[("", _("People and pages")), ("people", _("People")), ("pages", _("Pages"))],
    )
    unconfirmed = forms.BooleanField(label=_("Email not confirmed"), required=False)
    verified = forms.BooleanField(label=_("Verified"), required=False)

    def __init__(self, *args: Any, roles: list[StaffRole] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("Any"))]
        choices += [(str(value), label) for value, label in ROLE_LABELS.items()]
        choices.append(("custom", _("Any custom role")))
        choices += [(f"role:{role.pk}", role.name) for role in roles or ()]
        self.fields["role"].choices = choices  # type: ignore[attr-defined]

    def filters(self) -> staff_queries.MemberFilters:
        if not self.is_valid():
            return staff_queries.MemberFilters()
        data = self.cleaned_data
        return staff_queries.MemberFilters(
            query=data["q"],
            role=data["role"],
            status=data["status"],
            unconfirmed=data["unconfirmed"],
            kind=data["kind"],
            verified=data["verified"],
        )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=[(str(value), label) for value, label in ROLE_LABELS.items()]
    )
    staff_role = forms.TypedChoiceField(
        label=_("Custom role"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Permissions beside those of the role above."),
    )

    def __init__(self, *args: Any, roles: list[StaffRole] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("None"))]
        choices += [(str(role.pk), role.name) for role in roles or ()]
        self.fields["staff_role"].choices = choices  # type: ignore[attr-defined]


class RoleForm(forms.Form):
    """A custom role: a name and the permissions it grants."""

    name = forms.CharField(label=_("Name"), max_length=40)
    permissions = forms.MultipleChoiceField(
        label=_("Permissions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(name, description) for name, description in PERMISSIONS.items()],
    )


def _lines(label: Any, help_text: Any, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=20000,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class SiteSettingsForm(SiteIdentityForm):
    """Who the site is, who may join, its rules and its feature switches."""

    registration_mode = forms.ChoiceField(
        label=_("Who can join?"), choices=RegistrationMode.choices, widget=forms.RadioSelect
    )
    approval_question = forms.CharField(
        label=_("The question applicants answer (approval mode)"),
        required=False,
        max_length=300,
    )
    invite_policy = forms.ChoiceField(
        label=_("Who may create invite links?"),
        choices=InvitePolicy.choices,
        widget=forms.RadioSelect,
    )
    allowed_email_domains = _lines(
        _("Only these email domains may sign up"),
        _("One domain per line, such as example.org (its subdomains too). Empty: any."),
    )
    blocked_email_domains = _lines(
        _("These email domains may not sign up"),
        _("One domain per line (its subdomains too)."),
    )
    min_age = forms.IntegerField(
        label=_("Minimum age"),
        required=False,
        min_value=0,
        max_value=99,
        help_text=_("People confirm at sign-up that they are at least this old. 0: not asked."),
    )
    require_staff_2fa = forms.BooleanField(
        label=_("Staff must use two-factor authentication"),
        required=False,
        help_text=_(
            "Anyone with a staff permission is sent to set up an authenticator app before "
            "opening a staff page."
        ),
    )
    signup_proof_of_work = forms.BooleanField(
        label=_("Anti-spam check on the sign-up form (proof of work in the browser)"),
        required=False,
        help_text=_(
            "The visitor's browser solves a small puzzle, made and checked by this site (no "
            "other service). People need JavaScript to sign up while it is on."
        ),
    )
    approval_when_staff_idle_days = forms.IntegerField(
        label=_("Hold sign-ups for approval when no staff member was active for (days)"),
        required=False,
        min_value=0,
        max_value=365,
        help_text=_("0: never. Empty: unchanged."),
    )
    signup_burst_per_hour = forms.IntegerField(
        label=_("Hold sign-ups for approval for a few hours after more attempts in an hour than"),
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=_("0: never. Empty: unchanged."),
    )
    evidence_hold_days = forms.IntegerField(
        label=_("Keep removed content and suspended accounts' content for (days)"),
        required=False,
        min_value=0,
        max_value=3650,
        help_text=_(
            "Posts removed by moderators, and the content of accounts suspended until lifted, "
            "stay hidden this long for lawful requests, then are deleted. Empty: unchanged."
        ),
    )
    rules = _lines(
        _("Rules"),
        _("One rule per line; an explanation may follow a “|”: Be kind | No insults."),
        rows=6,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False  # empty: TOWNSQUARE_SITE_NAME
        for name, label in FEATURES.items():
            # The catalog's text is marked for translation there (gettext_noop).
            self.fields[f"feature_{name}"] = forms.BooleanField(label=_(label), required=False)

    def feature_fields(self) -> list[forms.BoundField]:
        return [self[f"feature_{name}"] for name in FEATURES]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("feature_")]

    def settings_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in (
                "name",
                "description",
                "contact_email",
                "default_language",
                "registration_mode",
                "approval_question",
                "invite_policy",
                "allowed_email_domains",
                "blocked_email_domains",
            )
        }
        fields["min_age"] = data["min_age"] or 0
        fields["require_staff_2fa"] = bool(data["require_staff_2fa"])
        fields["signup_proof_of_work"] = bool(data["signup_proof_of_work"])
        for name in (
            "approval_when_staff_idle_days",
            "signup_burst_per_hour",
            "evidence_hold_days",
        ):
            if data.get(name) is not None:
                fields[name] = data[name]
        return fields

    def rule_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.cleaned_data["rules"].splitlines():
            text, _bar, hint = line.partition("|")
            if text.strip():
                pairs.append((text.strip(), hint.strip()))
        return pairs

    def switches(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data[f"feature_{name}"]) for name in FEATURES}


def rules_text(rules: list[Any]) -> str:
    """The rules as the settings form shows them: `text | hint`, one per line."""
    return "\n".join(f"{rule.text} | {rule.hint}" if rule.hint else rule.text for rule in rules)
