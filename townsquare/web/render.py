"""The HTML serializer for posts: a post card as a string, fast enough for the hot feed path.

The card is rendered in Python rather than with a template include per post (measured: about
1 ms per post through the template engine, against microseconds here). The viewer-independent
part is kept in a small per-process cache whose key holds everything it shows, so no
invalidation is needed: an edit of the author's name or avatar makes a new key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from html import escape
from threading import Lock

from django.core.files.storage import default_storage
from django.utils.safestring import SafeString, mark_safe

from townsquare.accounts.models import User
from townsquare.posts.models import Post, Visibility
from townsquare.posts.queries import ListedAuthor, ListedPost

Card = Post | ListedPost  # a full post (permalink) or a listed one (timelines)

CACHE_SIZE = 5000
_cache: OrderedDict[tuple[object, ...], str] = OrderedDict()
_lock = Lock()
_VISIBILITY_LABELS = {int(value): str(label) for value, label in Visibility.choices}


def avatar_html(person: User | ListedAuthor, *, size: int = 44) -> str:
    big = " big" if size > 44 else ""
    if person.avatar:
        src = escape(default_storage.url(person.avatar))
        return (
            f'<img class="avatar{big}" src="{src}" alt="" width="{size}" height="{size}" '
            f'loading="lazy">'
        )
    initial = escape((person.display_name or person.username or "?")[:1].upper())
    return f'<span class="avatar placeholder{big}" aria-hidden="true">{initial}</span>'


def _card_body(post: Card) -> str:
    author = post.author
    username = escape(author.username)
    name = escape(author.display_name or author.username)
    created = post.created_at
    stamp = f"{created.day} {created:%b %Y, %H:%M} UTC"
    visibility = int(post.visibility)
    return (
        f'<header class="post-head"><a href="/@{username}" class="who">{avatar_html(author)}'
        f'<span class="names"><strong>{name}</strong> <span class="handle">@{username}</span>'
        f'</span></a><a class="when" href="/@{username}/{post.pk}">'
        f'<time datetime="{created.isoformat()}">{stamp}</time></a></header>'
        f'<div class="post-body">{post.html}</div>'
        f'<footer class="post-foot"><span class="visibility v{visibility}">'
        f"{_VISIBILITY_LABELS.get(visibility, '')}</span>"
    )


def _cached_body(post: Card) -> str:
    author = post.author
    key = (post.pk, post.html, author.username, author.display_name, author.avatar, post.visibility)
    with _lock:
        body = _cache.get(key)
        if body is not None:
            _cache.move_to_end(key)
            return body
    body = _card_body(post)
    with _lock:
        _cache[key] = body
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return body


def post_cards(posts: Iterable[Card], viewer: User | None, csrf_token: str) -> SafeString:
    """The cards for a list of posts as `viewer` sees them (with a delete button where allowed)."""
    can_moderate = viewer is not None and viewer.is_authenticated and viewer.is_staff
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else None
    token = escape(csrf_token)
    parts = []
    for post in posts:
        parts.append(f'<article class="post" id="post-{post.pk}">')
        parts.append(_cached_body(post))
        if can_moderate or post.author_id == viewer_id:
            parts.append(
                f'<form method="post" action="/posts/{post.pk}/delete" class="inline">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
                f'<button type="submit" class="link danger" aria-label="Delete this post">'
                f"Delete</button></form>"
            )
        parts.append("</footer></article>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated value is escaped or sanitized
