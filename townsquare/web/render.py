"""The HTML serializer for posts: post cards as strings, fast enough for the hot feed path.

Cards are rendered in Python rather than with a template include per post (measured: about
1 ms per post through the template engine, against microseconds here). The viewer-independent
part (header and text) is kept in a small per-process cache whose key holds everything it
shows, so no invalidation is needed: an edit makes a new key, a deleted post is never listed
again, and its counts are read with each page. Its hit rate is at /metrics (`post_html`). Counts, media, polls, link
cards and the viewer's buttons are rendered per request. Words are in the active language
(the fixed ones looked up once per language: `_words`).
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Iterable
from html import escape
from threading import Lock

from django.core.files.storage import default_storage
from django.utils import dateformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, ngettext

from townsquare.accounts.models import User
from townsquare.links.render import card_html
from townsquare.media.render import gallery_html
from townsquare.polls.render import poll_html
from townsquare.posts.display import PostView
from townsquare.posts.models import Visibility
from townsquare.posts.queries import OPEN, ListedAuthor, ListedPost
from townsquare.posts.threads import ReplyNode, Thread
from townsquare.site import emoji as custom_emoji

CACHE_SIZE = 5000
_cache: OrderedDict[tuple[object, ...], str] = OrderedDict()
_lock = Lock()


class CacheCounts:
    """The card cache's hits and misses (reported at /metrics as the `post_html` cache)."""

    hits = 0
    misses = 0


counts = CacheCounts()


@functools.lru_cache(maxsize=16)
def _words(language: str | None) -> dict[str, str]:
    """The cards' fixed words in `language` (the active one: callers pass get_language()),
    escaped for HTML."""
    words = {
        "edited": gettext("edited"),
        "show_post": gettext("Show post"),
        "reply": gettext("Reply"),
        "like": gettext("Like"),
        "unlike": gettext("Unlike"),
        "share": gettext("Share"),
        "unshare": gettext("Unshare"),
        "quote": gettext("Quote"),
        "bookmark": gettext("Bookmark"),
        "unbookmark": gettext("Remove bookmark"),
        "pin": gettext("Pin to profile"),
        "unpin": gettext("Unpin from profile"),
        "edit": gettext("Edit"),
        "approve": gettext("Approve"),
        "group_pin": gettext("Pin to the group"),
        "group_unpin": gettext("Unpin from the group"),
        "delete": gettext("Delete"),
        "report": gettext("Report"),
        "remove": gettext("Remove from the group"),
        "decline": gettext("Decline"),
        "pinned": gettext("Pinned"),
        "held": gettext("Waiting for a group moderator's approval"),
        "missing": gettext("This answers a post that was deleted or that you cannot see."),
    }
    words.update(
        {f"v{int(value)}": str(label) for value, label in Visibility.choices},
    )
    return {name: _esc(text) for name, text in words.items()}


def _esc(text: str) -> str:
    """Words for HTML text or a double-quoted attribute (apostrophes stay as they are)."""
    return escape(text, quote=False).replace('"', "&quot;")


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
    """When it was posted, in UTC, in the language's own date shape."""
    when = dateformat.format(post.created_at, get_format("DATETIME_FORMAT"))
    return _esc(gettext("%(when)s UTC") % {"when": when})


def _head(post: ListedPost) -> str:
    author = post.author
    username = escape(author.username)
    name = escape(author.display_name or author.username)
    words = _words(get_language())
    edited = f' <span class="edited">· {words["edited"]}</span>' if post.edited_at else ""
    return (
        f'<header class="post-head"><a href="/@{username}" class="who">{avatar_html(author)}'
        f'<span class="names"><strong>{name}</strong>{_verified_badge(author)}'
        f' <span class="handle">@{username}</span>'
        f'</span></a><a class="when" href="{post_url(post)}">'
        f'<time datetime="{post.created_at.isoformat()}">{_stamp(post)}</time>{edited}</a>'
        f"</header>"
    )


def _verified_badge(author: ListedAuthor) -> str:
    """The operator's verified badge beside the name (none for most authors)."""
    if not author.verified:
        return ""
    label = escape(gettext("Verified"))
    return f' <span class="verified" title="{label}" aria-label="{label}">✓</span>'


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
        author.verified,
        get_language(),  # the date, "edited" and the badge's label are in the viewer's language
        custom_emoji.version(),  # the site's emoji changed: their images change in the text
    )
    with _lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            counts.hits += 1
            return hit  # type: ignore[return-value]
        counts.misses += 1
    text = f'<div class="post-text">{custom_emoji.emojify(post.html)}</div>' if post.html else ""
    parts = (_head(post), text)
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
        f'{escape(spoiler_text)}</span> <span class="cw-toggle">'
        f"{_words(get_language())['show_post']}</span>"
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


def _sentence(template: str, **html: str) -> str:
    """A translated sentence with HTML (links) in its %(name)s places: the words are
    escaped, the HTML given is put in as it is."""
    escaped = _esc(template)
    for name, value in html.items():
        escaped = escaped.replace(f"%({name})s", value)
    return escaped


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
    words = _words(get_language())
    parts = [
        f'<span class="visibility v{int(post.visibility)}">'
        f"{words.get(f'v{int(post.visibility)}', '')}</span>"
    ]
    replies, likes, shares = post.replies_count, post.likes_count, post.shares_count
    # (gettext calls stay outside f-strings: the message extraction does not look inside.)
    replies_text = _esc(
        ngettext("%(count)d reply", "%(count)d replies", replies) % {"count": replies}
    )
    likes_text = _esc(ngettext("%(count)d like", "%(count)d likes", likes) % {"count": likes})
    shares_text = _esc(ngettext("%(count)d share", "%(count)d shares", shares) % {"count": shares})
    counts = (
        f'<a class="count" href="{url}">{replies_text}</a>'
        f'<a class="count" href="{url}/likes">{likes_text}</a>'
        f'<a class="count" href="{url}/shares">{shares_text}</a>'
    )
    parts.append(f'<span class="counts">{counts}</span>')
    if viewer is None:
        return f'<footer class="post-foot">{"".join(parts)}</footer>'
    act = f"/posts/{item.pk}"
    buttons = [f'<a class="link" href="{url}#reply">{words["reply"]}</a>']
    verb = "unlike" if view.liked else "like"
    buttons.append(_button(f"{act}/{verb}", words[verb], pressed=view.liked))
    if post.visibility in OPEN and not post.held:
        verb = "unshare" if view.shared else "share"
        buttons.append(_button(f"{act}/{verb}", words[verb], pressed=view.shared))
        buttons.append(f'<a class="link" href="/compose?quote={post.pk}">{words["quote"]}</a>')
    verb = "unbookmark" if view.bookmarked else "bookmark"
    buttons.append(_button(f"{act}/{verb}", words[verb], pressed=view.bookmarked))
    own = post.author_id == viewer.pk and item.reblog_of_id is None
    if own and post.visibility != Visibility.MENTIONED and post.group_id is None:
        verb = "unpin" if view.pinned or view.pinned_by_viewer else "pin"
        buttons.append(_button(f"/posts/{post.pk}/{verb}", words[verb]))
    own = own or (view.as_team and item.reblog_of_id is None)  # a page's post, for its team
    if own:
        buttons.append(f'<a class="link" href="/posts/{post.pk}/edit">{words["edit"]}</a>')
    if view.group_moderator and item.reblog_of_id is None and post.in_reply_to_id is None:
        if post.held:
            buttons.append(_button(f"/posts/{post.pk}/approve", words["approve"]))
        else:
            verb = "group-unpin" if view.group_pinned else "group-pin"
            buttons.append(_button(f"/posts/{post.pk}/{verb}", words[verb.replace("-", "_")]))
    if own or viewer.is_staff or view.group_removable:
        # Deleting is a whole-page action (the card goes), so no hx-post here.
        label = words["delete"] if own or viewer.is_staff else words["remove"]
        if post.held and not own:
            label = words["decline"]
        # The label is already escaped: the sentence around it is escaped on its own.
        described = _sentence(gettext("%(action)s (this post)"), action=label)
        buttons.append(
            f'<button type="submit" class="link danger" formaction="/posts/{post.pk}/delete"'
            f' aria-label="{described}">{label}</button>'
        )
    if post.author_id != viewer.pk and not view.as_team:
        buttons.append(
            f'<a class="link" href="/report?kind=post&amp;id={post.pk}">{words["report"]}</a>'
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
    words = _words(get_language())
    top = []
    if view.shared_by is not None:
        sharer = escape(view.shared_by.username)
        link = f'<a href="/@{sharer}">{escape(view.shared_by.name)}</a>'
        shared = _sentence(gettext("%(name)s shared"), name=link)
        top.append(f'<p class="shared-by">🔁 {shared}</p>')
    if view.pinned or view.group_pinned:
        top.append(f'<p class="pinned-note">📌 {words["pinned"]}</p>')
    if post.held:
        top.append(f'<p class="held-note">⏳ {words["held"]}</p>')
    if post.in_reply_to_author_id and view.reply_to_username:
        target = escape(view.reply_to_username)
        reply_href = f"/@{target}/{post.in_reply_to_id}" if post.in_reply_to_id else post_url(post)
        link = f'<a href="{reply_href}">@{target}</a>'
        replying = _sentence(gettext("Replying to %(name)s"), name=link)
        top.append(f'<p class="reply-to">{replying}</p>')
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
            more = ngettext(
                "Show %(count)d more reply", "Show %(count)d more replies", node.hidden
            ) % {"count": node.hidden}
            below += f'<p class="more-replies"><a href="{post_url(node.post)}">{_esc(more)}</a></p>'
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
        parts.append(f'<p class="note missing">{_words(get_language())["missing"]}</p>')
    for post in thread.ancestors:
        if post.id in views:
            parts.append(card(views[post.id], member, token, here))
    focus = views[thread.focus.id]
    parts.append(f'<div class="focus">{card(focus, member, token, here)}</div>')
    parts.append(_replies_html(thread.replies, views, member, token, here))
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated value is escaped or sanitized
