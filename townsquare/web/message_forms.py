"""Forms of the direct-message pages and of the privacy settings."""

from __future__ import annotations

import re

from django import forms
from django.core.files.uploadedfile import UploadedFile

from townsquare.accounts.models import MessagePolicy
from townsquare.messaging.models.conversation import TITLE_MAX
from townsquare.messaging.models.message import MESSAGE_MAX

_NAME_SPLIT = re.compile(r"[\s,;]+")


class PeopleField(forms.CharField):
    """Usernames separated by commas or spaces (an @ in front is fine): a list of names."""

    def to_python(self, value: object) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        names = [part.lstrip("@") for part in _NAME_SPLIT.split(text or "") if part.strip("@")]
        return list(dict.fromkeys(name.lower() for name in names))


class MultipleImagesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Several image files from one input (checked by the media layer, not here)."""

    widget = MultipleImagesInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"})

    def clean(self, data: object, initial: object = None) -> list[UploadedFile]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data] if data else []
        return [single(item, initial) for item in items if item]


class MessageForm(forms.Form):
    text = forms.CharField(
        label="Message",
        max_length=MESSAGE_MAX,
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX}),
    )
    images = ImagesField(label="Images", required=False)


class NewConversationForm(MessageForm):
    to = PeopleField(
        label="To",
        max_length=2000,
        help_text="Usernames, separated by commas. Several people make a group conversation.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )
    title = forms.CharField(label="Group name (optional)", max_length=TITLE_MAX, required=False)
    field_order = ["to", "title", "text", "images"]


class AddPeopleForm(forms.Form):
    to = PeopleField(label="Add people", max_length=2000)


class PrivacyForm(forms.Form):
    message_policy = forms.TypedChoiceField(
        label="Who can start a conversation with me",
        choices=MessagePolicy.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
