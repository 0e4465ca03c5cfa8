"""The write layer for media attachments: upload, attach to a post, describe, discard."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from townsquare.accounts.models import User
from townsquare.core import ratelimit, words
from townsquare.core.jobs import enqueue
from townsquare.media import storage, tasks, validation
from townsquare.media.models import MAX_DESCRIPTION, Kind, MediaAttachment, Status
from townsquare.moderation import hash_banks
from townsquare.posts.models import Post
from townsquare.site.limits import current_limits

# Uploads cost real work (decoding, converting): a limit of their own.
UPLOADS_PER_ACCOUNT = ratelimit.Limit("media-upload-account", 100, 60 * 60)
ORPHAN_BATCH = 500


def _clean_description(description: str) -> str:
    text = (description or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(
            {
                "description": _("Descriptions are at most %(most)s characters (%(count)s now).")
                % {"most": words.number(MAX_DESCRIPTION), "count": words.number(len(text))}
            }
        )
    return text


def parse_focus(focus: str) -> tuple[float, float]:
    """'x,y' with each in [-1, 1] (x: left to right, y: bottom to top); '' is the centre."""
    text = (focus or "").strip()
    if not text:
        return 0.0, 0.0
    try:
        x_text, y_text = text.split(",")
        x, y = float(x_text), float(y_text)
    except ValueError:
        raise ValidationError({"focus": _("The focal point is two numbers: x,y.")}) from None
    if not (math.isfinite(x) and math.isfinite(y) and -1 <= x <= 1 and -1 <= y <= 1):
        raise ValidationError({"focus": _("Each focal point number is between -1 and 1.")})
    return x, y


def upload(
    owner: User, file: UploadedFile | IO[bytes], *, description: str = "", focus: str = ""
) -> MediaAttachment:
    """Check an upload, store it, and queue its processing. The attachment stays the owner's
    until a post takes it (`attach`); until processed its status is "processing"."""
    if not owner.is_active:
        raise PermissionDenied(_("This account cannot upload."))
    text = _clean_description(description)
    focus_x, focus_y = parse_focus(focus)
    UPLOADS_PER_ACCOUNT.hit(str(owner.pk))
    with validation.checked(file) as checked:
        screening = hash_banks.screen_upload(checked.path, checked.kind)
        path = storage.original_path(checked.extension)
        with open(checked.path, "rb") as handle:
            storage.put(path, File(handle))
    try:
        with transaction.atomic():
            attachment = MediaAttachment.objects.create(
                owner=owner,
                kind=checked.kind,
                token=storage.new_token(),
                original_path=path,
                original_type=checked.type,
                width=checked.width,
                height=checked.height,
                duration=checked.duration,
                description=text,
                focus_x=focus_x,
                focus_y=focus_y,
            )
            hash_banks.record_upload(attachment, screening)
            enqueue(tasks.process_attachment, attachment.pk)
    except BaseException:
        storage.remove([path])
        raise
    return attachment


def _check_media(ids: list[int], rows: dict[int, MediaAttachment], *, holder: str = "post") -> None:
    most = current_limits().media_per_post
    if len(ids) > most:
        if holder == "message":
            too_many = ngettext(
                "A message can have at most %(count)d image.",
                "A message can have at most %(count)d images.",
                most,
            )
        else:
            too_many = ngettext(
                "A post can have at most %(count)d image.",
                "A post can have at most %(count)d images.",
                most,
            )
        raise ValidationError({"media": too_many % {"count": most}})
    if len(rows) != len(ids):
        raise ValidationError(
            {"media": _("Some of those files are not your uploads, or are already in a post.")}
        )
    if hash_banks.held_attachments(rows):  # in a hash bank: a moderator decides
        raise ValidationError({"media": _("This image cannot be posted here.")})
    if any(row.status == Status.FAILED for row in rows.values()):
        raise ValidationError(
            {"media": _("One of the files could not be processed: remove it and try again.")}
        )
    moving = [row for row in rows.values() if row.kind != Kind.IMAGE]
    # A video uploaded before the operator switched video off is not posted now (those
    # already in a post, kept by an edit, are not new: their post still shows them).
    if not validation.video_allowed() and any(
        row.kind == Kind.VIDEO and row.post_id is None for row in moving
    ):
        raise ValidationError({"media": _("Video uploads are switched off on this site.")})
    if moving and len(ids) > 1:
        raise ValidationError(
            {
                "media": ngettext(
                    "A post can have one video, or up to %(count)d image, not both.",
                    "A post can have one video, or up to %(count)d images, not both.",
                    most,
                )
                % {"count": most}
            }
        )


def _unattached_locked(owner: User, ids: list[int]) -> dict[int, MediaAttachment]:
    """The owner's uploads among `ids` that nothing (post, scheduled post, message) has
    taken yet, locked for the caller's transaction."""
    return {
        row.pk: row
        for row in MediaAttachment.objects.select_for_update().filter(
            pk__in=ids,
            owner=owner,
            post__isnull=True,
            scheduled_post__isnull=True,
            message__isnull=True,
        )
    }


def _ids(attachment_ids: Sequence[int]) -> list[int]:
    try:
        return list(dict.fromkeys(int(i) for i in attachment_ids))
    except (TypeError, ValueError):
        raise ValidationError({"media": _("Those attachments are not valid.")}) from None


def attach(author: User, post: Post, attachment_ids: list[int]) -> None:
    """Give `post` the author's own unattached uploads, in the order given: at most
    the site's media limit of images (site.limits), or one video. Call inside the post's
    transaction."""
    ids = _ids(attachment_ids)
    if not ids:
        return
    if post.author_id != author.pk:
        raise PermissionDenied(_("You can only add media to your own posts."))
    with transaction.atomic():
        rows = _unattached_locked(author, ids)
        _check_media(ids, rows)
        for position, pk in enumerate(ids):
            taken = MediaAttachment.objects.filter(pk=pk, post__isnull=True).update(
                post=post, position=position
            )
            if not taken:
                raise ValidationError({"media": _("One of those files is already in a post.")})


def set_post_media(author: User, post: Post, attachment_ids: Sequence[int]) -> bool:
    """Make `post`'s attachments exactly `attachment_ids`, in that order (an edit): its own
    attachments and the author's unattached uploads may be named; those left out are deleted
    with their files. Returns whether anything changed. Call inside the edit's transaction."""
    ids = _ids(attachment_ids)
    if post.author_id != author.pk:
        raise PermissionDenied(_("You can only add media to your own posts."))
    with transaction.atomic():
        current = list(
            MediaAttachment.objects.select_for_update().filter(post=post).order_by("position", "id")
        )
        if [row.pk for row in current] == ids:
            return False
        mine = {row.pk: row for row in current}
        rows = {pk: mine[pk] for pk in ids if pk in mine}
        new = [pk for pk in ids if pk not in mine]
        if new:
            rows.update(
                {
                    row.pk: row
                    for row in MediaAttachment.objects.select_for_update().filter(
                        pk__in=new,
                        owner=author,
                        post__isnull=True,
                        scheduled_post__isnull=True,
                        message__isnull=True,
                    )
                }
            )
        _check_media(ids, rows)
        dropped = [row for row in current if row.pk not in rows]
        if dropped:
            MediaAttachment.objects.filter(pk__in=[row.pk for row in dropped]).delete()
            enqueue(tasks.delete_files, _paths_of(dropped))
        for position, pk in enumerate(ids):
            MediaAttachment.objects.filter(pk=pk).update(post=post, position=position)
    return True


def reserve_for_scheduled(author: User, scheduled_post_id: int, attachment_ids: list[int]) -> None:
    """Set the author's unattached uploads aside for a scheduled post (checked as `attach`
    checks them), so the clean-up of abandoned uploads leaves them until it is published."""
    ids = _ids(attachment_ids)
    if not ids:
        return
    with transaction.atomic():
        rows = _unattached_locked(author, ids)
        _check_media(ids, rows)
        MediaAttachment.objects.filter(pk__in=ids).update(scheduled_post_id=scheduled_post_id)


def release_scheduled(scheduled_post_id: int) -> None:
    """Give a scheduled post's uploads back to their owner (before it is published)."""
    MediaAttachment.objects.filter(scheduled_post_id=scheduled_post_id).update(scheduled_post=None)


def process_now(attachment: MediaAttachment) -> MediaAttachment:
    """Process an upload in this request instead of waiting for the job (the queued job then
    finds it done and does nothing). Returns the attachment as it is afterwards."""
    tasks.process_attachment.call(attachment.pk)
    attachment.refresh_from_db()
    return attachment


def update_description(
    owner: User,
    attachment_id: int,
    *,
    description: str | None,
    focus: str = "",
    unattached_only: bool = False,
) -> MediaAttachment:
    """Change an attachment's alt text (unless `description` is None), and its focal point when
    `focus` is given. With `unattached_only`, only an upload no post has taken yet."""
    text = _clean_description(description) if description is not None else None
    point = parse_focus(focus) if (focus or "").strip() else None
    ratelimit.WRITES_PER_ACCOUNT.hit(str(owner.pk))
    with transaction.atomic():
        found = MediaAttachment.objects.select_for_update().filter(pk=attachment_id, owner=owner)
        if unattached_only:
            found = found.filter(post__isnull=True, message__isnull=True)
        attachment = found.first()
        if attachment is None:
            raise ValidationError({"media": _("That file was not found.")})
        fields = []
        if text is not None:
            attachment.description = text
            fields.append("description")
        if point is not None:
            attachment.focus_x, attachment.focus_y = point
            fields += ["focus_x", "focus_y"]
        if fields:
            attachment.save(update_fields=fields)
    return attachment


def _paths_of(rows: list[MediaAttachment]) -> list[str]:
    paths: list[str] = []
    for row in rows:
        paths += row.stored_paths() + storage.all_outputs(row.token)
    return paths


def discard_for_posts(post_ids: list[int]) -> None:
    """Queue the deletion of the stored files of these posts' attachments (the rows go with
    their posts). Call in the transaction that deletes the posts: the files go when it commits."""
    if not post_ids:
        return
    rows = list(
        MediaAttachment.objects.filter(post_id__in=post_ids).only(
            "id", "token", "original_path", "file_path", "thumbnail_path", "sizes"
        )
    )
    if rows:
        with transaction.atomic():
            enqueue(tasks.delete_files, _paths_of(rows))


def attach_to_message(owner: User, message_id: int, attachment_ids: Sequence[int]) -> None:
    """Give a direct message its sender's own unattached images, in the order given (at most
    the site's media limit, site.limits). Call inside the message's transaction."""
    ids = _ids(attachment_ids)
    if not ids:
        return
    with transaction.atomic():
        rows = _unattached_locked(owner, ids)
        if any(row.kind != Kind.IMAGE for row in rows.values()):
            raise ValidationError({"media": _("Messages can carry images, not video.")})
        _check_media(ids, rows, holder="message")
        for position, pk in enumerate(ids):
            MediaAttachment.objects.filter(pk=pk).update(message_id=message_id, position=position)


def discard_for_messages(message_ids: list[int]) -> None:
    """Delete the images of these messages (unsent ones), and their files once that commits."""
    with transaction.atomic():
        rows = list(MediaAttachment.objects.filter(message_id__in=message_ids))
        if rows:
            MediaAttachment.objects.filter(pk__in=[row.pk for row in rows]).delete()
            enqueue(tasks.delete_files, _paths_of(rows))


def discard_uploads(owner: User, attachment_ids: list[int]) -> None:
    """Delete the owner's own uploads that no post has taken (a post that failed to publish),
    and, once that commits, their files. Other ids are ignored."""
    with transaction.atomic():
        rows = list(
            MediaAttachment.objects.select_for_update()
            .filter(
                pk__in=[int(i) for i in attachment_ids],
                owner=owner,
                post__isnull=True,
                message__isnull=True,
            )
            .exclude(pk__in=hash_banks.open_match_attachments())  # kept for a moderator
        )
        if rows:
            MediaAttachment.objects.filter(pk__in=[row.pk for row in rows]).delete()
            enqueue(tasks.delete_files, _paths_of(rows))


def remove_orphans(older_than: timedelta) -> int:
    """Delete uploads that no post took within `older_than`, and their files; return how many."""
    cutoff = timezone.now() - older_than
    removed = 0
    while True:
        with transaction.atomic():
            rows = list(
                MediaAttachment.objects.select_for_update()
                .filter(
                    post__isnull=True,
                    scheduled_post__isnull=True,
                    message__isnull=True,
                    created_at__lt=cutoff,
                )
                .exclude(pk__in=hash_banks.open_match_attachments())  # kept for a moderator
                .order_by("created_at")[:ORPHAN_BATCH]
            )
            if not rows:
                return removed
            MediaAttachment.objects.filter(
                pk__in=[row.pk for row in rows],
                post__isnull=True,
                scheduled_post__isnull=True,
                message__isnull=True,
            ).delete()
            enqueue(tasks.delete_files, _paths_of(rows))
        removed += len(rows)
