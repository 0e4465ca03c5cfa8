"""'Delete my account': the account is deactivated at once (nobody sees the member or their
posts any more, every session and app is signed out) and deleted for good once the grace
period has passed. Logging in during the grace period offers to cancel (see
`pending_for_login` and web/views/data.py); after it, a job removes what the member had here
in batches, each batch one transaction, safe to run twice:

- their posts (with media files, polls, edits; shares of them by others go with them), their
  shares, likes (the counts of the posts they liked are recounted), bookmarks, pins;
- the direct messages they sent, for everyone (as Mastodon does), with their images, and
  their place in every conversation;
- follows and follow requests both ways, blocks and mutes both ways, featured members,
  notes, lists, filters, hashtag follows, notifications to them and about what they did,
  group memberships and page roles, events they host, uploads, archives, sessions and apps.

What stays: the account row, anonymised (no email, password, name, bio or pictures; the
username stays reserved so nobody can take it to pass for them), with this module's
AccountDeletion row as the tombstone (`deleted_at`); the reports they filed and the reports
about them, and the records of moderators' decisions on the account (enforcements, strikes,
statements: no content; see moderation.evidence for how long content is held); their votes in
others' polls, which count anonymously (a tally does not change after the fact).

Everything else pointing at the account goes by a sweep over the models that cascade from
it, so a table added later is covered without touching this module; KEPT names the
exceptions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from townsquare.accounts import actions as account_actions
from townsquare.accounts.languages import speaking_to
from townsquare.accounts.models import AccountDeletion, DataExport, Role, User, UserSession
from townsquare.accounts.tasks import send_email
from townsquare.communities.actions import transfer_ownership
from townsquare.communities.models import Membership, MembershipState, PageRole, PageRoleKind
from townsquare.communities.models import Role as GroupRole
from townsquare.core.jobs import enqueue
from townsquare.core.ratelimit import Limit
from townsquare.events.models import Event
from townsquare.media import actions as media_actions
from townsquare.media import tasks as media_tasks
from townsquare.media.models import MediaAttachment
from townsquare.messaging.models import Conversation, Message, Participant
from townsquare.posts.models import Like, Post, Visibility
from townsquare.realtime import publish as realtime
from townsquare.site import state as site_state

logger = logging.getLogger(__name__)

GRACE_PERIOD = timedelta(days=30)
DELETION_REQUESTS_PER_ACCOUNT = Limit("account-deletion", 10, 60 * 60)
BATCH = 200
SECONDS_PER_RUN = 30.0  # then the job hands over to a new one
# Tables whose rows about a deleted member are kept (app label, model name).
KEPT = frozenset(
    {
        ("moderation", "report"),  # evidence: reports by them and about them
        ("moderation", "enforcement"),  # the record of moderators' actions (no content)
        ("moderation", "strike"),
        ("polls", "pollvote"),  # tallies stay as they were; the voter is the tombstone
        ("accounts", "accountdeletion"),  # the tombstone itself
    }
)

DONE = "done"
MORE = "more"
NOT_DUE = "not due"


class DeletionPending(account_actions.LoginRefused):
    """The right password for an account waiting to be deleted: it may cancel."""

    def __init__(self, member: User) -> None:
        super().__init__(_("This account is scheduled for deletion."))
        self.member = member


# --- asking, cancelling ---------------------------------------------------------------------


def pending_deletion(member: User) -> AccountDeletion | None:
    """The member's deletion while it can still be cancelled."""
    return AccountDeletion.objects.filter(
        member_id=member.pk, deleted_at__isnull=True, due_at__gt=timezone.now()
    ).first()


def blockers(member: User) -> list[str]:
    """Why the account cannot be deleted yet: groups it owns, pages it is the last admin of."""
    problems = []
    owned = Membership.objects.filter(
        member=member, role=GroupRole.OWNER, state=MembershipState.MEMBER
    ).select_related("group")
    for place in owned:
        problems.append(
            _(
                "You own the group %(name)s (@%(handle)s): hand it over to another member, "
                "or delete it, first."
            )
            % {"name": place.group.name, "handle": place.group.handle}
        )
    run = PageRole.objects.filter(
        member=member, role=PageRoleKind.ADMIN, page__is_active=True
    ).select_related("page")
    for role in run:
        others = PageRole.objects.filter(
            page_id=role.page_id, role=PageRoleKind.ADMIN, member__is_active=True
        ).exclude(member=member)
        if not others.exists():
            problems.append(
                _(
                    "You are the only admin of the page %(name)s (@%(handle)s): make "
                    "someone else an admin first."
                )
                % {"name": role.page.name, "handle": role.page.username}
            )
    return problems


def request_deletion(request: HttpRequest, member: User, password: str) -> AccountDeletion:
    """Deactivate the account now and schedule its deletion after GRACE_PERIOD; this
    browser and every other session and app are signed out. ValidationError for a wrong
    password or while the member owns a group or is a page's last admin."""
    DELETION_REQUESTS_PER_ACCOUNT.hit(str(member.pk))
    if not member.check_password(password):
        raise ValidationError({"password": _("That is not your password.")})
    problems = blockers(member)
    if problems:
        raise ValidationError(problems)
    from townsquare.accounts import tasks

    now = timezone.now()
    with transaction.atomic():
        row, _created = AccountDeletion.objects.update_or_create(
            member=member,
            defaults={"requested_at": now, "due_at": now + GRACE_PERIOD, "deleted_at": None},
        )
        User.objects.filter(pk=member.pk).update(is_active=False)
        _sign_out_everywhere(member)
        enqueue(tasks.delete_account_data.using(run_after=row.due_at), member.pk)
        _tell(member, row)
    logout(request)
    member.is_active = False
    return row


def _sign_out_everywhere(member: User) -> None:
    account_actions.end_sessions(member)
    from oauth2_provider.models import (
        get_access_token_model,
        get_grant_model,
        get_refresh_token_model,
    )

    for model in (get_refresh_token_model(), get_access_token_model(), get_grant_model()):
        model.objects.filter(user_id=member.pk).delete()


def _tell(member: User, row: AccountDeletion) -> None:
    site_name = site_state.site_name()
    with speaking_to(member):  # the email (and its date) in the member's language
        body = render_to_string(
            "accounts/email/deletion_scheduled.txt",
            {
                "user": member,
                "site_name": site_name,
                "due": formats.date_format(row.due_at, "DATE_FORMAT"),
                "link": settings.BASE_URL + reverse("login"),
            },
        )
        subject = _("Your %(site)s account will be deleted") % {"site": site_name}
    enqueue(send_email, subject, body, member.email)


def pending_for_login(user_id: int, password: str) -> User | None:
    """The account, when it waits for deletion (and can still be saved) and `password` is
    its own; called only after a login failed, within the login throttling."""
    if not AccountDeletion.objects.filter(
        member_id=user_id, deleted_at__isnull=True, due_at__gt=timezone.now()
    ).exists():
        return None
    member = User.objects.filter(pk=user_id, is_page=False, email_confirmed=True).first()
    if member is None or getattr(member, "login_disabled_at", None) is not None:
        return None  # (staff disabled its login: no way in, this one included)
    return member if member.check_password(password) else None


def cancel_deletion(member: User) -> bool:
    """Keep the account after all: it is active again, as it was. False when there was no
    deletion left to cancel (the grace period is over)."""
    with transaction.atomic():
        row = (
            AccountDeletion.objects.select_for_update()
            .filter(member_id=member.pk, deleted_at__isnull=True, due_at__gt=timezone.now())
            .first()
        )
        if row is None:
            return False
        row.delete()
        User.objects.filter(pk=member.pk).update(is_active=True)
    member.is_active = True
    return True


# --- deleting (the job) ---------------------------------------------------------------------


def due_deletions(older_than: timedelta = timedelta(hours=1)) -> list[int]:
    """Members whose deletion is overdue (their scheduled job was lost): for the janitor."""
    cutoff = timezone.now() - older_than
    return list(
        AccountDeletion.objects.filter(deleted_at__isnull=True, due_at__lt=cutoff).values_list(
            "member_id", flat=True
        )[:100]
    )


def run_deletion(member_id: int) -> str:
    """Delete what the member had here, if their grace period is over: DONE (or already
    done), MORE (time is up for this run: run again), NOT_DUE (cancelled, or not yet)."""
    row = AccountDeletion.objects.filter(member_id=member_id).first()
    if row is None or row.due_at > timezone.now():
        return NOT_DUE
    if row.deleted_at is not None:
        return DONE
    member = User.objects.get(pk=member_id)
    if member.is_active:  # (never: cancelling removes the row) stay on the safe side
        return NOT_DUE
    started = time.monotonic()
    for step in _STEPS:
        while True:
            with transaction.atomic():
                handled = step(member)
            if not handled:
                break
            if time.monotonic() - started > SECONDS_PER_RUN:
                return MORE  # (each run gets at least one batch done)
    with transaction.atomic():
        _anonymise(member)
        AccountDeletion.objects.filter(pk=row.pk).update(deleted_at=timezone.now())
    logger.info("account %s deleted", member_id)
    return DONE


def _recount(post_ids: set[int], field: str, related: str) -> None:
    """Set `field` of these posts to the number of their `related` rows."""
    if not post_ids:
        return
    model = Like if related == "like" else Post
    link = {"like": "post_id", "replies": "in_reply_to_id", "shares": "reblog_of_id"}[related]
    counted = (
        model.objects.filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk"))
        .values("n")
    )
    Post.objects.filter(pk__in=post_ids).update(**{field: Coalesce(Subquery(counted), Value(0))})


def _posts(member: User) -> int:
    rows = list(
        Post.objects.filter(author_id=member.pk)
        .order_by("-id")
        .values("id", "in_reply_to_id", "reblog_of_id", "visibility", "group_id")[:BATCH]
    )
    if not rows:
        return 0
    ids = [row["id"] for row in rows]
    for row in rows:
        public = row["visibility"] == Visibility.PUBLIC and row["group_id"] is None
        realtime.post_deleted(row["id"], member.pk, public=public)
    media_actions.discard_for_posts(ids)
    Post.objects.filter(pk__in=ids).delete()
    gone = set(ids)
    _recount(
        {r["in_reply_to_id"] for r in rows if r["in_reply_to_id"]} - gone,
        "replies_count",
        "replies",
    )
    _recount(
        {r["reblog_of_id"] for r in rows if r["reblog_of_id"]} - gone, "shares_count", "shares"
    )
    return len(rows)


def _messages(member: User) -> int:
    rows = list(
        Message.objects.filter(sender_id=member.pk)
        .order_by("id")
        .values_list("id", "conversation_id")[:BATCH]
    )
    if not rows:
        return 0
    ids = [pk for pk, _conversation in rows]
    media_actions.discard_for_messages(ids)
    Message.objects.filter(pk__in=ids).delete()
    newest = Message.objects.filter(conversation_id=OuterRef("pk")).order_by("-id").values("id")
    Conversation.objects.filter(pk__in={cid for _pk, cid in rows}).update(
        last_message_id=Coalesce(Subquery(newest[:1]), Value(0))
    )
    return len(rows)


def _conversations(member: User) -> int:
    """Leave every conversation; one nobody is left in goes."""
    places = list(
        Participant.objects.filter(member_id=member.pk).values_list("id", "conversation_id")[:BATCH]
    )
    if not places:
        return 0
    Participant.objects.filter(pk__in=[pk for pk, _cid in places]).delete()
    Conversation.objects.filter(pk__in={cid for _pk, cid in places}).exclude(
        pk__in=Participant.objects.values("conversation_id")
    ).delete()
    return len(places)


def _uploads(member: User) -> int:
    ids = list(
        MediaAttachment.objects.filter(
            owner_id=member.pk, post__isnull=True, message__isnull=True
        ).values_list("id", flat=True)[:BATCH]
    )
    if ids:
        media_actions.discard_uploads(member, ids)
    return len(ids)


def _likes(member: User) -> int:
    rows = list(Like.objects.filter(user_id=member.pk).values_list("id", "post_id")[:BATCH])
    if not rows:
        return 0
    Like.objects.filter(pk__in=[pk for pk, _post in rows]).delete()
    _recount({post for _pk, post in rows}, "likes_count", "like")
    return len(rows)


def _events(member: User) -> int:
    rows = list(Event.objects.filter(host_id=member.pk).values_list("id", "cover")[:BATCH])
    if not rows:
        return 0
    Event.objects.filter(pk__in=[pk for pk, _cover in rows]).delete()
    covers = [cover for _pk, cover in rows if cover]
    if covers:
        enqueue(media_tasks.delete_files, covers)
    return len(rows)


def _archives(member: User) -> int:
    rows = list(DataExport.objects.filter(member_id=member.pk).values_list("id", "path")[:BATCH])
    if not rows:
        return 0
    DataExport.objects.filter(pk__in=[pk for pk, _path in rows]).delete()
    paths = [path for _pk, path in rows if path]
    if paths:
        from townsquare.accounts import tasks

        enqueue(tasks.delete_archives, paths)
    return len(rows)


def _groups(member: User) -> int:
    """(Refused when asked; should the member own a group by now all the same, it passes to
    its longest-standing member of the highest role.)"""
    owned = Membership.objects.filter(
        member_id=member.pk, role=GroupRole.OWNER, state=MembershipState.MEMBER
    ).select_related("group")
    for place in owned:
        heir = (
            Membership.objects.filter(
                group_id=place.group_id, state=MembershipState.MEMBER, member__is_active=True
            )
            .exclude(member_id=member.pk)
            .order_by("-role", "created_at")
            .first()
        )
        if heir is not None:
            transfer_ownership(member, place.group, heir.member_id)
    return 0


def cascading_references() -> list[tuple[type[models.Model], str]]:
    """Every (model, field) whose rows go when an account is deleted (on_delete=CASCADE),
    but those of KEPT tables."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if (meta.app_label, meta.model_name) in KEPT:
            continue
        for field in meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)
                and field.related_model is User
                and field.remote_field.on_delete is models.CASCADE
                and model is not User
            ):
                found.append((model, field.name))
    return found


def _everything_else(member: User) -> int:
    handled = 0
    for model, field in cascading_references():
        ids = list(
            model._base_manager.filter(**{field: member.pk}).values_list("pk", flat=True)[:BATCH]
        )
        if ids:
            model._base_manager.filter(pk__in=ids).delete()
            handled += len(ids)
    return handled


_STEPS: tuple[Callable[[User], int], ...] = (
    _groups,
    _posts,
    _messages,
    _conversations,
    _uploads,
    _likes,
    _events,
    _archives,
    _everything_else,
)


def _anonymise(member: User) -> None:
    """The tombstone: the id and the username (reserved), nothing else of the person."""
    files = [path for path in (member.avatar, member.header) if path]
    member.email = f"deleted-{member.pk}@deleted.invalid"
    member.email_confirmed = False
    member.set_unusable_password()
    member.display_name = ""
    member.bio = ""
    member.bio_html = ""
    member.fields = []
    member.avatar = ""
    member.header = ""
    member.locked = False
    member.discoverable = False
    member.show_posts_to_visitors = False
    member.default_language = ""
    member.role = Role.MEMBER
    member.is_active = False
    member.save(
        update_fields=[
            "email",
            "email_confirmed",
            "password",
            "display_name",
            "bio",
            "bio_html",
            "fields",
            "avatar",
            "header",
            "locked",
            "discoverable",
            "show_posts_to_visitors",
            "default_language",
            "role",
            "is_active",
        ]
    )
    UserSession.objects.filter(user_id=member.pk).delete()
    if files:
        enqueue(media_tasks.delete_files, files)
