"""How notifications are put into words, the same on the web and in emails (in the language
active when they are read: the page's, or the recipient's for an email)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from townsquare.notifications.models import Kind

Sentence = Callable[[int], str]

# What happened, whole: %(actors)s stands for who did it ("Fern", "Fern and 2 others"), and
# %(group)s for the group's name. The number picks the form: how many people did it.
SENTENCES: dict[str, Sentence] = {
    Kind.MENTION: lambda n: ngettext("%(actors)s mentioned you", "%(actors)s mentioned you", n),
    Kind.REPLY: lambda n: ngettext(
        "%(actors)s replied to your post", "%(actors)s replied to your post", n
    ),
    Kind.LIKE: lambda n: ngettext("%(actors)s liked your post", "%(actors)s liked your post", n),
    Kind.SHARE: lambda n: ngettext("%(actors)s shared your post", "%(actors)s shared your post", n),
    Kind.QUOTE: lambda n: ngettext("%(actors)s quoted your post", "%(actors)s quoted your post", n),
    Kind.FOLLOW: lambda n: ngettext("%(actors)s followed you", "%(actors)s followed you", n),
    Kind.FOLLOW_REQUEST: lambda n: ngettext(
        "%(actors)s asked to follow you", "%(actors)s asked to follow you", n
    ),
    Kind.POLL: lambda n: ngettext(
        "%(actors)s ended a poll you voted in", "%(actors)s ended a poll you voted in", n
    ),
    Kind.STATUS: lambda n: ngettext("%(actors)s just posted", "%(actors)s just posted", n),
    Kind.GROUP_REQUEST: lambda n: ngettext(
        "%(actors)s asked to join %(group)s", "%(actors)s asked to join %(group)s", n
    ),
    Kind.GROUP_INVITE: lambda n: ngettext(
        "%(actors)s invited you to join %(group)s", "%(actors)s invited you to join %(group)s", n
    ),
    Kind.GROUP_ACCEPTED: lambda n: ngettext(
        "%(actors)s let you into %(group)s", "%(actors)s let you into %(group)s", n
    ),
    Kind.GROUP_POST_PENDING: lambda n: ngettext(
        "%(actors)s asked to post in %(group)s", "%(actors)s asked to post in %(group)s", n
    ),
    Kind.GROUP_POST_APPROVED: lambda n: ngettext(
        "%(actors)s approved your post in %(group)s",
        "%(actors)s approved your post in %(group)s",
        n,
    ),
}
# In friends mode (the operator's switch) a follow is one side of a friendship.
FRIENDS_SENTENCES: dict[str, Sentence] = {
    Kind.FOLLOW: lambda n: ngettext(
        "%(actors)s became your friend", "%(actors)s became your friend", n
    ),
    Kind.FOLLOW_REQUEST: lambda n: ngettext(
        "%(actors)s sent you a friend request", "%(actors)s sent you a friend request", n
    ),
}
GROUP_KINDS = frozenset(
    {
        Kind.GROUP_REQUEST.value,
        Kind.GROUP_INVITE.value,
        Kind.GROUP_ACCEPTED.value,
        Kind.GROUP_POST_PENDING.value,
        Kind.GROUP_POST_APPROVED.value,
    }
)

# The tabs of the notifications page: (query value, label); "" is every kind.
TABS: tuple[tuple[str, object], ...] = (
    ("", gettext_lazy("All")),
    (Kind.MENTION.value, gettext_lazy("Mentions")),
    (Kind.REPLY.value, gettext_lazy("Replies")),
    (Kind.LIKE.value, gettext_lazy("Likes")),
    (Kind.SHARE.value, gettext_lazy("Shares")),
    (Kind.QUOTE.value, gettext_lazy("Quotes")),
    (Kind.FOLLOW.value, gettext_lazy("Follows")),
    (Kind.FOLLOW_REQUEST.value, gettext_lazy("Follow requests")),
    (Kind.POLL.value, gettext_lazy("Polls")),
    (Kind.GROUP_REQUEST.value, gettext_lazy("Group requests")),
)

OWN_POLL_ENDED = gettext_lazy("Your poll has ended")


def sentence(kind: str, people: int) -> str:
    """What `people` actors did, as this site words it, with %(actors)s (and %(group)s)."""
    from townsquare.site import features

    if kind in FRIENDS_SENTENCES and features.enabled("friends_mode"):
        return FRIENDS_SENTENCES[kind](people)
    found = SENTENCES.get(kind)
    return found(people) if found is not None else _("%(actors)s did something")


def _join(parts: Sequence[str], *, html: bool = False) -> str:
    """'Fern', 'Fern and Basil', 'Fern, Basil and Sage' (in HTML: the parts are HTML)."""
    if len(parts) == 1:
        return parts[0]
    pattern = _("%(names)s and %(last)s")
    separator = pgettext("between the names of a list", ", ")
    if html:
        pattern, separator = escape(pattern), escape(separator)
    return pattern % {"names": separator.join(parts[:-1]), "last": parts[-1]}


def _others(others: int) -> str:
    return ngettext("%(count)d other", "%(count)d others", others) % {"count": others}


def names(actor_names: Sequence[str], others: int) -> str:
    """'Fern', 'Fern and Basil', 'Fern, Basil and 3 others'."""
    shown = list(actor_names)
    if others > 0:
        shown.append(_others(others))
    if not shown:
        return _("Someone")
    return _join(shown)


def summary(
    kind: str,
    actor_names: Sequence[str],
    others: int = 0,
    *,
    own_poll: bool = False,
    group_name: str = "",
    event_title: str = "",
) -> str:
    """One line saying what happened: 'Fern and 2 others liked your post', 'Basil asked to
    join Chess Society'."""
    if kind == Kind.POLL and (own_poll or not actor_names):
        return str(OWN_POLL_ENDED) if own_poll else _("A poll you voted in has ended")
    if kind == Kind.EVENT_REMINDER:
        if event_title:
            return _("Reminder: %(event)s starts soon") % {"event": event_title}
        return _("Reminder: an event you answered starts soon")
    people = len(actor_names) + others
    return sentence(kind, people) % {
        "actors": names(actor_names, others),
        "group": group_name or _("a group"),
    }


def summary_html(
    kind: str, actors_html: Sequence[SafeString], others: int, group_html: str
) -> SafeString:
    """The same line for the web page, with the actors and the group as links (each given as
    HTML, its text escaped): the translated words around them are escaped here."""
    shown: list[str] = list(actors_html)
    if others > 0:
        shown.append(escape(_others(others)))
    actors = _join(shown, html=True) if shown else escape(_("Someone"))
    template = escape(sentence(kind, len(actors_html) + others))
    return mark_safe(  # noqa: S308 - the words are escaped; the links were built escaped
        template % {"actors": actors, "group": group_html or escape(_("a group"))}
    )


def excerpt(text: str, spoiler: str = "", length: int = 200) -> str:
    """A short plain-text extract of a post (only its content warning, when it has one)."""
    if spoiler:
        return _("Content warning: %(warning)s") % {"warning": spoiler}
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
