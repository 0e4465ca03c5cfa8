"""HTML forms: they parse and label input; the actions decide what is valid and write."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models.user import MAX_PROFILE_FIELDS
from townsquare.posts.models import Visibility
from townsquare.site import features
from townsquare.site.limits import current_limits


class SignUpForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=30,
        help_text=_("Letters, digits and underscores. This is your address: @name."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        min_length=8,
        max_length=256,
        help_text=_("At least 8 characters."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class JoinForm(SignUpForm):
    """The sign-up form with what the site asks besides: the approval question, the minimum
    age and the acceptance of its rules and terms (built for the site's settings)."""

    invite = forms.CharField(
        label=_("Invite"), required=False, max_length=40, widget=forms.HiddenInput
    )

    def __init__(
        self, *args: object, question: str = "", min_age: int = 0, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if question:
            self.fields["answer"] = forms.CharField(
                label=question,
                max_length=1000,
                help_text=_("Moderators read your answer before letting you in."),
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        if min_age:
            self.fields["age"] = forms.BooleanField(
                label=_("I am at least %(age)d years old.") % {"age": min_age}
            )
        self.fields["agreement"] = forms.BooleanField(
            label=_("I accept the site's rules, terms and privacy policy.")
        )


class LoginForm(forms.Form):
    login = forms.CharField(
        label=_("Username or email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ChangePasswordForm(SetPasswordForm):
    old_password = forms.CharField(
        label=_("Current password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["old_password", "new_password"]


class ChangeEmailForm(forms.Form):
    email = forms.EmailField(label=_("New email address"), max_length=254)
    password = forms.CharField(
        label=_("Current password"),
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


POLL_DURATIONS = [
    (300, _("5 minutes")),
    (30 * 60, _("30 minutes")),
    (60 * 60, _("1 hour")),
    (6 * 60 * 60, _("6 hours")),
    (24 * 60 * 60, _("1 day")),
    (3 * 24 * 60 * 60, _("3 days")),
    (7 * 24 * 60 * 60, _("7 days")),
]
MAX_POLL_OPTIONS = 10
# The part of a picture to keep in view when it is cropped (a focal point as x,y in [-1, 1],
# y up), offered as nine plain choices so it works without JavaScript.
FOCUS_CHOICES = [
    ("", _("Centre")),
    ("0,1", _("Top")),
    ("0,-1", _("Bottom")),
    ("-1,0", _("Left")),
    ("1,0", _("Right")),
    ("-1,1", _("Top left")),
    ("1,1", _("Top right")),
    ("-1,-1", _("Bottom left")),
    ("1,-1", _("Bottom right")),
]


class PostForm(forms.Form):
    """The composer: text, who sees it, a content warning, media with alt text, or a poll.
    Replies and quotes carry the id of the post they answer or quote."""

    text = forms.CharField(
        label=_("What's happening?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the action gives the friendly "write something" message
    )
    visibility = forms.TypedChoiceField(
        label=_("Who can see this"),
        choices=Visibility.choices,
        coerce=int,
        initial=Visibility.PUBLIC,
    )
    spoiler_text = forms.CharField(label=_("Content warning"), max_length=500, required=False)
    sensitive = forms.BooleanField(label=_("Mark media as sensitive"), required=False)
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
        self.limits = current_limits()
        self.fields["text"].widget.attrs["maxlength"] = self.limits.post_length
        if features.enabled("friends_mode"):  # followers are friends: every follow is mutual
            visibility = self.fields["visibility"]
            assert isinstance(visibility, forms.TypedChoiceField)
            visibility.choices = [
                (value, _("Friends") if value == Visibility.FOLLOWERS else label)
                for value, label in Visibility.choices
            ]
        if with_extras if with_extras is not None else self.is_bound:
            self._add_extras()

    def _add_extras(self) -> None:
        self.fields["poll_multiple"] = forms.BooleanField(
            label=_("Allow several choices"), required=False
        )
        self.fields["poll_expires_in"] = forms.TypedChoiceField(
            label=_("Poll ends after"),
            choices=POLL_DURATIONS,
            coerce=int,
            initial=24 * 60 * 60,
            empty_value=None,  # no choice: the poll lasts a day
            required=False,
        )
        for i in range(self.limits.media_per_post):
            self.fields[f"media_{i}"] = forms.FileField(label=_("Photo or video"), required=False)
            self.fields[f"alt_{i}"] = forms.CharField(
                label=_("Describe it for people who cannot see it (alt text)"),
                max_length=1500,
                required=False,
            )
            self.fields[f"focus_{i}"] = forms.ChoiceField(
                label=_("Keep in view when cropped"), choices=FOCUS_CHOICES, required=False
            )

    def media_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"media_{i}"], self[f"alt_{i}"], self[f"focus_{i}"])
            for i in range(self.limits.media_per_post)
        ]

    def uploads(self) -> list[tuple[UploadedFile, str, str]]:
        """The files chosen, each with its alt text and focal point, in order."""
        found = []
        for i in range(self.limits.media_per_post):
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
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    spoiler_text = forms.CharField(label=_("Content warning"), max_length=500, required=False)
    sensitive = forms.BooleanField(label=_("Mark media as sensitive"), required=False)


class MuteForm(forms.Form):
    DURATIONS = [
        ("", _("Until I unmute")),
        ("3600", _("1 hour")),
        ("86400", _("1 day")),
        ("604800", _("7 days")),
        ("2592000", _("30 days")),
    ]
    duration = forms.ChoiceField(label=_("For how long"), choices=DURATIONS, required=False)
    notifications = forms.BooleanField(label=_("Hide their notifications too"), required=False)


class NoteForm(forms.Form):
    # No max_length here: the action counts (browsers send line breaks as two characters).
    comment = forms.CharField(
        label=_("Private note (only you see it)"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 2000}),
    )


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=60, required=False)
    # No max_length here: browsers send line breaks as two characters; the action counts one.
    bio = forms.CharField(
        label=_("Bio"), required=False, widget=forms.Textarea(attrs={"rows": 4, "maxlength": 500})
    )
    avatar = forms.FileField(label=_("Avatar (square picture)"), required=False)
    remove_avatar = forms.BooleanField(label=_("Remove avatar"), required=False)
    header = forms.FileField(label=_("Header picture (wide)"), required=False)
    remove_header = forms.BooleanField(label=_("Remove header"), required=False)
    locked = forms.BooleanField(
        label=_("Approve followers"),
        required=False,
        help_text=_("People must ask to follow you, and you choose who may."),
    )
    discoverable = forms.BooleanField(
        label=_("Appear in search"),
        required=False,
        help_text=_("People can find you and your public posts with the search box."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for i in range(MAX_PROFILE_FIELDS):
            self.fields[f"field_{i}_name"] = forms.CharField(
                label=_("Field %(number)d label") % {"number": i + 1},
                max_length=50,
                required=False,
            )
            self.fields[f"field_{i}_value"] = forms.CharField(
                label=_("Field %(number)d value") % {"number": i + 1},
                max_length=200,
                required=False,
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
