"""The archive of a member's data (see export.py), written into a zip: its serializer, apart
from the HTML pages and the client API.

- profile.json, posts.json (the member's posts with text, visibility, times, reply and quote
  ids, poll and attachments, whose files are under media/; their shares), follows.json,
  followers.json, blocks.json, mutes.json, bookmarks.json, messages.json (the conversations
  the member is in, with the messages they still see there), groups.json (memberships and
  roles, and the pages they help run);
- the lists in the CSV formats Mastodon writes, which Mastodon, GoToSocial and this site's
  own import (imports.py) read back:
  following_accounts.csv: `Account address,Show boosts,Notify on new posts,Languages`;
  blocked_accounts.csv: no header, one `user@domain` a line;
  muted_accounts.csv: `Account address,Hide notifications`;
  bookmarks.csv: no header, one post URL a line.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.communities.models import Membership, MembershipState, PageRole, PageRoleKind
from townsquare.communities.models import Role as GroupRole
from townsquare.graph import queries as graph_queries
from townsquare.graph.models import FollowRequest
from townsquare.media.models import MediaAttachment
from townsquare.media.queries import attachments_for
from townsquare.messaging import queries as message_queries
from townsquare.messaging.models import Message, MessageKind, Participant, ParticipantState
from townsquare.polls.models import Poll
from townsquare.posts.models import Bookmark, Post, PostEdit, Visibility
from townsquare.posts.queries import visible_to

logger = logging.getLogger(__name__)

CHUNK = 500
FOLLOWING_HEADER = ["Account address", "Show boosts", "Notify on new posts", "Languages"]
MUTED_HEADER = ["Account address", "Hide notifications"]


# --- addresses (shared with the import) -----------------------------------------------


def site_host() -> str:
    return str(settings.CONFIG.hostname).lower()


def account_address(username: str) -> str:
    """The member's address as other sites write it: `user@host`."""
    return f"{username}@{site_host()}"


def profile_url(username: str) -> str:
    return settings.BASE_URL + reverse("profile", args=[username])


def post_url(username: str, post_id: int) -> str:
    return settings.BASE_URL + reverse("post", args=[username, post_id])


# --- the archive ---------------------------------------------------------------------------


def write_archive(archive: zipfile.ZipFile, member: User) -> None:
    """Every file of the archive, written into `archive`."""
    _json(archive, "profile.json", _profile(archive, member))
    _json(archive, "posts.json", _posts(archive, member))
    following = list(graph_queries.following_of(member))
    _json(
        archive,
        "follows.json",
        {
            "following": [
                {
                    **_account(row.followee),
                    "followed_at": _time(row.created_at),
                    "show_boosts": row.show_reblogs,
                    "notify_on_new_posts": row.notify,
                }
                for row in following
            ],
            "requested": [
                {**_account(row.followee), "requested_at": _time(row.created_at)}
                for row in FollowRequest.objects.filter(follower=member)
                .select_related("followee")
                .order_by("-id")
            ],
        },
    )
    _json(
        archive,
        "followers.json",
        {
            "followers": [
                {**_account(row.follower), "followed_at": _time(row.created_at)}
                for row in graph_queries.followers_of(member)
            ]
        },
    )
    blocks = list(graph_queries.blocked_list(member))
    _json(
        archive,
        "blocks.json",
        {
            "blocks": [
                {**_account(row.blocked), "blocked_at": _time(row.created_at)} for row in blocks
            ]
        },
    )
    mutes = list(graph_queries.muted_list(member))
    _json(
        archive,
        "mutes.json",
        {
            "mutes": [
                {
                    **_account(row.muted),
                    "muted_at": _time(row.created_at),
                    "hide_notifications": row.hide_notifications,
                    "expires_at": _time(row.expires_at),
                }
                for row in mutes
            ]
        },
    )
    bookmarks = _bookmarked_posts(member)
    _json(
        archive,
        "bookmarks.json",
        {
            "bookmarks": [
                {
                    "id": str(post.pk),
                    "url": post_url(post.author.username, post.pk),
                    "author": account_address(post.author.username),
                    "created_at": _time(post.created_at),
                    "text": post.text,
                }
                for post in bookmarks
            ]
        },
    )
    _json(archive, "messages.json", _messages(archive, member))
    _json(archive, "groups.json", _groups(member))
    _csv(
        archive,
        "following_accounts.csv",
        [FOLLOWING_HEADER]
        + [
            [account_address(row.followee.username), _flag(row.show_reblogs), _flag(row.notify), ""]
            for row in following
        ],
    )
    _csv(archive, "blocked_accounts.csv", [[account_address(r.blocked.username)] for r in blocks])
    _csv(
        archive,
        "muted_accounts.csv",
        [MUTED_HEADER]
        + [[account_address(r.muted.username), _flag(r.hide_notifications)] for r in mutes],
    )
    _csv(
        archive,
        "bookmarks.csv",
        [[post_url(post.author.username, post.pk)] for post in bookmarks],
    )


# --- the files ---------------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _account(user: User) -> dict[str, Any]:
    return {
        "account": account_address(user.username),
        "url": profile_url(user.username),
        "display_name": user.display_name,
    }


def _json(archive: zipfile.ZipFile, name: str, data: object) -> None:
    archive.writestr(name, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _csv(archive: zipfile.ZipFile, name: str, rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows(rows)
    archive.writestr(name, out.getvalue())


def _copy(archive: zipfile.ZipFile, source: str, name: str) -> str | None:
    """Copy a stored media file into the archive as `name` (its extension added); the name
    used, or None when the file is missing."""
    if not source:
        return None
    suffix = PurePosixPath(source).suffix.lower()
    target = f"{name}{suffix}"
    try:
        with default_storage.open(source, "rb") as handle:
            info = zipfile.ZipInfo(target, date_time=timezone.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_STORED  # images and video are compressed already
            with archive.open(info, "w") as out:
                shutil.copyfileobj(handle, out, 1024 * 1024)
    except (OSError, ValueError):
        logger.warning("media file %s is missing from the storage", source)
        return None
    return target


def _profile(archive: zipfile.ZipFile, member: User) -> dict[str, Any]:
    return {
        "id": str(member.pk),
        "username": member.username,
        "account": account_address(member.username),
        "url": profile_url(member.username),
        "display_name": member.display_name,
        "bio": member.bio,
        "fields": [
            {"name": field.get("name", ""), "value": field.get("value", "")}
            for field in member.fields or []
        ],
        "avatar": _copy(archive, member.avatar, "media/profile/avatar"),
        "header": _copy(archive, member.header, "media/profile/header"),
        "email": member.email,
        "role": member.role,
        "created_at": _time(member.created_at),
        "locked": member.locked,
        "discoverable": member.discoverable,
        "posting_defaults": {
            "visibility": _visibility(member.default_visibility),
            "sensitive": member.default_sensitive,
            "language": member.default_language,
        },
        "privacy": {
            "message_policy": member.message_policy,
            "connections_visibility": member.connections_visibility,
            "friends_visibility": member.friends_visibility,
            "show_posts_to_visitors": member.show_posts_to_visitors,
        },
        "exported_at": _time(timezone.now()),
    }


def _visibility(value: int) -> str:
    try:
        return Visibility(value).name.lower()
    except ValueError:
        return str(value)


def _chunks(member: User) -> Iterator[list[Post]]:
    last = 0
    while True:
        chunk = list(
            Post.objects.filter(author=member, id__gt=last)
            .select_related("reblog_of__author", "group")
            .order_by("id")[:CHUNK]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1].pk


def _posts(archive: zipfile.ZipFile, member: User) -> dict[str, Any]:
    posts: list[dict[str, Any]] = []
    shares: list[dict[str, Any]] = []
    for chunk in _chunks(member):
        ids = [post.pk for post in chunk]
        media = attachments_for(ids)
        polls = {
            poll.post_id: poll
            for poll in Poll.objects.filter(post_id__in=ids).prefetch_related("options")
        }
        edits: dict[int, list[PostEdit]] = {}
        for edit in PostEdit.objects.filter(post_id__in=ids).order_by("id"):
            edits.setdefault(edit.post_id, []).append(edit)
        for post in chunk:
            original = post.reblog_of
            if original is not None:
                shares.append(
                    {
                        "id": str(post.pk),
                        "created_at": _time(post.created_at),
                        "visibility": _visibility(post.visibility),
                        "of_id": str(original.pk),
                        "of_url": post_url(original.author.username, original.pk),
                    }
                )
                continue
            posts.append(
                _post(archive, member, post, media.get(post.pk, []), polls.get(post.pk), edits)
            )
    return {"posts": posts, "shares": shares}


def _post(
    archive: zipfile.ZipFile,
    member: User,
    post: Post,
    media: list[MediaAttachment],
    poll: Poll | None,
    edits: dict[int, list[PostEdit]],
) -> dict[str, Any]:
    return {
        "id": str(post.pk),
        "url": post_url(member.username, post.pk),
        "created_at": _time(post.created_at),
        "edited_at": _time(post.edited_at),
        "visibility": _visibility(post.visibility),
        "text": post.text,
        "content_warning": post.spoiler_text,
        "sensitive": post.sensitive,
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "quote_of_id": str(post.quote_of_id) if post.quote_of_id else None,
        "conversation_id": str(post.conversation_id) if post.conversation_id else None,
        "group": post.group.handle if post.group is not None else None,
        "awaiting_approval": post.held,
        "poll": _poll(poll) if poll is not None else None,
        "attachments": [
            {
                "file": _copy(archive, item.file_path, f"media/posts/{post.pk}-{item.position}"),
                "type": item.kind,
                "description": item.description,
            }
            for item in media
        ],
        "versions": [
            {"text": edit.text, "content_warning": edit.spoiler_text, "at": _time(edit.created_at)}
            for edit in edits.get(post.pk, [])
        ],
    }


def _poll(poll: Poll) -> dict[str, Any]:
    return {
        "options": [
            {"title": option.title, "votes": option.votes_count} for option in poll.options.all()
        ],
        "multiple": poll.multiple,
        "expires_at": _time(poll.expires_at),
        "closed": poll.closed_at is not None,
        "voters": poll.voters_count,
    }


def _bookmarked_posts(member: User) -> list[Post]:
    """The posts the member bookmarked and may still see, newest bookmark first."""
    order = list(
        Bookmark.objects.filter(user=member).order_by("-id").values_list("post_id", flat=True)
    )
    seen: dict[int, Post] = {}
    for start in range(0, len(order), CHUNK):
        wanted = order[start : start + CHUNK]
        rows = visible_to(member, Post.objects.filter(pk__in=wanted)).select_related("author")
        seen.update({post.pk: post for post in rows})
    return [seen[pk] for pk in order if pk in seen]


_STATES: dict[int, str] = {
    ParticipantState.ACCEPTED: "inbox",
    ParticipantState.REQUEST: "request",
    ParticipantState.DECLINED: "declined",
}
_KINDS: dict[int, str] = {
    MessageKind.TEXT: "message",
    MessageKind.JOINED: "added",
    MessageKind.LEFT: "left",
}


def _messages(archive: zipfile.ZipFile, member: User) -> dict[str, Any]:
    """The conversations the member is in, each with the messages they still see there."""
    places = list(
        Participant.objects.filter(member=member, left_at__isnull=True)
        .select_related("conversation")
        .order_by("conversation_id")
    )
    others = message_queries.others_in([place.conversation_id for place in places], member)
    conversations = []
    for place in places:
        conversation = place.conversation
        messages: list[dict[str, Any]] = []
        before: int | None = None
        while True:
            page = message_queries.messages_for(member, place, before_id=before, limit=200)
            if not page:
                break
            messages[:0] = [_message(archive, message) for message in page]
            before = page[0].pk
        conversations.append(
            {
                "id": str(conversation.pk),
                "title": conversation.title,
                "group": conversation.is_group,
                "state": _STATES.get(place.state, str(place.state)),
                "participants": [
                    account_address(user.username) for user in others[conversation.pk]
                ],
                "messages": messages,
            }
        )
    return {"conversations": conversations}


def _message(archive: zipfile.ZipFile, message: Message) -> dict[str, Any]:
    return {
        "id": str(message.pk),
        "from": account_address(message.sender.username),
        "created_at": _time(message.created_at),
        "kind": _KINDS.get(message.kind, str(message.kind)),
        "text": message.text,
        "unsent": message.unsent_at is not None,
        "images": [
            _copy(archive, image.file_path, f"media/messages/{message.pk}-{image.position}")
            for image in message.media_attachments.all()
        ],
    }


def _groups(member: User) -> dict[str, Any]:
    memberships = (
        Membership.objects.filter(member=member).select_related("group").order_by("created_at")
    )
    roles = PageRole.objects.filter(member=member).select_related("page").order_by("created_at")
    return {
        "groups": [
            {
                "handle": row.group.handle,
                "name": row.group.name,
                "state": MembershipState(row.state).name.lower(),
                "role": GroupRole(row.role).name.lower(),
                "since": _time(row.created_at),
                "muted_until": _time(row.muted_until),
            }
            for row in memberships
        ],
        "pages": [
            {
                "account": account_address(row.page.username),
                "name": row.page.display_name,
                "role": PageRoleKind(row.role).name.lower(),
                "since": _time(row.created_at),
            }
            for row in roles
        ],
    }
