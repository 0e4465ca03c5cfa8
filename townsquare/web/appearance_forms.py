"""Forms of the appearance page (staff) and of a member's own colour mode."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from townsquare.site.models import ColorMode, Theme

_COLOUR_HELP = _(
    "Write it as # and six hex digits, like #2f6b3a; leave it empty for the theme's own. "
    "It is used in light mode (and the accent in dark mode too, where it is readable)."
)


class AppearanceForm(forms.Form):
    """The site's look. Values are checked by `site.actions.update_settings` (one place),
    so the colour fields are plain text here."""

    theme = forms.ChoiceField(label=_("Theme"), choices=Theme.choices, widget=forms.RadioSelect)
    color_mode = forms.ChoiceField(
        label=_("Colour mode"),
        choices=ColorMode.choices,
        widget=forms.RadioSelect,
        help_text=_("The site's default; each member can choose their own."),
    )
    accent_color = forms.CharField(
        label=_("Accent colour (links and buttons)"),
        required=False,
        max_length=40,
        help_text=_COLOUR_HELP,
        widget=forms.TextInput(attrs={"placeholder": "#2f6b3a", "spellcheck": "false"}),
    )
    background_color = forms.CharField(
        label=_("Background colour"),
        required=False,
        max_length=40,
        help_text=_COLOUR_HELP,
        widget=forms.TextInput(attrs={"placeholder": "#f6f4ee", "spellcheck": "false"}),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG, GIF or WebP. Shown in the header instead of the site's name."),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    favicon = forms.FileField(
        label=_("Favicon"),
        required=False,
        help_text=_("The small icon on browser tabs: a square image, at least 32 pixels."),
    )
    remove_favicon = forms.BooleanField(label=_("Remove the favicon"), required=False)
    footer_md = forms.CharField(
        label=_("Footer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Markdown, shown at the bottom of every page."),
    )
    custom_css = forms.CharField(
        label=_("Custom CSS"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text=_(
            "Loaded after the theme on every page. It may not load anything from other sites: "
            "@import rules and remote url(…) addresses are left out."
        ),
    )


class PagesForm(forms.Form):
    about_md = forms.CharField(
        label=_("About"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown. Shown on the about page, above the rules."),
    )
    terms_md = forms.CharField(
        label=_("Terms of service"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    privacy_md = forms.CharField(
        label=_("Privacy policy"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    rules_md = forms.CharField(
        label=_("Rules page"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Markdown. Shown on the rules page under the numbered rules: what they mean, with "
            "examples, and how moderators enforce them."
        ),
    )


class RuleForm(forms.Form):
    text = forms.CharField(label=_("Rule"), required=False, max_length=300)
    hint = forms.CharField(label=_("Explanation (optional)"), required=False, max_length=500)


class BaseRuleFormSet(forms.BaseFormSet):
    def rules(self) -> list[tuple[str, str]]:
        """(text, hint) of the filled-in rows, in order."""
        found: list[tuple[str, str]] = []
        for form in self.forms:
            data: dict[str, Any] = form.cleaned_data
            if data.get("text", "").strip():
                found.append((data["text"], data.get("hint", "")))
        return found


RuleFormSet = forms.formset_factory(
    RuleForm, formset=BaseRuleFormSet, extra=3, max_num=30, absolute_max=30, validate_max=True
)


class DisplayForm(forms.Form):
    """A member's own colour mode, kept in a cookie on their browser."""

    mode = forms.ChoiceField(
        label=_("Colours"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            ("", _("As the site shows them")),
            ("system", _("Follow my device's setting")),
            ("light", _("Always light")),
            ("dark", _("Always dark")),
        ],
    )
