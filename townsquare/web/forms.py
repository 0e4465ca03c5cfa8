"""HTML forms: they parse and label input; the actions decide what is valid and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from townsquare.accounts.models.user import MAX_PROFILE_FIELDS
from townsquare.posts.models import Visibility
from townsquare.site import features


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


POLL_DURATIONS = [
    (300, "5 minutes"),
    (30 * 60, "30 minutes"),
    (60 * 60, "1 hour"),
    (6 * 60 * 60, "6 hours"),
    (24 * 60 * 60, "1 day"),
    (3 * 24 * 60 * 60, "3 days"),
    (7 * 24 * 60 * 60, "7 days"),
]
MAX_POLL_OPTIONS = 10
# The part of a picture to keep in view when it is cropped (a focal point as x,y in [-1, 1],
# y up), offered as nine plain choices so it works without JavaScript.
FOCUS_CHOICES = [
    ("", "Centre"),
    ("0,1", "Top"),
    ("0,-1", "Bottom"),
    ("-1,0", "Left"),
    ("1,0", "Right"),
    ("-1,1", "Top left"),
    ("1,1", "Top right"),
    ("-1,-1", "Bottom left"),
    ("1,-1", "Bottom right"),
]


class PostForm(forms.Form):
    """The composer: text, who sees it, a content warning, media with alt text, or a poll.
    Replies and quotes carry the id of the post they answer or quote."""

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
    spoiler_text = forms.CharField(label="Content warning", max_length=500, required=False)
    sensitive = forms.BooleanField(label="Mark media as sensitive", required=False)
    in_reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    quote_of = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    group = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    # Post as a page the member is on the team of (pages).
    as_account = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: object, with_extras: bool | None = None, **kwargs: object) -> None:
        """`with_extras` adds the media and poll fields: by default only to a form that was
        sent (an empty composer shows those sections from a copy rendered once, and building
        their fields cost about 1 ms on every home page)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["text"].widget.attrs["maxlength"] = settings.TOWNSQUARE["MAX_POST_LENGTH"]
        if features.enabled("friends_mode"):  # followers are friends: every follow is mutual
            visibility = self.fields["visibility"]
            assert isinstance(visibility, forms.TypedChoiceField)
            visibility.choices = [
                (value, "Friends" if value == Visibility.FOLLOWERS else label)
                for value, label in Visibility.choices
            ]
        if with_extras if with_extras is not None else self.is_bound:
            self._add_extras()

    def _add_extras(self) -> None:
        self.fields["poll_multiple"] = forms.BooleanField(
            label="Allow several choices", required=False
        )
        self.fields["poll_expires_in"] = forms.TypedChoiceField(
            label="Poll ends after",
            choices=POLL_DURATIONS,
            coerce=int,
            initial=24 * 60 * 60,
            empty_value=None,  # no choice: the poll lasts a day
            required=False,
        )
        for i in range(settings.TOWNSQUARE["MAX_MEDIA_PER_POST"]):
            self.fields[f"media_{i}"] = forms.FileField(label="Photo or video", required=False)
            self.fields[f"alt_{i}"] = forms.CharField(
                label="Describe it for people who cannot see it (alt text)",
                max_length=1500,
                required=False,
            )
            self.fields[f"focus_{i}"] = forms.ChoiceField(
                label="Keep in view when cropped", choices=FOCUS_CHOICES, required=False
            )

    def media_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"media_{i}"], self[f"alt_{i}"], self[f"focus_{i}"])
            for i in range(settings.TOWNSQUARE["MAX_MEDIA_PER_POST"])
        ]

    def uploads(self) -> list[tuple[UploadedFile, str, str]]:
        """The files chosen, each with its alt text and focal point, in order."""
        found = []
        for i in range(settings.TOWNSQUARE["MAX_MEDIA_PER_POST"]):
            upload = self.cleaned_data.get(f"media_{i}")
            if upload:
                alt = self.cleaned_data.get(f"alt_{i}", "")
                found.append((upload, alt, self.cleaned_data.get(f"focus_{i}", "")))
        return found

    def poll_options(self) -> list[str]:
        """The poll's options as typed (blank ones dropped); empty when there is no poll."""
        raw = self.data.getlist("poll_option") if hasattr(self.data, "getlist") else []
        return [option.strip() for option in raw[: MAX_POLL_OPTIONS + 5] if option.strip()]


class EditPostForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    spoiler_text = forms.CharField(label="Content warning", max_length=500, required=False)
    sensitive = forms.BooleanField(label="Mark media as sensitive", required=False)


class MuteForm(forms.Form):
    DURATIONS = [
        ("", "Until I unmute"),
        ("3600", "1 hour"),
        ("86400", "1 day"),
        ("604800", "7 days"),
        ("2592000", "30 days"),
    ]
    duration = forms.ChoiceField(label="For how long", choices=DURATIONS, required=False)
    notifications = forms.BooleanField(label="Hide their notifications too", required=False)


class NoteForm(forms.Form):
    # No max_length here: the action counts (browsers send line breaks as two characters).
    comment = forms.CharField(
        label="Private note (only you see it)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


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
    discoverable = forms.BooleanField(
        label="Appear in search",
        required=False,
        help_text="People can find you and your public posts with the search box.",
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
