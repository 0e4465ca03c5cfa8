"""The dashboard's section for the site's limits: the longest post, media per post, and the
largest image and video upload (in megabytes here, in bytes in the settings).

Use: `form = LimitsForm(request.POST or None, initial=LimitsForm.initial_from_settings())`,
then, once valid, `site.actions.update_settings(member, **form.changes())`, showing a
ValidationError with `views.common.apply_errors(form, exc)` (the fields are named as the
settings, so each error lands on its field). The template `web/staff/_limits.html` renders
it as a fieldset. An empty field means the server's configuration (TOWNSQUARE_MAX_*)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from townsquare.core import words
from townsquare.site import state
from townsquare.site.limits import (
    MB,
    MEDIA_PER_POST_BOUNDS,
    MIN_IMAGE_BYTES,
    MIN_VIDEO_BYTES,
    POST_LENGTH_BOUNDS,
    environment_limits,
    size_text,
)

BYTE_FIELDS = ("max_image_bytes", "max_video_bytes")


def _megabytes(count: int | None) -> Decimal | None:
    if count is None:
        return None
    return (Decimal(count) / MB).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()


class LimitsForm(forms.Form):
    max_post_length = forms.IntegerField(
        label=gettext_lazy("Longest post (characters)"), required=False
    )
    max_media_per_post = forms.IntegerField(
        label=gettext_lazy("Images a post may carry"), required=False
    )
    max_image_bytes = forms.DecimalField(
        label=gettext_lazy("Largest image upload (MB)"),
        required=False,
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    max_video_bytes = forms.DecimalField(
        label=gettext_lazy("Largest video upload (MB)"),
        required=False,
        max_digits=9,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        env = environment_limits()
        server = _("Empty: the server's configuration, %(value)s.")
        length, media = self.fields["max_post_length"], self.fields["max_media_per_post"]
        length.widget.attrs.update(min=POST_LENGTH_BOUNDS[0], max=POST_LENGTH_BOUNDS[1])
        length.help_text = " ".join(
            [
                _("From %(low)s to %(high)s.")
                % {
                    "low": words.number(POST_LENGTH_BOUNDS[0]),
                    "high": words.number(POST_LENGTH_BOUNDS[1]),
                },
                server % {"value": words.number(env.post_length)},
            ]
        )
        media.widget.attrs.update(min=MEDIA_PER_POST_BOUNDS[0], max=MEDIA_PER_POST_BOUNDS[1])
        media.help_text = " ".join(
            [
                _("From %(low)d to %(high)d (a video is always alone in its post).")
                % {"low": MEDIA_PER_POST_BOUNDS[0], "high": MEDIA_PER_POST_BOUNDS[1]},
                server % {"value": env.media_per_post},
            ]
        )
        for name, low, high, variable in (
            ("max_image_bytes", MIN_IMAGE_BYTES, env.image_bytes, "TOWNSQUARE_MAX_UPLOAD_BYTES"),
            ("max_video_bytes", MIN_VIDEO_BYTES, env.video_bytes, "TOWNSQUARE_MAX_VIDEO_BYTES"),
        ):
            field = self.fields[name]
            field.widget.attrs.update(step="0.01", max=str(_megabytes(high)))
            field.help_text = _(
                "From %(low)s up to %(high)s. The web server refuses larger uploads before "
                "they reach the site (its limit is set from %(variable)s when it starts), so "
                "here you can only lower it. Empty: %(high)s."
            ) % {"low": size_text(low), "high": size_text(high), "variable": variable}

    @staticmethod
    def initial_from_settings() -> dict[str, Any]:
        """The values the operator set (None where the server's configuration applies)."""
        row = state.site_settings()
        return {
            "max_post_length": row.max_post_length,
            "max_media_per_post": row.max_media_per_post,
            "max_image_bytes": _megabytes(row.max_image_bytes),
            "max_video_bytes": _megabytes(row.max_video_bytes),
        }

    def changes(self) -> dict[str, int | None]:
        """The settings to save (`site.actions.update_settings`): whole numbers, sizes in
        bytes, None for the server's configuration. Call once the form is valid."""
        data = self.cleaned_data
        found: dict[str, int | None] = {
            "max_post_length": data.get("max_post_length"),
            "max_media_per_post": data.get("max_media_per_post"),
        }
        for name in BYTE_FIELDS:
            value = data.get(name)
            found[name] = None if value is None else int((value * MB).to_integral_value())
        return found
