"""Forms of the group pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.communities.models import GroupPrivacy
from townsquare.communities.models.group import (
    DESCRIPTION_MAX,
    HANDLE_MAX,
    NAME_MAX,
    RULES_MAX,
)


class _AboutTheGroup(forms.Form):
    """What describes a group: the fields its creation and its settings share."""

    name = forms.CharField(label=_("Name"), max_length=NAME_MAX)
    privacy = forms.TypedChoiceField(
        label=_("Who can see it"),
        choices=GroupPrivacy.choices,
        coerce=int,
        initial=GroupPrivacy.PUBLIC,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("What it is about"),
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rules = forms.CharField(
        label=_("Rules"),
        max_length=RULES_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class GroupForm(_AboutTheGroup):
    handle = forms.CharField(
        label=_("Handle"),
        max_length=HANDLE_MAX,
        help_text=_("Letters, digits and underscores: the group's address, /g/handle."),
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        help_text=_("Shown across the top of the group, 1500×500."),
    )
    field_order = ["name", "handle", "privacy", "description", "rules", "cover"]


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("Invite someone (username)"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )


class GroupSettingsForm(_AboutTheGroup):
    approve_posts = forms.BooleanField(
        label=_("Moderators approve new posts"),
        required=False,
        help_text=_("Posts by members wait in a queue until a moderator approves them."),
    )
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        help_text=_("Shown across the top of the group, 1500×500."),
    )
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        privacy = self.fields["privacy"]
        privacy.help_text = _(
            "A group can become more private (public, private, secret), never less."
        )


class MuteForm(forms.Form):
    duration = forms.ChoiceField(
        label=_("Mute for"),
        choices=[
            ("1h", _("1 hour")),
            ("1d", _("1 day")),
            ("3d", _("3 days")),
            ("7d", _("7 days")),
            ("28d", _("28 days")),
        ],
    )


class DeleteGroupForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type the group's handle to confirm"),
        max_length=HANDLE_MAX + 1,
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )
