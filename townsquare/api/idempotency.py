"""Idempotency-Key: a client that sends the same write twice (a retry after a lost answer)
gets what the first one made. Keys are the member's own and last a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from townsquare.accounts.models import User
from townsquare.api.models import IdempotentRequest

KEEP_FOR = timedelta(days=1)
MAX_KEY = 200


def key_of(request: HttpRequest) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    return key[:MAX_KEY] or None


def earlier(user: User, key: str) -> int | None:
    """The id made by an earlier request with this key, within the last day."""
    return (
        IdempotentRequest.objects.filter(
            user=user, key=key, created_at__gt=timezone.now() - KEEP_FOR
        )
        .values_list("result_id", flat=True)
        .first()
    )


def once(user: User, key: str | None, make: Callable[[], int]) -> tuple[int, bool]:
    """Run `make` (which returns the id of what it made) unless a request with the same key
    already did: returns (id, made now). The key is written in the same transaction as what
    `make` writes, so two requests racing with one key make one thing: the second waits for
    the first's key (the unique constraint) and answers with its id."""
    if key is None:
        return make(), True
    found = earlier(user, key)
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            # A stale key (older than a day, not yet swept) gives way to the new request.
            IdempotentRequest.objects.filter(
                user=user, key=key, created_at__lte=timezone.now() - KEEP_FOR
            ).delete()
            row = IdempotentRequest.objects.create(user=user, key=key, result_id=0)
            made = make()
            IdempotentRequest.objects.filter(pk=row.pk).update(result_id=made)
            return made, True
    except IntegrityError:
        found = earlier(user, key)
        if found is None:
            raise
        return found, False


def sweep() -> int:
    """Forget keys older than a day (a janitor chore)."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=timezone.now() - KEEP_FOR).delete()
    return deleted


def forget(user: User, key: str) -> None:
    """Drop a key whose result is gone (deleted), so the request makes it again."""
    IdempotentRequest.objects.filter(user=user, key=key).delete()
