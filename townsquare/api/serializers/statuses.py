"""The Status entity, for a whole page of posts in a fixed number of queries: the posts and what
they carry come from `posts.display.hydrate` (the same views the HTML cards use); accounts,
mentions and hashtags are read here, once per page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from townsquare.accounts.models import User
from townsquare.api.serializers import cache
from townsquare.api.serializers.accounts import accounts_of_authors
from townsquare.api.serializers.cards import card
from townsquare.api.serializers.common import iso, profile_url
from townsquare.api.serializers.media import attachment
from townsquare.api.serializers.polls import poll
from townsquare.core.sql import id_in
from townsquare.filters.queries import apply_filters
from townsquare.links.queries import previews_enabled
from townsquare.media.models import Status as MediaStatus
from townsquare.posts.display import PostView, hydrate
from townsquare.posts.queries import ListedPost, Viewer
from townsquare.site import emoji as custom_emoji

VISIBILITY = {0: "public", 1: "unlisted", 2: "private", 3: "direct"}
VISIBILITY_CODES = {name: code for code, name in VISIBILITY.items()}


def status_url(username: str, post_id: int) -> str:
    return f"{settings.BASE_URL}/@{username}/{post_id}"


@dataclass
class _Extras:
    """What the static part of statuses needs beyond the listed posts, for a page's misses."""

    mentions: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    tags: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    apps: dict[int, dict[str, Any]] = field(default_factory=dict)


def _extras(post_ids: list[int]) -> _Extras:
    """Mentions, hashtags and the app each post was written with, in one query."""
    found = _Extras()
    if not post_ids:
        return found
    mention_where, mention_params = id_in("m.post_id", post_ids)
    tag_where, tag_params = id_in("ph.post_id", post_ids)
    app_where, app_params = id_in("p.id", post_ids)
    sql = (
        "SELECT 1, m.post_id, u.id, u.username, NULL FROM posts_mention m"  # noqa: S608
        f" JOIN accounts_user u ON u.id = m.user_id WHERE {mention_where} AND u.is_active"
        " UNION ALL SELECT 2, ph.post_id, h.id, h.name, NULL FROM posts_posthashtag ph"
        f" JOIN posts_hashtag h ON h.id = ph.hashtag_id WHERE {tag_where}"
        " UNION ALL SELECT 3, p.id, a.id, a.name, i.website FROM posts_post p"
        " JOIN oauth2_provider_application a ON a.id = p.application_id"
        f" LEFT JOIN api_appinfo i ON i.application_id = a.id WHERE {app_where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*mention_params, *tag_params, *app_params])
        rows = cursor.fetchall()
    for kind, post_id, row_id, name, website in sorted(rows, key=lambda r: (r[0], r[1], r[3])):
        if kind == 1:
            found.mentions.setdefault(post_id, []).append(
                {"id": str(row_id), "username": name, "url": profile_url(name), "acct": name}
            )
        elif kind == 2:
            found.tags.setdefault(post_id, []).append(
                {"name": name, "url": f"{settings.BASE_URL}/tags/{quote(name)}"}
            )
        else:
            found.apps[post_id] = {"name": name, "website": website or None}
    return found


def _static(post: ListedPost, media: Sequence[Any], extras: _Extras | None) -> dict[str, Any]:
    """The part of a Status that is the same for every viewer and changes only with the post
    itself (see `cache`): what the entity cache keeps. Its `application` is shown to the
    post's author only (`statuses` sets it)."""
    extras = extras or _Extras()
    url = status_url(post.author.username, post.id)
    return {
        "id": str(post.id),
        "uri": url,
        "url": url,
        "created_at": iso(post.created_at),
        "edited_at": iso(post.edited_at),
        "content": post.html,
        "text": None,
        "visibility": VISIBILITY.get(post.visibility, "public"),
        "sensitive": post.sensitive or bool(post.spoiler_text),
        "spoiler_text": post.spoiler_text,
        "media_attachments": [attachment(m) for m in media],
        "mentions": extras.mentions.get(post.id, []),
        "tags": extras.tags.get(post.id, []),
        "emojis": custom_emoji.used_in(post.text, post.spoiler_text),
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": str(post.in_reply_to_author_id)
        if post.in_reply_to_author_id
        else None,
        "language": "en",
        "application": extras.apps.get(post.id),
    }


def _stamp(post: ListedPost, kind: str) -> tuple[Any, ...]:
    """What the cached static part depends on that can change (see `cache`): an edit sets
    `edited_at`, moderation sets `sensitive`, a deleted parent clears the reply links, a link
    card fetched again (new title, new picture: the old picture's file is deleted) has a new
    fetch time; media are cached only once all are ready; a change of the site's custom emoji
    changes their version (`emojis`). The rest (mentions of a member suspended since, an
    app's new name) expires with `cache.STATUS_TTL`."""
    return (
        kind,
        post.edited_at,
        post.sensitive,
        post.has_media,
        post.in_reply_to_id,
        post.in_reply_to_author_id,
        post.card_version,
        custom_emoji.version(),
    )


def _entity(
    static: dict[str, Any], post: ListedPost, account: dict[str, Any], view: PostView | None
) -> dict[str, Any]:
    """A Status: a copy of the static part with what changes often (counts, poll, card)."""
    entity = dict(static)
    entity["account"] = account
    entity["reblogs_count"] = post.shares_count
    entity["favourites_count"] = post.likes_count
    entity["replies_count"] = post.replies_count
    entity["application"] = None
    entity["reblog"] = None
    entity["poll"] = poll(view.poll) if view and view.poll is not None else None
    entity["card"] = card(view.card) if view and view.card is not None else static.get("card")
    entity["filtered"] = []
    return entity


def statuses(
    viewer: Viewer, items: Sequence[ListedPost], *, context: str | None = None
) -> list[dict[str, Any]]:
    """Status entities for listed posts, in their order. With a filter `context` (home,
    notifications, public, thread, account), the viewer's filters mark them (`filtered`) and
    leave out those a `hide` filter matches.

    The static part of each post comes from the entity cache when its stamp holds (then its
    media are not read at all); the rest is read for the whole page in fixed queries."""
    cached: dict[int, dict[str, Any]] = {}
    looked: set[int] = set()

    def look_up(post: ListedPost) -> bool:
        if post.id not in looked:
            looked.add(post.id)
            found = cache.statuses.get(post.id, _stamp(post, "post"))
            if found is not None:
                cached[post.id] = found
        return post.id in cached

    def card_known(post: ListedPost) -> bool:
        return look_up(post) and "card" in cached[post.id]

    views = hydrate(viewer, items, media_known=look_up, card_known=card_known)
    if not views:
        return []
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    for view in views:  # hydrate asked only about posts with media or a card
        look_up(view.post)
    shown = [v.post for v in views] + [v.quoted for v in views if v.quoted is not None]
    authors = accounts_of_authors(
        {p.author_id: p.author for p in shown} | {v.item.author_id: v.item.author for v in views}
    )
    quoted = {v.quoted.id for v in views if v.quoted is not None}  # never cached
    cards_shown = previews_enabled()
    extras = _extras(sorted({p.id for p in shown if p.id not in cached} | quoted))
    out: list[dict[str, Any]] = []
    for view in views:
        post = view.post
        account = authors.get(post.author_id)
        if account is None:
            continue
        static = cached.get(post.id)
        if static is None:
            static = _static(post, view.media, extras)
            if view.card is not None:
                static["card"] = card(view.card)
            if all(m.status == MediaStatus.READY for m in view.media):
                cache.statuses.put(post.id, _stamp(post, "post"), static, cache.STATUS_TTL)
        elif view.card is not None and "card" not in static:  # a card ready since
            static = {**static, "card": card(view.card)}
            cache.statuses.put(post.id, _stamp(post, "post"), static, cache.STATUS_TTL)
        entity = _entity(static, post, account, view)
        if not cards_shown:  # link previews switched off: not even a cached card
            entity["card"] = None
        if member is not None and post.author_id == member.pk:
            entity["application"] = static["application"]
        if view.quoted is not None and view.quoted.author_id in authors:
            entity["quote"] = _entity(
                _static(view.quoted, [], extras),
                view.quoted,
                authors[view.quoted.author_id],
                None,
            )
        if member is not None:
            entity["favourited"] = view.liked
            entity["reblogged"] = view.shared
            entity["bookmarked"] = view.bookmarked
            entity["muted"] = view.thread_muted
            entity["pinned"] = view.pinned_by_viewer
        if view.shared_by is not None:
            wrapper = _share(view, entity, authors, member is not None)
            if wrapper is not None:
                out.append(wrapper)
        else:
            out.append(entity)
    if context is not None and member is not None:
        out = apply_filters(member, context, out)
    return out


def _share(
    view: PostView, shown: dict[str, Any], authors: dict[int, dict[str, Any]], marks: bool
) -> dict[str, Any] | None:
    """The Status of a share: the sharer's wrapper around the shared post's entity."""
    sharer = authors.get(view.item.author_id)
    if sharer is None:
        return None
    stamp = _stamp(view.item, "share")
    static = cache.statuses.get(view.item.id, stamp)
    if static is None:
        static = _static(view.item, [], None)
        static["content"] = ""
        cache.statuses.put(view.item.id, stamp, static, cache.STATUS_TTL)
    wrapper = _entity(static, view.item, sharer, None)
    wrapper["reblog"] = shown
    if marks:
        for flag in ("favourited", "reblogged", "bookmarked", "muted", "pinned"):
            wrapper[flag] = shown[flag]
    return wrapper


def status(viewer: Viewer, item: ListedPost) -> dict[str, Any] | None:
    found = statuses(viewer, [item])
    return found[0] if found else None
