"""Forms of the staff pages for announcements, custom emoji and mail settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.site.announcements import MAX_TEXT
from townsquare.site.emoji import MAX_CATEGORY
from townsquare.site.models import SmtpSecurity

_MOMENT = "%Y-%m-%dT%H:%M"


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=False,
        input_formats=[_MOMENT, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_MOMENT),
    )


class AnnouncementForm(forms.Form):
    text = forms.CharField(
        label=_("Announcement"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown: **bold**, *italics*, [a link](https://example.org), lists."),
    )
    starts_at = _moment(_("Show from (UTC)"))
    ends_at = _moment(_("Show until (UTC)"))
    all_day = forms.BooleanField(label=_("Show the dates only, without times"), required=False)


class NewAnnouncementForm(AnnouncementForm):
    publish = forms.BooleanField(
        label=_("Publish now (otherwise it is kept as a draft)"), required=False, initial=True
    )


class EmojiForm(forms.Form):
    shortcode = forms.CharField(
        label=_("Shortcode"),
        max_length=32,
        help_text=_("2 to 30 letters, digits or underscores: members write it as :shortcode:."),
    )
    image = forms.FileField(
        label=_("Image"), help_text=_("PNG, GIF or WebP, at most 256 KB. Shown at 128x128 at most.")
    )
    category = forms.CharField(label=_("Category"), max_length=MAX_CATEGORY, required=False)
    visible_in_picker = forms.BooleanField(
        label=_("Offer it in apps' emoji pickers"), required=False, initial=True
    )


class EmojiChangeForm(forms.Form):
    image = forms.FileField(
        label=_("New image (optional)"),
        required=False,
        help_text=_("PNG, GIF or WebP, at most 256 KB."),
    )
    category = forms.CharField(label=_("Category"), max_length=MAX_CATEGORY, required=False)
    visible_in_picker = forms.BooleanField(
        label=_("Offer it in apps' emoji pickers"), required=False
    )
    disabled = forms.BooleanField(label=_("Disabled (shown nowhere)"), required=False)


class MailSettingsForm(forms.Form):
    smtp_host = forms.CharField(
        label=_("SMTP server"),
        max_length=253,
        required=False,
        help_text=_("For example smtp.example.org. Empty: mail goes as the server was configured."),
    )
    smtp_port = forms.IntegerField(
        label=_("Port"),
        required=False,
        min_value=1,
        max_value=65535,
        help_text=_("Empty: 587 for STARTTLS, 465 for SSL/TLS, 25 without."),
    )
    smtp_security = forms.ChoiceField(label=_("Security"), choices=SmtpSecurity.choices)
    smtp_username = forms.CharField(label=_("Username"), max_length=254, required=False)
    smtp_password = forms.CharField(
        label=_("Password"),
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave it empty to keep the saved password."),
    )
    forget_password = forms.BooleanField(label=_("Remove the saved password"), required=False)
    email_from = forms.CharField(
        label=_("Send as"),
        max_length=254,
        required=False,
        help_text=_(
            "For example: Garden Club <hello@garden.example>. Empty: the configured sender."
        ),
    )
