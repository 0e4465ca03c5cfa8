"""Choosing the language the site speaks: the footer's picker (everyone) and a member's
setting (which may also leave it to their browser)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        error_messages={"invalid_choice": _("Choose one of the languages offered.")},
    )

    def __init__(self, *args: object, browser_option: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["language"]
        assert isinstance(field, forms.ChoiceField)
        # Each language in its own name: whoever reads the list finds theirs.
        choices: list[tuple[str, object]] = list(settings.LANGUAGES)
        if browser_option:
            choices.insert(0, ("", _("The language of my browser")))
            field.required = False
        field.choices = choices
