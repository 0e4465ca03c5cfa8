"""The HTML serializer for posts: post cards as strings, fast enough for the hot feed path.

Cards are rendered in Python rather than with a template include per post (measured: about
1 ms per post through the template engine, against microseconds here). The viewer-independent
part (header and text) is kept in a small per-process cache whose key holds everything it
shows, so no invalidation is needed: an edit makes a new key. Counts, media, polls, link
cards and the viewer's buttons are rendered per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from html import escape
from threading import Lock

from django.core.files.storage import default_storage
from django.utils.safestring import SafeString, mark_safe

from townsquare.accounts.models import User
from townsquare.links.render import card_html
from townsquare.media.render import gallery_html
from townsquare.polls.render import poll_html
from townsquare.posts.display import PostView
from townsquare.posts.models import Visibility
from townsquare.posts.queries import OPEN, ListedAuthor, ListedPost
from townsquare.posts.threads import ReplyNode, Thread

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


def post_url(post: ListedPost) -> str:
    return f"/@{escape(post.author.username)}/{post.pk}"


def _stamp(post: ListedPost) -> str:
    created = post.created_at
    return f"{created.day} {created:%b %Y, %H:%M} UTC"


def _head(post: ListedPost) -> str:
    author = post.author
    username = escape(author.username)
    name = escape(author.display_name or author.username)
    edited = ' <span class="edited">· edited</span>' if post.edited_at else ""
    return (
        f'<header class="post-head"><a href="/@{username}" class="who">{avatar_html(author)}'
        f'<span class="names"><strong>{name}</strong> <span class="handle">@{username}</span>'
        f'</span></a><a class="when" href="{post_url(post)}">'
        f'<time datetime="{post.created_at.isoformat()}">{_stamp(post)}</time>{edited}</a>'
        f"</header>"
    )


def _cached(post: ListedPost) -> tuple[str, str]:
    """The header and the text of a post (viewer-independent), from the cache."""
    author = post.author
    key = (
        post.pk,
        post.html,
        post.edited_at,
        author.username,
        author.display_name,
        author.avatar,
    )
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit  # type: ignore[return-value]
    parts = (_head(post), f'<div class="post-text">{post.html}</div>' if post.html else "")
    with _lock:
        _cache[key] = parts  # type: ignore[assignment]
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return parts


def _behind_warning(spoiler_text: str, body: str) -> str:
    """`body` hidden until the warning is clicked (a <details>: no JavaScript needed)."""
    if not spoiler_text:
        return body
    return (
        f'<details class="cw"><summary><span class="cw-text">'
        f'{escape(spoiler_text)}</span> <span class="cw-toggle">Show post</span>'
        f"</summary>{body}</details>"
    )


def _quote_html(quoted: ListedPost | None) -> str:
    """The quoted post, under its own content warning when it has one."""
    if quoted is None:
        return ""
    head, text = _cached(quoted)
    return f'<blockquote class="quoted">{head}{_behind_warning(quoted.spoiler_text, text)}</blockquote>'


def _content(view: PostView, token: str) -> str:
    """The text, media, poll, link card and quoted post, behind the content warning if any."""
    post = view.post
    _, text = _cached(post)
    inner = [text]
    if view.media:
        inner.append(gallery_html(view.media, sensitive=post.sensitive and not post.spoiler_text))
    if view.poll is not None:
        inner.append(poll_html(view.poll, csrf_token=token, post_url=post_url(post)))
    if view.card is not None:
        inner.append(card_html(view.card))
    inner.append(_quote_html(view.quoted))
    return _behind_warning(post.spoiler_text, "".join(inner))


def _button(action: str, label: str, *, pressed: bool | None = None) -> str:
    """One action of a card's footer: a submit button of the footer's single form (the form
    carries the CSRF token and where to come back to once; `formaction` picks the action
    without JavaScript, `hx-post` with htmx, which sends the form's fields too)."""
    state = "" if pressed is None else f' aria-pressed="{"true" if pressed else "false"}"'
    return (
        f'<button type="submit" class="link" formaction="{action}" hx-post="{action}"'
        f"{state}>{label}</button>"
    )


def _foot(view: PostView, viewer: User | None, token: str, next_path: str) -> str:
    post, item = view.post, view.item
    url = post_url(post)
    parts = [
        f'<span class="visibility v{int(post.visibility)}">'
        f"{_VISIBILITY_LABELS.get(int(post.visibility), '')}</span>"
    ]
    counts = (
        f'<a class="count" href="{url}">{post.replies_count} '
        f"{'reply' if post.replies_count == 1 else 'replies'}</a>"
        f'<a class="count" href="{url}/likes">{post.likes_count} '
        f"{'like' if post.likes_count == 1 else 'likes'}</a>"
        f'<a class="count" href="{url}/shares">{post.shares_count} '
        f"{'share' if post.shares_count == 1 else 'shares'}</a>"
    )
    parts.append(f'<span class="counts">{counts}</span>')
    if viewer is None:
        return f'<footer class="post-foot">{"".join(parts)}</footer>'
    act = f"/posts/{item.pk}"
    buttons = [f'<a class="link" href="{url}#reply">Reply</a>']
    verb = "unlike" if view.liked else "like"
    buttons.append(_button(f"{act}/{verb}", verb.capitalize(), pressed=view.liked))
    if post.visibility in OPEN and not post.held:
        verb = "unshare" if view.shared else "share"
        buttons.append(_button(f"{act}/{verb}", verb.capitalize(), pressed=view.shared))
        buttons.append(f'<a class="link" href="/compose?quote={post.pk}">Quote</a>')
    label = "Remove bookmark" if view.bookmarked else "Bookmark"
    verb = "unbookmark" if view.bookmarked else "bookmark"
    buttons.append(_button(f"{act}/{verb}", label, pressed=view.bookmarked))
    own = post.author_id == viewer.pk and item.reblog_of_id is None
    if own and post.visibility != Visibility.MENTIONED and post.group_id is None:
        pinned = view.pinned or view.pinned_by_viewer
        label = "Unpin from profile" if pinned else "Pin to profile"
        buttons.append(_button(f"/posts/{post.pk}/{'unpin' if pinned else 'pin'}", label))
    own = own or (view.as_team and item.reblog_of_id is None)  # a page's post, for its team
    if own:
        buttons.append(f'<a class="link" href="/posts/{post.pk}/edit">Edit</a>')
    if view.group_moderator and item.reblog_of_id is None and post.in_reply_to_id is None:
        if post.held:
            buttons.append(_button(f"/posts/{post.pk}/approve", "Approve"))
        else:
            pinned = view.group_pinned
            label = "Unpin from the group" if pinned else "Pin to the group"
            buttons.append(
                _button(f"/posts/{post.pk}/{'group-unpin' if pinned else 'group-pin'}", label)
            )
    if own or viewer.is_staff or view.group_removable:
        # Deleting is a whole-page action (the card goes), so no hx-post here.
        label = "Delete" if own or viewer.is_staff else "Remove from the group"
        if post.held and not own:
            label = "Decline"
        buttons.append(
            f'<button type="submit" class="link danger" formaction="/posts/{post.pk}/delete"'
            f' aria-label="{label} (this post)">{label}</button>'
        )
    form = (
        f'<form method="post" class="actions" hx-target="closest article" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
        f'<input type="hidden" name="next" value="{next_path}">{"".join(buttons)}</form>'
    )
    parts.append(form)
    return f'<footer class="post-foot">{"".join(parts)}</footer>'


def card(
    view: PostView, viewer: User | None, token: str, next_path: str, *, tag: str = "article"
) -> str:
    post = view.post
    head, _ = _cached(post)
    top = []
    if view.shared_by is not None:
        sharer = escape(view.shared_by.username)
        top.append(
            f'<p class="shared-by">🔁 <a href="/@{sharer}">'
            f"{escape(view.shared_by.name)}</a> shared</p>"
        )
    if view.pinned or view.group_pinned:
        top.append('<p class="pinned-note">📌 Pinned</p>')
    if post.held:
        top.append('<p class="held-note">⏳ Waiting for a group moderator\'s approval</p>')
    if post.in_reply_to_author_id and view.reply_to_username:
        target = escape(view.reply_to_username)
        reply_href = f"/@{target}/{post.in_reply_to_id}" if post.in_reply_to_id else post_url(post)
        top.append(f'<p class="reply-to">Replying to <a href="{reply_href}">@{target}</a></p>')
    return (
        f'<{tag} class="post" id="post-{view.item.pk}">{"".join(top)}{head}'
        f'<div class="post-body">{_content(view, token)}</div>'
        f"{_foot(view, viewer, token, next_path)}</{tag}>"
    )


def _signed_in(viewer: User | None) -> User | None:
    return viewer if viewer is not None and viewer.is_authenticated else None


def post_cards(
    views: Iterable[PostView], viewer: User | None, csrf_token: str, next_path: str = "/"
) -> SafeString:
    """The cards for a list of posts as `viewer` sees them."""
    token = escape(csrf_token)
    member = _signed_in(viewer)
    here = escape(next_path)
    html = "".join(card(view, member, token, here) for view in views)
    return mark_safe(html)  # noqa: S308 - every interpolated value is escaped or sanitized


def _replies_html(
    nodes: list[ReplyNode], views: dict[int, PostView], viewer: User | None, token: str, here: str
) -> str:
    if not nodes:
        return ""
    items = []
    for node in nodes:
        view = views.get(node.post.id)
        if view is None:
            continue
        below = _replies_html(node.children, views, viewer, token, here)
        if node.hidden:
            word = "reply" if node.hidden == 1 else "replies"
            below += (
                f'<p class="more-replies"><a href="{post_url(node.post)}">'
                f"Show {node.hidden} more {word}</a></p>"
            )
        items.append(f"<li>{card(view, viewer, token, here)}{below}</li>")
    return f'<ol class="replies">{"".join(items)}</ol>'


def thread_html(
    thread: Thread, views: dict[int, PostView], viewer: User | None, csrf_token: str, next_path: str
) -> SafeString:
    """A conversation: the posts answered, the post (highlighted), and the nested replies."""
    token = escape(csrf_token)
    member = _signed_in(viewer)
    here = escape(next_path)
    parts = []
    if thread.missing_parent:
        parts.append(
            '<p class="note missing">This answers a post that was deleted or that you cannot see.</p>'
        )
    for post in thread.ancestors:
        if post.id in views:
            parts.append(card(views[post.id], member, token, here))
    focus = views[thread.focus.id]
    parts.append(f'<div class="focus">{card(focus, member, token, here)}</div>')
    parts.append(_replies_html(thread.replies, views, member, token, here))
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated value is escaped or sanitized
