"""Post jobs: publishing scheduled posts when they are due."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from townsquare.core.jobs import INTERACTIVE, enqueue, retried
from townsquare.core.ratelimit import RateLimited


@task(priority=INTERACTIVE)
@retried()
def publish_scheduled_post(scheduled_id: int) -> int | None:
    """Publish a scheduled post if it is due; returns the new post's id (None: nothing done)."""
    from townsquare.posts.actions.scheduling import publish_scheduled

    try:
        post = publish_scheduled(scheduled_id)
    except RateLimited as exc:  # the author posted a lot just now: publish a little later
        later = timezone.now() + timedelta(seconds=max(exc.retry_after, 1))
        enqueue(publish_scheduled_post.using(run_after=later), scheduled_id)
        return None
    return post.pk if post is not None else None
