"""The evidence hold: what moderators took down is kept, hidden, for the operator's
`evidence_hold_days` (site settings) so it can be handed over on a lawful request, then
deleted for good.

- A post removed by a moderator (`Post.removed_at`, see moderation.enforcement) and not
  restored since is deleted once the hold is over, as its author's deletion would
  (`posts.actions.publishing.erase_post`: media files, counts, feeds, notifications).
- An account suspended until lifted, whose suspension began longer ago than the hold, has
  its content removed by the account deletion machinery (`accounts.deletion`), as a staff
  deletion does it: at once, without a grace period. The records of what moderators did
  (Enforcement, Strike, Statement) stay: they hold no content.

Until then the content stays hidden everywhere (posts.visibility) and staff can read it on
the case page. `purge_expired` runs as an hourly chore; each batch is one transaction, and
running it twice (or in two workers at once) does no harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from townsquare.accounts.models import AccountDeletion, User
from townsquare.core.jobs import enqueue
from townsquare.moderation.enforcement import FOREVER
from townsquare.moderation.models import Enforcement, EnforcementKind
from townsquare.posts.actions.publishing import erase_post
from townsquare.posts.models import Post
from townsquare.site import state as site_state

logger = logging.getLogger(__name__)

BATCH = 100
MAX_BATCHES = 50  # per run: the chore comes back within the hour for the rest


@dataclass
class Purged:
    posts: int = 0
    accounts: int = 0


def hold_period() -> timedelta:
    return timedelta(days=site_state.site_settings().evidence_hold_days)


def purge_expired(now: datetime | None = None) -> Purged:
    """Delete the removed posts and the suspended accounts' content whose hold is over."""
    now = now or timezone.now()
    cutoff = now - hold_period()
    purged = Purged()
    for _batch in range(MAX_BATCHES):
        done = _purge_posts(cutoff)
        purged.posts += done
        if done < BATCH:
            break
    purged.accounts = _purge_accounts(cutoff)
    if purged.posts or purged.accounts:
        logger.info(
            "evidence hold over: %d posts deleted, %d accounts queued for deletion",
            purged.posts,
            purged.accounts,
        )
    return purged


def _purge_posts(cutoff: datetime) -> int:
    """One batch, one transaction: the rows are locked (skipping those another worker holds)
    and checked again, so a removal lifted meanwhile keeps its post."""
    with transaction.atomic():
        posts = list(
            Post.objects.select_for_update(skip_locked=True)
            .filter(removed_at__isnull=False, removed_at__lte=cutoff)
            .order_by("removed_at", "id")[:BATCH]
        )
        for post in posts:
            erase_post(post)
    return len(posts)


def _due_accounts(cutoff: datetime) -> list[int]:
    """Accounts suspended until lifted since before `cutoff`, not being deleted already."""
    suspended = Enforcement.objects.filter(
        kind=EnforcementKind.SUSPEND,
        group__isnull=True,
        ends_at__isnull=True,
        lifted_at__isnull=True,
        starts_at__lte=cutoff,
    ).values("account_id")
    return list(
        User.objects.filter(pk__in=suspended, suspended_until=FOREVER, is_active=True)
        .exclude(pk__in=AccountDeletion.objects.values("member_id"))
        .order_by("pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def _purge_accounts(cutoff: datetime) -> int:
    from townsquare.accounts import deletion, tasks

    started = 0
    for account_id in _due_accounts(cutoff):
        with transaction.atomic():
            member = User.objects.select_for_update().filter(pk=account_id).first()
            if (
                member is None
                or not member.is_active
                or member.suspended_until != FOREVER
                or AccountDeletion.objects.filter(member_id=account_id).exists()
            ):
                continue  # lifted or handled meanwhile
            # Due at once (the real time: the job compares with it), as staff deletions are.
            today = timezone.now()
            AccountDeletion.objects.create(
                member_id=account_id, requested_at=today, due_at=today, deleted_at=None
            )
            User.objects.filter(pk=account_id).update(is_active=False)
            deletion._sign_out_everywhere(member)
            enqueue(tasks.delete_account_data, account_id)
        started += 1
    return started


def chore() -> None:
    purge_expired()
