"""Forms of the group pages."""

from __future__ import annotations

from django import forms

from townsquare.communities.models import GroupPrivacy
from townsquare.communities.models.group import (
    DESCRIPTION_MAX,
    HANDLE_MAX,
    NAME_MAX,
    RULES_MAX,
)


class GroupForm(forms.Form):
    name = forms.CharField(label="Name", max_length=NAME_MAX)
    handle = forms.CharField(
        label="Handle",
        max_length=HANDLE_MAX,
        help_text="Letters, digits and underscores: the group's address, /g/handle.",
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    privacy = forms.TypedChoiceField(
        label="Who can see it",
        choices=GroupPrivacy.choices,
        coerce=int,
        initial=GroupPrivacy.PUBLIC,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label="What it is about",
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rules = forms.CharField(
        label="Rules",
        max_length=RULES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class InviteForm(forms.Form):
    username = forms.CharField(
        label="Invite someone (username)",
        max_length=30,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
