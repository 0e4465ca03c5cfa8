"""Forms of the event pages. Times are entered as wall-clock times (datetime-local) with a time
zone beside them: the fields give naive datetimes, and the write layer reads them in that zone
(never in the server's)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from townsquare.accounts.models import User
from townsquare.communities.models import Group
from townsquare.events import times
from townsquare.events.models.event import DESCRIPTION_MAX, PLACE_MAX, TITLE_MAX, URL_MAX

INPUT_FORMAT = "%Y-%m-%dT%H:%M"
_FORMATS = (INPUT_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")
_YEARS = range(1900, 2200)


class WallClockField(forms.Field):
    """A date and time as written, without a zone (a naive datetime)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", forms.DateTimeInput(attrs={"type": "datetime-local"}, format=INPUT_FORMAT)
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None)
        text = str(value).strip()
        for pattern in _FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)  # a wall-clock time, no zone
            except ValueError:
                continue
            if parsed.year in _YEARS:
                return parsed
        raise ValidationError(_("Enter a date and time, such as 2026-12-05 19:30."), code="invalid")


PAGE_PREFIX = "page:"  # a "Hosted by" choice naming a page rather than a group


class EventForm(forms.Form):
    group = forms.ChoiceField(label=_("Hosted by"), required=False, choices=())
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    starts_at = WallClockField(label=_("Starts"))
    ends_at = WallClockField(
        label=_("Ends"), required=False, help_text=_("Leave it empty for an event of one hour.")
    )
    time_zone = forms.CharField(label=_("Time zone"), max_length=64)
    place = forms.CharField(
        label=_("Place"),
        max_length=PLACE_MAX,
        required=False,
        help_text=_("An address or a venue."),
    )
    online_url = forms.CharField(
        label=_("Online link"),
        max_length=URL_MAX,
        required=False,
        help_text=_("For an event online: the link to join (https://…)."),
        widget=forms.URLInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    # No max_length here: browsers send line breaks as two characters; the action counts one.
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": DESCRIPTION_MAX}),
    )
    cover = forms.FileField(
        label=_("Cover picture (wide)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    remove_cover = forms.BooleanField(label=_("Remove the cover"), required=False)

    def __init__(
        self,
        *args: Any,
        groups: Sequence[Group] = (),
        pages: Sequence[User] = (),
        host_name: str = "",
        editing: bool = False,
        zone: str = times.DEFAULT_ZONE,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        zones = list(times.listed_zones())
        if zone not in zones and zone in times.accepted_zones():
            zones.append(zone)  # an older or unlisted name the event already has
        self.fields["time_zone"].widget = forms.Select(choices=[(z, z) for z in zones])
        if editing:
            del self.fields["group"]
        else:
            del self.fields["remove_cover"]
            group_field = self.fields["group"]
            assert isinstance(group_field, forms.ChoiceField)
            group_field.choices = (
                [("", f"You ({host_name})" if host_name else "You")]
                + [(f"{PAGE_PREFIX}{page.username}", f"{page.name} (page)") for page in pages]
                + [(group.handle, f"{group.name} (group)") for group in groups]
            )

    def chosen_group(self, groups: Sequence[Group]) -> Group | None:
        handle = self.cleaned_data.get("group") or ""
        return next((g for g in groups if g.handle == handle), None)

    def chosen_page(self, pages: Sequence[User]) -> User | None:
        """The page chosen to host the event (one the member runs), or None."""
        choice = self.cleaned_data.get("group") or ""
        if not choice.startswith(PAGE_PREFIX):
            return None
        return next((p for p in pages if p.username == choice[len(PAGE_PREFIX) :]), None)
