"""Forms of the direct-message pages and of the privacy settings."""

from __future__ import annotations

import re

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from townsquare.accounts.models import ConnectionsVisibility, FriendsVisibility, MessagePolicy
from townsquare.messaging.models.conversation import TITLE_MAX
from townsquare.messaging.models.message import MESSAGE_MAX
from townsquare.site.limits import current_limits

_NAME_SPLIT = re.compile(r"[\s,;]+")


PEOPLE_TEXT_MAX = 2000


class PeopleField(forms.CharField):
    """Usernames separated by commas or spaces (an @ in front is fine): a list of names,
    at most as many as a conversation holds."""

    def to_python(self, value: object) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        if len(text or "") > PEOPLE_TEXT_MAX:
            raise forms.ValidationError(
                _("At most %(count)s characters.")
                % {"count": number_format(PEOPLE_TEXT_MAX, force_grouping=True)}
            )
        names = [part.lstrip("@") for part in _NAME_SPLIT.split(text or "") if part.strip("@")]
        unique = list(dict.fromkeys(name.lower() for name in names))
        most = int(settings.TOWNSQUARE["MAX_CONVERSATION_MEMBERS"])
        if len(unique) >= most:
            raise forms.ValidationError(
                ngettext(
                    "A conversation holds at most %(count)d person, you included.",
                    "A conversation holds at most %(count)d people, you included.",
                    most,
                )
                % {"count": most}
            )
        return unique


class MultipleImagesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ImagesField(forms.FileField):
    """Several image files from one input (checked by the media layer, not here)."""

    widget = MultipleImagesInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"})

    def clean(self, data: object, initial: object = None) -> list[UploadedFile]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data] if data else []
        most = current_limits().media_per_post
        if len(items) > most:  # refused before anything is stored
            raise forms.ValidationError(
                ngettext(
                    "A message can have at most %(count)d image.",
                    "A message can have at most %(count)d images.",
                    most,
                )
                % {"count": most}
            )
        return [single(item, initial) for item in items if item]


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX,
        strip=False,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX}),
    )
    images = ImagesField(label=_("Images"), required=False)


class NewConversationForm(MessageForm):
    to = PeopleField(
        label=_("To"),
        help_text=_("Usernames, separated by commas. Several people make a group conversation."),
        widget=forms.TextInput(attrs={"autocapitalize": "none", "autocomplete": "off"}),
    )
    title = forms.CharField(label=_("Group name (optional)"), max_length=TITLE_MAX, required=False)
    field_order = ["to", "title", "text", "images"]


class AddPeopleForm(forms.Form):
    to = PeopleField(label=_("Add people"))


class PrivacyForm(forms.Form):
    message_policy = forms.TypedChoiceField(
        label=_("Who can start a conversation with me"),
        choices=MessagePolicy.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    connections_visibility = forms.TypedChoiceField(
        label=_("Who can see whom I follow and who follows me"),
        choices=ConnectionsVisibility.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    friends_visibility = forms.TypedChoiceField(
        label=_("Who can see my friends list"),
        choices=FriendsVisibility.choices,
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
        empty_value=None,
    )

    def __init__(self, *args: object, friends: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if not friends:  # a friends list exists in friends mode only
            del self.fields["friends_visibility"]

    show_posts_to_visitors = forms.BooleanField(
        label=_("Show my public posts to visitors who are not logged in"),
        required=False,
    )
