"""The write layer for the operator's content rules (`moderation.rules` applies them): create,
edit, switch on or off, switch dry run, and test a rule over recent content without acting.
Permission: `manage_settings`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.text import extract_mentions
from townsquare.moderation import audit
from townsquare.moderation import rules as engine
from townsquare.moderation.models import ContentRule, RuleKind, RuleOutcome, RuleSubject

PERMISSION = "manage_settings"
MAX_TEST_ITEMS = 5000
MAX_TEST_DAYS = 30
MAX_CATCHES = 200
LIST_KINDS = (RuleKind.KEYWORDS, RuleKind.REGEX, RuleKind.LINK_DOMAINS)
MAX_THRESHOLD = 1_000_000


def _check(actor: User) -> None:
    if not actor.can(PERMISSION):
        raise PermissionDenied(_("You do not have the permission to do that."))


def _fields(rule: ContentRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "applies_to": list(rule.applies_to),
        "kind": rule.kind,
        "parameters": rule.parameters,
        "outcome": rule.outcome,
        "message": rule.message,
        "enabled": rule.enabled,
        "dry_run": rule.dry_run,
    }


def _clean(
    *,
    name: str,
    applies_to: Iterable[str],
    kind: str,
    items: Sequence[str],
    numbers: dict[str, Any],
    outcome: str,
    message: str,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = [_("Give the rule a name.")]
    elif len(name) > 100:
        errors["name"] = [_("At most 100 characters.")]
    subjects = [s for s in RuleSubject.values if s in set(applies_to)]
    if not subjects or len(subjects) != len(set(applies_to)):
        errors["applies_to"] = [_("Choose what the rule looks at.")]
    if kind not in RuleKind.values:
        errors["kind"] = [_("Choose a kind of rule.")]
    if outcome not in RuleOutcome.values:
        errors["outcome"] = [_("Choose what happens when the rule catches something.")]
    message = (message or "").strip()
    if len(message) > 300:
        errors["message"] = [_("At most 300 characters.")]
    parameters: dict[str, Any] = {}
    if kind in LIST_KINDS:
        cleaned = list(dict.fromkeys(i.strip() for i in items if i.strip()))
        if not cleaned:
            errors["items"] = [_("Write at least one, one a line.")]
        elif len(cleaned) > engine.MAX_PATTERNS:
            errors["items"] = [_("At most %(count)d, one a line.") % {"count": engine.MAX_PATTERNS}]
        parameters["items"] = cleaned
    elif kind in engine.DEFAULTS:
        for key, default in engine.DEFAULTS[kind].items():
            value = numbers.get(key)
            try:
                number = default if value in (None, "") else int(value)
            except (TypeError, ValueError):
                number = -1
            if not 0 <= number <= MAX_THRESHOLD:
                errors[key] = [_("Give a whole number from 0.")]
            parameters[key] = number
    if not errors:
        probe = ContentRule(kind=kind, parameters=parameters, applies_to=subjects)
        try:
            engine.compile_rule(probe)
        except ValidationError as exc:
            errors["items"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "applies_to": subjects,
        "kind": kind,
        "parameters": parameters,
        "outcome": outcome,
        "message": message,
    }


def _saved() -> None:
    engine.forget()
    transaction.on_commit(engine.forget)


def save_rule(
    actor: User,
    rule: ContentRule | None = None,
    *,
    name: str,
    applies_to: Iterable[str],
    kind: str,
    items: Sequence[str] = (),
    numbers: dict[str, Any] | None = None,
    outcome: str,
    message: str = "",
    enabled: bool | None = None,
    dry_run: bool | None = None,
) -> ContentRule:
    """Create a rule (`rule` None: off and in dry run unless said otherwise) or change one."""
    _check(actor)
    values = _clean(
        name=name,
        applies_to=applies_to,
        kind=kind,
        items=items,
        numbers=numbers or {},
        outcome=outcome,
        message=message,
    )
    with transaction.atomic():
        before = _fields(rule) if rule is not None else {}
        if rule is None:
            rule = ContentRule(enabled=bool(enabled), dry_run=dry_run is not False)
        else:
            rule = ContentRule.objects.select_for_update().get(pk=rule.pk)
            if enabled is not None:
                rule.enabled = enabled
            if dry_run is not None:
                rule.dry_run = dry_run
        for key, value in values.items():
            setattr(rule, key, value)
        rule.updated_at = timezone.now()
        rule.save()
        action = "rule.update" if before else "rule.create"
        audit.record(actor, action, target=_target(rule), before=before, after=_fields(rule))
        _saved()
    return rule


def _target(rule: ContentRule) -> audit.Target:
    return audit.Target("content_rule", rule.pk, rule.name)


def set_flags(
    actor: User, rule: ContentRule, *, enabled: bool | None = None, dry_run: bool | None = None
) -> ContentRule:
    """Switch a rule on or off, or in or out of dry run."""
    _check(actor)
    with transaction.atomic():
        fresh = ContentRule.objects.select_for_update().get(pk=rule.pk)
        before = _fields(fresh)
        if enabled is not None:
            fresh.enabled = enabled
        if dry_run is not None:
            fresh.dry_run = dry_run
        fresh.updated_at = timezone.now()
        fresh.save(update_fields=["enabled", "dry_run", "updated_at"])
        audit.record(
            actor, "rule.update", target=_target(fresh), before=before, after=_fields(fresh)
        )
        _saved()
    return fresh


def delete_rule(actor: User, rule: ContentRule) -> None:
    _check(actor)
    with transaction.atomic():
        audit.record(actor, "rule.delete", target=_target(rule), before=_fields(rule), after={})
        ContentRule.objects.filter(pk=rule.pk).delete()
        _saved()


# --- testing over recent content ---------------------------------------------------------------


@dataclass(frozen=True)
class Catch:
    """What a rule would have caught: a post, a message, a profile or a sign-up."""

    subject: str  # a RuleSubject
    subject_id: int
    account: User | None
    created_at: datetime
    excerpt: str
    text: str


def _recent(subject: str, since: datetime, budget: int) -> list[tuple[int, User, datetime, str]]:
    if budget <= 0:
        return []
    if subject == RuleSubject.POSTS:
        from townsquare.posts.models import Post

        posts = (
            Post.objects.filter(created_at__gte=since, reblog_of__isnull=True)
            .select_related("author")
            .order_by("-id")[:budget]
        )
        return [
            (p.pk, p.author, p.created_at, f"{p.spoiler_text}\n{p.text}".strip()) for p in posts
        ]
    if subject == RuleSubject.MESSAGES:
        from townsquare.messaging.models import Message

        rows = (
            Message.objects.filter(created_at__gte=since)
            .exclude(text="")
            .select_related("sender")
            .order_by("-id")[:budget]
        )
        return [(m.pk, m.sender, m.created_at, m.text) for m in rows]
    accounts = User.objects.order_by("-created_at")
    if subject == RuleSubject.SIGNUPS:
        found = accounts.filter(created_at__gte=since)[:budget]
        return [(u.pk, u, u.created_at, f"{u.username}\n{u.email}") for u in found]
    found = accounts.filter(is_active=True).exclude(bio="", display_name="")[:budget]
    return [(u.pk, u, u.created_at, _profile_text(u)) for u in found]


def _profile_text(user: User) -> str:
    parts = [user.display_name, user.bio]
    for item in user.fields or []:
        parts += [str(item.get("name", "")), str(item.get("value", ""))]
    return "\n".join(p for p in parts if p)


def try_rule(actor: User, rule: ContentRule, *, days: int = 7) -> list[Catch]:
    """What `rule` would have caught over the last `days` days (at most `MAX_TEST_ITEMS`
    items read in all, newest first), without recording or acting on anything."""
    _check(actor)
    days = max(1, min(int(days), MAX_TEST_DAYS))
    compiled = engine.compile_rule(rule)
    since = timezone.now() - timedelta(days=days)
    catches: list[Catch] = []
    budget = MAX_TEST_ITEMS
    for subject in rule.applies_to:
        items = _recent(subject, since, budget)
        budget -= len(items)
        if compiled.kind == RuleKind.DUPLICATE_FLOOD:
            catches += _floods(compiled, subject, items)
            continue
        for subject_id, account, created_at, text in items:
            probe = engine.Subject(
                kind=subject,
                account=account,
                text=text,
                links=_links(subject, text),
                mentions=[] if subject == RuleSubject.SIGNUPS else extract_mentions(text),
            )
            if compiled.kind in (RuleKind.NEW_ACCOUNT_LIMITS, RuleKind.MENTION_FLOOD):
                probe.posts_last_hour = 0  # the counts at the time are not known: per item only
                probe.mentions_last_hour = 0
            excerpt = engine.match(compiled, probe, live=False)
            if excerpt is not None:
                catches.append(Catch(subject, subject_id, account, created_at, excerpt, text))
    catches.sort(key=lambda c: c.created_at, reverse=True)
    return catches[:MAX_CATCHES]


def _links(subject: str, text: str) -> list[str]:
    if subject == RuleSubject.SIGNUPS:
        domain = text.rpartition("@")[2].strip().lower()
        return [f"https://{domain}/"] if domain else []
    return engine.links_in(text)


def _floods(
    rule: engine.Compiled, subject: str, items: list[tuple[int, User, datetime, str]]
) -> list[Catch]:
    """The items whose same text came `count` times within `minutes` (by one account, or
    across accounts when the rule says so)."""
    window = timedelta(minutes=rule.numbers["minutes"])
    groups: dict[tuple[Any, str], list[tuple[int, User, datetime, str]]] = defaultdict(list)
    for item in items:
        if not item[3].strip():
            continue
        scope = "all" if rule.numbers["across_accounts"] else item[1].pk
        groups[(scope, engine.text_hash(item[3]))].append(item)
    caught: list[Catch] = []
    for rows in groups.values():
        rows.sort(key=lambda r: r[2])
        for index, row in enumerate(rows):
            earlier = [r for r in rows[: index + 1] if row[2] - r[2] <= window]
            if len(earlier) >= rule.numbers["count"]:
                caught.append(Catch(subject, row[0], row[1], row[2], row[3][:200], row[3]))
    return caught
