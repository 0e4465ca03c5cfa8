"""What a case is about, shown to the moderator on its page: posts through the normal post
cards (with the post answered, for context), a message with the two before it, an account,
a page or a group. Every image and video is behind a click (`<details>`, no JavaScript)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.safestring import SafeString, mark_safe

from townsquare.accounts.models import User
from townsquare.core.sql import id_in
from townsquare.media.render import gallery_html
from townsquare.moderation.models import Case, TargetKind
from townsquare.posts.display import hydrate
from townsquare.posts.models import Post
from townsquare.posts.queries import list_posts
from townsquare.posts.visibility import reported_sql
from townsquare.web.render import post_cards

CONTEXT_MESSAGES = 2


def _post_cards(request: HttpRequest, post_ids: list[int]) -> tuple[SafeString, list[int]]:
    """The posts (and the posts they answer), oldest first, as the moderator's cards; the
    ids of the posts that are gone."""
    assert isinstance(request.user, User)
    parents = Post.objects.filter(pk__in=post_ids, in_reply_to_id__isnull=False).values_list(
        "in_reply_to_id", flat=True
    )
    wanted = sorted(set(post_ids) | set(parents))
    if not wanted:
        return mark_safe(""), []
    where, params = id_in("p.id", wanted)
    listed = list_posts(
        request.user,
        where=where,
        params=params,
        limit=len(wanted),
        hide_muted=False,
        rule=reported_sql(request.user),
    )
    listed.reverse()  # oldest first: a post after the one it answers
    views = hydrate(request.user, listed)
    for view in views:
        view.post.sensitive = True  # media behind a click, whatever the author said
    found = {post.id for post in listed}
    html = post_cards(views, request.user, get_token(request), request.get_full_path())
    return html, [pk for pk in post_ids if pk not in found]


def _message(case: Case) -> dict[str, Any]:
    from townsquare.messaging.models import Message

    message = (
        Message.objects.select_related("sender", "conversation")
        .prefetch_related("media_attachments")
        .filter(pk=case.target_id)
        .first()
    )
    if message is None:
        return {"missing": True}
    before = list(
        Message.objects.select_related("sender")
        .filter(conversation_id=message.conversation_id, id__lt=message.pk)
        .order_by("-id")[:CONTEXT_MESSAGES]
    )
    before.reverse()
    media = list(message.media_attachments.all())
    return {
        "message": message,
        "before": before,
        "gallery": gallery_html(media, sensitive=True) if media else "",
    }


def reported_content(request: HttpRequest, case: Case, post_ids: list[int]) -> dict[str, Any]:
    """The template's view of what the case is about."""
    content: dict[str, Any] = {"kind": case.kind}
    if case.kind == TargetKind.POST:
        post_ids = sorted(set(post_ids) | {case.target_id})
    if post_ids:
        content["posts"], content["gone_posts"] = _post_cards(request, post_ids)
    if case.kind in (TargetKind.ACCOUNT, TargetKind.PAGE):
        content["account"] = User.objects.filter(pk=case.target_id).first()
        content["missing"] = content["account"] is None
    elif case.kind == TargetKind.MESSAGE:
        content.update(_message(case))
    elif case.kind == TargetKind.MEDIA:  # a hash match: the upload, behind a click
        from townsquare.moderation.match_cases import match_of

        match = match_of(case)
        content["match"] = match
        content["missing"] = match is None
        if match is not None and match.attachment is not None:
            content["gallery"] = gallery_html([match.attachment], sensitive=True)
    elif case.kind == TargetKind.GROUP:
        from townsquare.communities.models import Group

        content["group"] = Group.objects.filter(pk=case.target_id).first()
        content["missing"] = content["group"] is None
    return content
