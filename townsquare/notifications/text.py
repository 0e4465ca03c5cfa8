"""How notifications are put into words, the same on the web and in emails."""

from __future__ import annotations

from collections.abc import Sequence

from townsquare.notifications.models import Kind

# What the actors did, after their names ("Fern and 2 others" + " liked your post").
VERBS: dict[str, str] = {
    Kind.MENTION: "mentioned you",
    Kind.REPLY: "replied to your post",
    Kind.LIKE: "liked your post",
    Kind.SHARE: "shared your post",
    Kind.QUOTE: "quoted your post",
    Kind.FOLLOW: "followed you",
    Kind.FOLLOW_REQUEST: "asked to follow you",
    Kind.POLL: "ended a poll you voted in",
    Kind.STATUS: "just posted",
    # Group kinds: the group's name follows.
    Kind.GROUP_REQUEST: "asked to join",
    Kind.GROUP_INVITE: "invited you to join",
    Kind.GROUP_ACCEPTED: "let you into",
    Kind.GROUP_POST_PENDING: "asked to post in",
    Kind.GROUP_POST_APPROVED: "approved your post in",
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
TABS: tuple[tuple[str, str], ...] = (
    ("", "All"),
    (Kind.MENTION.value, "Mentions"),
    (Kind.REPLY.value, "Replies"),
    (Kind.LIKE.value, "Likes"),
    (Kind.SHARE.value, "Shares"),
    (Kind.QUOTE.value, "Quotes"),
    (Kind.FOLLOW.value, "Follows"),
    (Kind.FOLLOW_REQUEST.value, "Follow requests"),
    (Kind.POLL.value, "Polls"),
    (Kind.GROUP_REQUEST.value, "Group requests"),
)

OWN_POLL_ENDED = "Your poll has ended"

# In friends mode (the operator's switch) a follow is one side of a friendship.
FRIENDS_VERBS: dict[str, str] = {
    Kind.FOLLOW: "became your friend",
    Kind.FOLLOW_REQUEST: "sent you a friend request",
}


def verb(kind: str) -> str:
    """What the actors did, as this site words it."""
    from townsquare.site import features

    if kind in FRIENDS_VERBS and features.enabled("friends_mode"):
        return FRIENDS_VERBS[kind]
    return VERBS.get(kind, "did something")


def names(actor_names: Sequence[str], others: int) -> str:
    """'Fern', 'Fern and Basil', 'Fern, Basil and 3 others'."""
    shown = list(actor_names)
    if others > 0:
        shown.append(f"{others} other" + ("" if others == 1 else "s"))
    if not shown:
        return "Someone"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


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
        return OWN_POLL_ENDED if own_poll else "A poll you voted in has ended"
    if kind == Kind.EVENT_REMINDER:
        return f"Reminder: {event_title or 'an event you answered'} starts soon"
    line = f"{names(actor_names, others)} {verb(kind)}"
    return f"{line} {group_name}" if kind in GROUP_KINDS and group_name else line


def excerpt(text: str, spoiler: str = "", length: int = 200) -> str:
    """A short plain-text extract of a post (only its content warning, when it has one)."""
    if spoiler:
        return f"Content warning: {spoiler}"
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
