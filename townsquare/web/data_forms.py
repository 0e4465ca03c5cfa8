"""Forms of the "Your data" settings: importing a list, deleting the account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from townsquare.accounts import imports
from townsquare.accounts.models import ImportKind, ImportMode
from townsquare.site.limits import size_text


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the list holds"), choices=ImportKind.choices)
    mode = forms.ChoiceField(
        label=_("How to import it"),
        choices=ImportMode.choices,
        initial=ImportMode.MERGE,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "A list as Mastodon (or this site) exports it: following_accounts.csv, "
            "blocked_accounts.csv, muted_accounts.csv or bookmarks.csv. At most 1 MB and "
            "5,000 rows."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean(self) -> dict[str, Any]:
        """Reads the file as the chosen kind of list: `rows` holds what the import applies."""
        data = super().clean() or {}
        upload, kind = data.get("file"), data.get("kind")
        if upload is None or not kind:
            return data
        if upload.size is not None and upload.size > imports.MAX_BYTES:
            too_large = gettext("The file is too large: a list may be at most %(size)s.")
            self.add_error("file", too_large % {"size": size_text(imports.MAX_BYTES)})
            return data
        try:
            data["rows"] = imports.parse_list(kind, upload.read(imports.MAX_BYTES + 1))
        except ValidationError as exc:
            for message in exc.messages:
                self.add_error("file", message)
        return data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
