"""Publishing, editing and deleting posts (replies and quote shares included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from townsquare.accounts.models import User
from townsquare.accounts.queries import can_act_as, render_member_text
from townsquare.accounts.restrictions import check_can_write
from townsquare.communities import queries as group_queries
from townsquare.communities.models import Group, Role
from townsquare.core import ratelimit, words
from townsquare.core.jobs import enqueue
from townsquare.feeds import tasks as feed_tasks
from townsquare.feeds.actions import add_to_home
from townsquare.graph.queries import is_blocked_between
from townsquare.links import actions as link_actions
from townsquare.media import actions as media_actions
from townsquare.moderation import rules as content_rules
from townsquare.moderation.models import RuleSubject
from townsquare.notifications.actions import notify, withdraw
from townsquare.notifications.models import Kind
from townsquare.polls import actions as poll_actions
from townsquare.posts.models import Hashtag, Mention, Post, PostHashtag, Visibility
from townsquare.posts.queries import OPEN, can_see
from townsquare.realtime import publish as realtime
from townsquare.site.limits import current_limits

MAX_SPOILER_LENGTH = 500
NOT_AVAILABLE = gettext_lazy("That post is not available.")


@dataclass(frozen=True)
class PollSpec:
    options: list[str]
    multiple: bool = False
    expires_in: int = 24 * 60 * 60
    hide_totals: bool = False  # counts hidden until the poll ends


def _clean_text(text: str, *, required: bool) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    limit = current_limits().post_length
    if required and not text:
        raise ValidationError({"text": _("Write something before posting.")})
    if len(text) > limit:
        raise ValidationError(
            {
                "text": _("Posts are at most %(most)s characters (%(count)s now).")
                % {"most": words.number(limit), "count": words.number(len(text))}
            }
        )
    return text


def _clean_spoiler(spoiler_text: str) -> str:
    spoiler = " ".join((spoiler_text or "").split())
    if len(spoiler) > MAX_SPOILER_LENGTH:
        raise ValidationError(
            {
                "spoiler_text": _("Content warnings are at most %(count)d characters.")
                % {"count": MAX_SPOILER_LENGTH}
            }
        )
    return spoiler


def _level(visibility: int | str) -> Visibility:
    try:
        return Visibility(int(visibility))
    except (TypeError, ValueError):
        raise ValidationError({"visibility": _("Choose who can see this post.")}) from None


def _visible_target(author: User, post: Post | None) -> Post | None:
    """The post answered or quoted, as the author may see it (a share stands for its original)."""
    if post is None:
        return None
    if post.reblog_of_id is not None:
        post = post.reblog_of
    if post is None or not can_see(author, post):
        raise ValidationError(str(NOT_AVAILABLE))
    return post


def _mentionable(author: User, names: Sequence[str], extra: Sequence[User] = ()) -> list[User]:
    """The active members a post mentions, less the author and anyone blocked either way."""
    people = {user.pk: user for user in User.objects.filter(username__in=names, is_active=True)}
    for user in extra:
        people.setdefault(user.pk, user)
    return [
        user
        for user in people.values()
        if user.pk != author.pk and user.is_active and not is_blocked_between(author.pk, user.pk)
    ]


def _record_tags(post: Post, names: Sequence[str]) -> None:
    PostHashtag.objects.filter(post=post).delete()
    if not names:
        return
    for name in names:
        Hashtag.objects.get_or_create(name=name)
    tags = Hashtag.objects.filter(name__in=names)
    PostHashtag.objects.bulk_create([PostHashtag(post=post, hashtag=tag) for tag in tags])


def create_post(
    author: User,
    *,
    text: str,
    visibility: int | str = Visibility.PUBLIC,
    in_reply_to: Post | None = None,
    quote_of: Post | None = None,
    spoiler_text: str = "",
    sensitive: bool = False,
    media_ids: Sequence[int] = (),
    poll: PollSpec | None = None,
    application_id: int | None = None,
    group: Group | None = None,
) -> Post:
    """Publish a post, a reply (`in_reply_to`) or a quote share (`quote_of`); in `group`, or
    in the group of the post answered (members only; such a post is seen as the group's
    privacy says, and reaches the group's members rather than the author's followers).

    Text becomes safe HTML; mentions, hashtags, media, a poll and a link preview are recorded
    with it in one transaction; the post reaches the author's home feed at once and its
    audience's feeds by fan-out jobs. A reply is never more public than what it answers
    when that is followers-only or mentioned-only, and it always reaches the author answered.
    """
    if not author.is_active:
        raise PermissionDenied(_("This account cannot post."))
    check_can_write(author)
    text = _clean_text(text, required=not media_ids)
    spoiler = _clean_spoiler(spoiler_text)
    level = _level(visibility)
    parent = _visible_target(author, in_reply_to)
    quoted = _visible_target(author, quote_of)
    if quoted is not None and quoted.visibility not in OPEN:
        raise ValidationError(_("Only public posts can be quoted."))
    if quoted is not None and not shareable_outside(quoted):
        raise ValidationError(_("Posts of a private or secret group stay in the group."))
    group_id = parent.group_id if parent is not None else (group.pk if group else None)
    if parent is not None and parent.held:
        raise ValidationError(_("That post is waiting for the group's approval."))
    held = False
    if group_id is not None:
        held = _check_group_posting(author, group_id, reply=parent is not None)
        level = Visibility.PUBLIC  # the group's privacy decides who sees it
    if parent is not None and parent.visibility >= Visibility.FOLLOWERS:
        level = Visibility(max(level, parent.visibility))
    if poll is not None and media_ids:
        raise ValidationError({"poll": _("A post can have a poll or media, not both.")})
    if poll is not None:
        poll_actions.ensure_enabled()
    ratelimit.POSTS_PER_ACCOUNT.hit(str(author.pk))

    rendered = render_member_text(text)
    caught = content_rules.check(
        RuleSubject.POSTS, author, f"{spoiler}\n{text}".strip(), mentions=rendered.mentions
    )
    with transaction.atomic():
        post = Post.objects.create(
            author=author,
            text=text,
            html=rendered.html,
            visibility=level,
            spoiler_text=spoiler,
            sensitive=bool(sensitive) or bool(spoiler),
            in_reply_to=parent,
            in_reply_to_author_id=parent.author_id if parent is not None else None,
            quote_of=quoted,
            application_id=application_id,
            group_id=group_id,
            held=held or caught.hold,
        )
        post.conversation_id = parent.thread_root_id if parent is not None else post.pk
        Post.objects.filter(pk=post.pk).update(conversation_id=post.conversation_id)
        answered = [parent.author] if parent is not None else []
        mentioned = _mentionable(author, rendered.mentions, answered)
        Mention.objects.bulk_create([Mention(post=post, user=user) for user in mentioned])
        _record_tags(post, rendered.hashtags)
        if media_ids:
            media_actions.attach(author, post, list(media_ids))
        if poll is not None:
            poll_actions.create_poll(
                post,
                options=poll.options,
                multiple=poll.multiple,
                expires_in=poll.expires_in,
                hide_totals=poll.hide_totals,
            )
        _schedule_preview(post)
        if parent is not None:
            Post.objects.filter(pk=parent.pk).update(replies_count=F("replies_count") + 1)
        content_rules.apply(caught, subject_id=post.pk, account=author, post=post)
        if held:
            for moderator_id in group_queries.moderator_ids_of(group_id or 0):
                # Without the post: the moderators reach it through the group's queue.
                notify(moderator_id, Kind.GROUP_POST_PENDING, actor_id=author.pk, group_id=group_id)
        elif not caught.hold:  # held by a content rule: announced when released
            _announce(post, parent, quoted, mentioned)
    return post


def _check_group_posting(author: User, group_id: int, *, reply: bool) -> bool:
    """Refuse a post or reply by someone who is not a member of the group, or is muted in it;
    answer whether a new post (not a reply) waits for a moderator's approval."""
    if group_queries.is_read_only(group_id):  # frozen or suspended by the site's moderators
        raise group_queries.read_only_error()
    place = group_queries.posting_place(author, group_id)
    if place is None:
        raise ValidationError(_("Join the group to post in it."))
    if place.muted_until is not None and place.muted_until > timezone.now():
        # Translators: a date in the form of Django's date filter (F: the month's name).
        pattern = pgettext("date format of a day and time", "j F Y, H:i")
        until = dateformat.format(timezone.localtime(place.muted_until), pattern)
        raise ValidationError(
            _("The group's moderators muted you here until %(when)s.") % {"when": until}
        )
    return not reply and place.group.approve_posts and place.role < Role.MODERATOR


def _announce(
    post: Post, parent: Post | None, quoted: Post | None, mentioned: Sequence[User]
) -> None:
    """Tell the people concerned and put the post in feeds and streams: at once for a new
    post, on approval for a group post that waited for it."""
    author_id = post.author_id
    if parent is not None:
        notify(parent.author_id, Kind.REPLY, actor_id=author_id, post_id=post.pk)
    if quoted is not None:
        notify(quoted.author_id, Kind.QUOTE, actor_id=author_id, post_id=post.pk)
    for user in mentioned:
        if parent is None or user.pk != parent.author_id:
            notify(user.pk, Kind.MENTION, actor_id=author_id, post_id=post.pk)
    add_to_home(author_id, [post.pk], author_id)
    enqueue(feed_tasks.fan_out_post, post.pk)
    realtime.post_created(post.pk, author_id)


def _settle_pending_notice(post: Post) -> None:
    """A held post approved or deleted: the moderators' notice of its author's waiting posts
    goes once none of that author's posts waits any more."""
    if post.group_id is None:
        return
    waiting = Post.objects.filter(group_id=post.group_id, author_id=post.author_id, held=True)
    if not waiting.exclude(pk=post.pk).exists():
        withdraw(Kind.GROUP_POST_PENDING, actor_id=post.author_id, group_id=post.group_id)


def shareable_outside(post: Post) -> bool:
    """A post of a private or secret group cannot be shared or quoted outside it, nor can a
    post still waiting for its group's approval."""
    if post.held:
        return False
    return post.group_id is None or group_queries.is_public_group(post.group_id)


def _schedule_preview(post: Post) -> None:
    link_actions.schedule_preview(post.pk, post.text)


def may_delete(actor: User, post: Post) -> bool:
    """Its author, a site moderator, the team of the page that posted it, or for a group post
    the group's moderators when the author's role there is below theirs."""
    if actor.pk == post.author_id or actor.is_staff or can_act_as(actor, post.author):
        return True
    return post.group_id is not None and group_queries.outranks(
        actor, post.group_id, post.author_id
    )


def delete_post(actor: User, post: Post) -> None:
    """Delete a post (its author, a site moderator, or for a group post the group's
    moderators); it leaves every feed with it, its counts
    leave the posts it answered or shared, and its media files are removed."""
    if not may_delete(actor, post):
        raise PermissionDenied(_("You can only delete your own posts."))
    ratelimit.WRITES_PER_ACCOUNT.hit(str(actor.pk))
    erase_post(post)


def adjust_parent_counts(post: Post, step: int) -> None:
    """Count `post` out of (-1) or back into (+1) the replies of the post it answers and the
    shares of the post it shares: when it is deleted, or removed by a moderator and the
    removal lifted (moderation.enforcement). Counts never go below zero."""
    counted = (("in_reply_to_id", "replies_count"), ("reblog_of_id", "shares_count"))
    for link, column in counted:
        parent_id = getattr(post, link)
        if parent_id is None:
            continue
        found = Post.objects.filter(pk=parent_id)
        if step < 0:
            found = found.filter(**{f"{column}__gt": 0})
        found.update(**{column: F(column) + step})


def erase_post(post: Post) -> None:
    """Delete a post for good, cleaning up as its author's deletion does (counts, shares'
    notifications, media files, feeds): for `delete_post` and the site's own chores (the
    evidence hold of moderation.evidence), which check who may first."""
    with transaction.atomic():
        if post.removed_at is None:  # a removed post's counts were taken back on removal
            adjust_parent_counts(post, -1)
        if post.reblog_of_id is not None:
            withdraw(Kind.SHARE, actor_id=post.author_id, post_id=post.reblog_of_id)
        media_actions.discard_for_posts([post.pk])
        if post.held:
            _settle_pending_notice(post)
        # Group posts never reach the public and hashtag streams: nothing to tell there.
        public = post.visibility == Visibility.PUBLIC and post.group_id is None
        realtime.post_deleted(post.pk, post.author_id, public=public)
        post.delete()
