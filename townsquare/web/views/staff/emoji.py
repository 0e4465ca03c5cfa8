"""Staff: custom emoji (upload, category, whether apps offer it, disable, delete)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from townsquare.site import emoji as custom_emoji
from townsquare.site.models import CustomEmoji
from townsquare.web.operator_forms import EmojiChangeForm, EmojiForm
from townsquare.web.views.common import apply_errors, permission_required

PERMISSION = custom_emoji.PERMISSION


def _list(request: HttpRequest, form: EmojiForm, status: int = 200) -> HttpResponse:
    rows = list(CustomEmoji.objects.order_by("category", "shortcode"))
    listed = [
        {
            "emoji": row,
            "url": default_storage.url(row.image),
            "form": EmojiChangeForm(
                initial={
                    "category": row.category,
                    "visible_in_picker": row.visible_in_picker,
                    "disabled": row.disabled,
                },
                prefix=f"e{row.pk}",
            ),
        }
        for row in rows
    ]
    context = {"emojis": listed, "form": form}
    return render(request, "web/staff/emoji.html", context, status=status)


@require_http_methods(["GET", "POST"])
@permission_required(PERMISSION)
def index(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _list(request, EmojiForm())
    form = EmojiForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            created = custom_emoji.create_emoji(
                request.user,  # type: ignore[arg-type]
                shortcode=data["shortcode"],
                upload=data["image"],
                category=data["category"],
                visible_in_picker=data["visible_in_picker"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request, _(":%(code)s: is ready to use.") % {"code": created.shortcode}
            )
            return redirect("staff_emoji")
    return _list(request, form, status=400)


@require_POST
@permission_required(PERMISSION)
def change(request: HttpRequest, emoji_id: int) -> HttpResponse:
    form = EmojiChangeForm(request.POST, request.FILES, prefix=f"e{emoji_id}")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, str(errors[0]))
        return redirect("staff_emoji")
    data = form.cleaned_data
    try:
        changed = custom_emoji.update_emoji(
            request.user,  # type: ignore[arg-type]
            emoji_id,
            category=data["category"],
            visible_in_picker=data["visible_in_picker"],
            disabled=data["disabled"],
            upload=data["image"],
        )
    except CustomEmoji.DoesNotExist:
        raise Http404(_("There is no such emoji.")) from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _(":%(code)s: is saved.") % {"code": changed.shortcode})
    return redirect("staff_emoji")


@require_POST
@permission_required(PERMISSION)
def delete(request: HttpRequest, emoji_id: int) -> HttpResponse:
    try:
        custom_emoji.delete_emoji(request.user, emoji_id)  # type: ignore[arg-type]
    except CustomEmoji.DoesNotExist:
        raise Http404(_("There is no such emoji.")) from None
    messages.success(request, _("The emoji is deleted."))
    return redirect("staff_emoji")
