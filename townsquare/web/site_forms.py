"""Forms of the setup wizard, invites and the applications queue."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from townsquare.site.models import RegistrationMode
from townsquare.web.forms import SignUpForm


class FirstAdminForm(SignUpForm):
    """The setup wizard's first step: the site's first admin account."""


class SiteIdentityForm(forms.Form):
    """Who the site is: asked by the setup wizard and kept on the settings page."""

    name = forms.CharField(label=_("Site name"), max_length=60)
    description = forms.CharField(
        label=_("What is this site about?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_email = forms.EmailField(
        label=_("Contact email"),
        required=False,
        max_length=254,
        help_text=_("Shown to members and apps as the way to reach the people who run the site."),
    )
    default_language = forms.ChoiceField(
        label=_("The site's language"),
        choices=settings.LANGUAGES,
        help_text=_(
            "For visitors whose browser asks for none of the site's languages, and for emails "
            "to members who chose none. Everyone can choose their own."
        ),
    )


class SiteBasicsForm(SiteIdentityForm):
    logo = forms.FileField(label=_("Logo"), required=False, help_text=_("PNG, JPEG, GIF or WebP."))


class JoiningForm(forms.Form):
    registration_mode = forms.ChoiceField(
        label=_("Who can join?"), choices=RegistrationMode.choices, widget=forms.RadioSelect
    )
    approval_question = forms.CharField(
        label=_("The question applicants answer (approval mode)"),
        required=False,
        max_length=300,
    )
    rules = forms.CharField(
        label=_("The site's rules, one per line"),
        required=False,
        max_length=9000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Shown at sign-up and on the rules page. You can change them later."),
    )


class InviteForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Expires after"),
        coerce=int,
        empty_value=None,
        choices=[
            (1, _("1 day")),
            (7, _("7 days")),
            (30, _("30 days")),
            ("", _("Never")),
        ],
        initial=7,
        required=False,
    )
    max_uses = forms.TypedChoiceField(
        label=_("Can be used"),
        coerce=int,
        empty_value=None,
        choices=[
            (1, _("once")),
            (5, _("5 times")),
            (25, _("25 times")),
            (100, _("100 times")),
            ("", _("any number of times")),
        ],
        initial=1,
        required=False,
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the applicant)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
