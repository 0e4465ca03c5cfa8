"""Forms of the page pages (creating a page, editing it, its team)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models.user import MAX_PROFILE_FIELDS
from townsquare.communities.actions.pages import CATEGORY_MAX
from townsquare.communities.models import PageRoleKind

# Offered in a datalist; any other category may be typed.
CATEGORIES = (
    _("Club"),
    _("Community"),
    _("School"),
    _("Local business"),
    _("Charity"),
    _("Public service"),
    _("Brand"),
    _("Artist"),
    _("Public figure"),
    _("Event venue"),
)


class PageForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    handle = forms.CharField(
        label=_("Handle"),
        max_length=30,
        help_text=_("Letters, digits and underscores: the page's address, /@handle."),
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    category = forms.CharField(
        label=_("Category"),
        max_length=CATEGORY_MAX,
        widget=forms.TextInput(attrs={"list": "page-categories"}),
    )
    description = forms.CharField(
        label=_("About the page"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


class PageEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    category = forms.CharField(
        label=_("Category"),
        max_length=CATEGORY_MAX,
        widget=forms.TextInput(attrs={"list": "page-categories"}),
    )
    description = forms.CharField(
        label=_("About the page"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
    )
    avatar = forms.FileField(label=_("Picture (square)"), required=False)
    remove_avatar = forms.BooleanField(label=_("Remove the picture"), required=False)
    header = forms.FileField(label=_("Cover (wide)"), required=False)
    remove_header = forms.BooleanField(label=_("Remove the cover"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for i in range(MAX_PROFILE_FIELDS):
            self.fields[f"link_{i}_name"] = forms.CharField(
                label=_("Contact %(number)d: label") % {"number": i + 1},
                max_length=50,
                required=False,
            )
            self.fields[f"link_{i}_value"] = forms.CharField(
                label=_("Contact %(number)d: address, phone or link") % {"number": i + 1},
                max_length=200,
                required=False,
            )

    def links(self) -> list[dict[str, str]]:
        return [
            {
                "name": self.cleaned_data.get(f"link_{i}_name", ""),
                "value": self.cleaned_data.get(f"link_{i}_value", ""),
            }
            for i in range(MAX_PROFILE_FIELDS)
        ]

    def link_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"link_{i}_name"], self[f"link_{i}_value"]) for i in range(MAX_PROFILE_FIELDS)
        ]


class TeamForm(forms.Form):
    username = forms.CharField(
        label=_("Member's username"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    role = forms.TypedChoiceField(
        label=_("Role"), choices=PageRoleKind.choices, coerce=int, initial=PageRoleKind.EDITOR
    )
