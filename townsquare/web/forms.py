"""HTML forms: they parse and label input; the actions decide what is valid and write."""

from __future__ import annotations

from django import forms
from django.conf import settings

from townsquare.accounts.models.user import MAX_PROFILE_FIELDS
from townsquare.posts.models import Visibility


class SignUpForm(forms.Form):
    username = forms.CharField(
        max_length=30,
        help_text="Letters, digits and underscores. This is your address: @name.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        min_length=8,
        max_length=256,
        help_text="At least 8 characters.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class LoginForm(forms.Form):
    login = forms.CharField(
        label="Username or email",
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        max_length=256, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(forms.Form):
    new_password = forms.CharField(
        label="New password",
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ChangePasswordForm(SetPasswordForm):
    old_password = forms.CharField(
        label="Current password",
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password"]


class ChangeEmailForm(forms.Form):
    email = forms.EmailField(label="New email address", max_length=254)
    password = forms.CharField(
        label="Current password",
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PostForm(forms.Form):
    text = forms.CharField(
        label="What's happening?",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the action gives the friendly "write something" message
    )
    visibility = forms.TypedChoiceField(
        label="Who can see this",
        choices=Visibility.choices,
        coerce=int,
        initial=Visibility.PUBLIC,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["text"].widget.attrs["maxlength"] = settings.TOWNSQUARE["MAX_POST_LENGTH"]


class ProfileForm(forms.Form):
    display_name = forms.CharField(label="Display name", max_length=60, required=False)
    # No max_length here: browsers send line breaks as two characters; the action counts one.
    bio = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4, "maxlength": 500})
    )
    avatar = forms.FileField(label="Avatar (square picture)", required=False)
    remove_avatar = forms.BooleanField(label="Remove avatar", required=False)
    header = forms.FileField(label="Header picture (wide)", required=False)
    remove_header = forms.BooleanField(label="Remove header", required=False)
    locked = forms.BooleanField(
        label="Approve followers",
        required=False,
        help_text="People must ask to follow you, and you choose who may.",
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for i in range(MAX_PROFILE_FIELDS):
            self.fields[f"field_{i}_name"] = forms.CharField(
                label=f"Field {i + 1} label", max_length=50, required=False
            )
            self.fields[f"field_{i}_value"] = forms.CharField(
                label=f"Field {i + 1} value", max_length=200, required=False
            )

    def profile_fields(self) -> list[dict[str, str]]:
        return [
            {
                "name": self.cleaned_data.get(f"field_{i}_name", ""),
                "value": self.cleaned_data.get(f"field_{i}_value", ""),
            }
            for i in range(MAX_PROFILE_FIELDS)
        ]

    def field_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"field_{i}_name"], self[f"field_{i}_value"]) for i in range(MAX_PROFILE_FIELDS)
        ]
