"""The operator's content rules (`ContentRule`) applied to what members write: posts, profiles,
messages and sign-ups. The write layer of each calls `check(...)` before its transaction (a
rule that rejects raises a ValidationError carrying the rule's message: a form error on the
web, a 422 in the API) and `apply(...)` inside it, after the write (hold, mark sensitive,
report, limit), so the outcome commits or rolls back with the content.

Rules are compiled once per process and read again at most every `REFRESH_SECONDS`, or at
once in the process that changed them (`forget()`), as `site.state` does. With no rule
enabled for a subject, checking costs one comparison.

ReDoS defence: Python's `re` has no timeout, so a pattern is refused when it is longer than
`MAX_PATTERN_LENGTH`, uses a back-reference, or repeats something that itself repeats or
alternates (nested quantifiers such as `(a+)+`, `(a|aa)+`: the catastrophic backtracking
cases); and every rule
reads at most `MAX_TEXT_LENGTH` characters of the text.

A rule in dry run (`dry_run`) records what it catches (`RuleHit.acted` False) and acts on
nothing. "Hold" holds a post (`Post.held`: seen by its author only until a moderator releases
it) and files an automated report so it reaches the moderation queue; a sign-up caught by
"hold" waits for a moderator's approval; a held profile or message is reported (neither has a
state of waiting)."""

from __future__ import annotations

import hashlib
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from townsquare.accounts.models import User
from townsquare.core.text import extract_mentions
from townsquare.moderation.models import ContentRule, RuleHit, RuleKind, RuleOutcome, RuleSubject

REFRESH_SECONDS = 5.0
MAX_PATTERN_LENGTH = 200
MAX_PATTERNS = 200
MAX_TEXT_LENGTH = 10_000
LIMIT_DURATION = timedelta(days=7)
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
DEFAULTS: dict[str, dict[str, int]] = {
    RuleKind.NEW_ACCOUNT_LIMITS: {"days": 3, "links": 0, "mentions": 3, "posts_per_hour": 10},
    RuleKind.DUPLICATE_FLOOD: {"count": 3, "minutes": 10, "across_accounts": 0},
    RuleKind.MENTION_FLOOD: {"per_post": 10, "per_hour": 30, "days": 3},
}


# --- text ------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Case- and accent-insensitive form: decomposed, combining marks dropped, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text[:MAX_TEXT_LENGTH])
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def text_hash(text: str) -> str:
    """The same text whatever its case, accents and spacing."""
    return hashlib.sha256(" ".join(normalize(text).split()).encode()).hexdigest()[:32]


def links_in(text: str) -> list[str]:
    return URL_RE.findall(text[:MAX_TEXT_LENGTH])


def domain_of(link: str) -> str:
    try:
        return (urlsplit(link).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def _excerpt(text: str, start: int = 0) -> str:
    return text[max(0, start - 40) : start + 120].strip()[:200]


# --- compiling (and refusing dangerous patterns) ----------------------------------------------


def _repeats(parsed: Any) -> bool:
    """Whether the parsed pattern has a repeat (of more than one) or an alternation anywhere
    in it: either, repeated, can match one text in very many ways."""
    for op, av in parsed:
        if op == sre_constants.BRANCH:
            return True
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            if av[1] > 1 or _repeats(av[2]):
                return True
        elif _dangerous_children(op, av, _repeats):
            return True
    return False


def _dangerous_children(op: Any, av: Any, test: Any) -> bool:
    if op == sre_constants.SUBPATTERN:
        return bool(test(av[3]))
    if op == sre_constants.BRANCH:
        return any(test(branch) for branch in av[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return bool(test(av[1]))
    return False


def _nested(parsed: Any) -> bool:
    """Whether a repeat repeats something that itself repeats, or a back-reference is used."""
    for op, av in parsed:
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
            if av[1] > 1 and _repeats(av[2]):
                return True
            if _nested(av[2]):
                return True
        elif op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS) or _dangerous_children(
            op, av, _nested
        ):
            return True
    return False


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A member-safe compiled pattern, or ValidationError saying why not."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(
            _("A pattern is at most %(count)d characters.") % {"count": MAX_PATTERN_LENGTH}
        )
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
        compiled = re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValidationError(
            _("“%(pattern)s” is not a valid regular expression: %(error)s")
            % {"pattern": pattern, "error": str(exc)}
        ) from None
    if _nested(parsed):
        raise ValidationError(
            _(
                "“%(pattern)s” repeats something that repeats or alternates, or refers back to "
                "a group: "
                "such patterns can take very long on some texts. Write it without nesting."
            )
            % {"pattern": pattern}
        )
    return compiled


def keyword_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    cleaned = [normalize(w.strip()) for w in words if w.strip()]
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(set(cleaned), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@dataclass(frozen=True)
class Compiled:
    id: int
    name: str
    subjects: frozenset[str]
    kind: str
    outcome: str
    message: str
    dry_run: bool
    items: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    numbers: dict[str, int] = field(default_factory=dict)


def thresholds(kind: str, parameters: dict[str, Any]) -> dict[str, int]:
    numbers = dict(DEFAULTS.get(kind, {}))
    for key in numbers:
        value = parameters.get(key)
        if value is not None and value != "":
            numbers[key] = int(value)
    return numbers


def compile_rule(rule: ContentRule) -> Compiled:
    """The rule ready to run (ValidationError when its parameters are not acceptable)."""
    params = rule.parameters if isinstance(rule.parameters, dict) else {}
    items = tuple(str(i).strip() for i in params.get("items", []) if str(i).strip())
    patterns: tuple[re.Pattern[str], ...] = ()
    if rule.kind == RuleKind.KEYWORDS:
        found = keyword_pattern(items)
        patterns = (found,) if found else ()
    elif rule.kind == RuleKind.REGEX:
        patterns = tuple(compile_pattern(p) for p in items)
    elif rule.kind == RuleKind.LINK_DOMAINS:
        items = tuple(i.lower().lstrip("*.").rstrip(".") for i in items)
    return Compiled(
        id=rule.pk,
        name=rule.name,
        subjects=frozenset(rule.applies_to or ()),
        kind=rule.kind,
        outcome=rule.outcome,
        message=rule.message,
        dry_run=rule.dry_run,
        items=items,
        patterns=patterns,
        numbers=thresholds(rule.kind, params),
    )


# --- the per-process cache --------------------------------------------------------------------

_lock = threading.Lock()
_current: dict[str, Any] = {"read_at": float("-inf"), "rules": ()}


def _load() -> tuple[Compiled, ...]:
    compiled = []
    for rule in ContentRule.objects.filter(enabled=True):
        try:
            compiled.append(compile_rule(rule))
        except ValidationError:
            continue  # saved before a tighter check: skipped rather than breaking writes
    return tuple(compiled)


def active_rules() -> tuple[Compiled, ...]:
    with _lock:
        if time.monotonic() - _current["read_at"] < REFRESH_SECONDS:
            return tuple(_current["rules"])
    rules = _load()
    with _lock:
        _current.update(read_at=time.monotonic(), rules=rules)
    return rules


def forget() -> None:
    """A rule changed: read them again at the next write."""
    with _lock:
        _current["read_at"] = float("-inf")


# --- evaluating ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    rule: Compiled
    excerpt: str


@dataclass
class Decision:
    subject: str
    hits: list[Hit] = field(default_factory=list)

    def acting(self, outcome: str) -> list[Hit]:
        return [h for h in self.hits if not h.rule.dry_run and h.rule.outcome == outcome]

    @property
    def hold(self) -> bool:
        return bool(self.acting(RuleOutcome.HOLD))


@dataclass
class Subject:
    """What is evaluated: `kind` a RuleSubject; `account` the writer (None for a sign-up not
    made yet); counts are the writer's recent activity (None: read when a rule needs it)."""

    kind: str
    account: User | None
    text: str
    links: list[str]
    mentions: list[str]
    posts_last_hour: int | None = None
    mentions_last_hour: int | None = None


def _account_age_days(account: User | None) -> float:
    if account is None or account.pk is None:
        return 0.0
    return (timezone.now() - account.created_at).total_seconds() / 86400


def _posts_last_hour(subject: Subject) -> int:
    if subject.posts_last_hour is None:
        subject.posts_last_hour = 0
        if subject.account is not None and subject.account.pk is not None:
            since = timezone.now() - timedelta(hours=1)
            if subject.kind == RuleSubject.MESSAGES:
                from townsquare.messaging.models import Message

                count = Message.objects.filter(
                    sender=subject.account, created_at__gte=since
                ).count()
            else:
                from townsquare.posts.models import Post

                count = Post.objects.filter(author=subject.account, created_at__gte=since).count()
            subject.posts_last_hour = count
    return subject.posts_last_hour


def _mentions_last_hour(subject: Subject) -> int:
    if subject.mentions_last_hour is None:
        subject.mentions_last_hour = 0
        if subject.account is not None and subject.account.pk is not None:
            from townsquare.posts.models import Mention

            since = timezone.now() - timedelta(hours=1)
            subject.mentions_last_hour = Mention.objects.filter(
                post__author=subject.account, post__created_at__gte=since
            ).count()
    return subject.mentions_last_hour


def _flood_count(rule: Compiled, subject: Subject) -> int:
    """Count this text in the rule's window (cache; fixed window from the first time)."""
    scope = (
        "all" if rule.numbers["across_accounts"] or subject.account is None else subject.account.pk
    )
    key = f"rules:flood:{rule.id}:{subject.kind}:{scope}:{text_hash(subject.text)}"
    cache.add(key, 0, rule.numbers["minutes"] * 60)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between the two calls
        cache.set(key, 1, rule.numbers["minutes"] * 60)
        return 1


def match(rule: Compiled, subject: Subject, *, live: bool = True) -> str | None:
    """The excerpt `rule` catches in `subject`, or None. `live`: a real write (flood counters
    move); False for testing over recent content, where the caller counts floods."""
    text = subject.text[:MAX_TEXT_LENGTH]
    if rule.kind == RuleKind.KEYWORDS:
        for pattern in rule.patterns:
            found = pattern.search(normalize(text))
            if found:
                return found.group(0)
        return None
    if rule.kind == RuleKind.REGEX:
        for pattern in rule.patterns:
            found = pattern.search(text)
            if found:
                return _excerpt(text, found.start())
        return None
    if rule.kind == RuleKind.LINK_DOMAINS:
        for link in subject.links:
            host = domain_of(link)
            if any(host == d or host.endswith("." + d) for d in rule.items):
                return link[:200]
        return None
    n = rule.numbers
    if rule.kind == RuleKind.NEW_ACCOUNT_LIMITS:
        if _account_age_days(subject.account) >= n["days"]:
            return None
        if len(subject.links) > n["links"]:
            return _("%(count)d links from a new account") % {"count": len(subject.links)}
        if len(subject.mentions) > n["mentions"]:
            return _("%(count)d mentions from a new account") % {"count": len(subject.mentions)}
        if (
            subject.kind in (RuleSubject.POSTS, RuleSubject.MESSAGES)
            and _posts_last_hour(subject) + 1 > n["posts_per_hour"]
        ):
            return _("more than %(count)d in an hour from a new account") % {
                "count": n["posts_per_hour"]
            }
        return None
    if rule.kind == RuleKind.MENTION_FLOOD:
        if len(subject.mentions) > n["per_post"]:
            return _("%(count)d mentions at once") % {"count": len(subject.mentions)}
        if (
            subject.mentions
            and _account_age_days(subject.account) < n["days"]
            and _mentions_last_hour(subject) + len(subject.mentions) > n["per_hour"]
        ):
            return _("more than %(count)d mentions in an hour from a new account") % {
                "count": n["per_hour"]
            }
        return None
    if rule.kind == RuleKind.DUPLICATE_FLOOD:
        if live and text.strip() and _flood_count(rule, subject) >= n["count"]:
            return _excerpt(text)
        return None
    return None


def evaluate(
    kind: str,
    account: User | None,
    text: str,
    links: Sequence[str] | None = None,
    mentions: Sequence[str] | None = None,
) -> Decision:
    """What the enabled rules for `kind` say about this writing (nothing is recorded)."""
    decision = Decision(kind)
    rules = [r for r in active_rules() if kind in r.subjects]
    if not rules:
        return decision
    subject = Subject(
        kind=kind,
        account=account,
        text=text or "",
        links=list(links) if links is not None else links_in(text or ""),
        mentions=list(mentions) if mentions is not None else extract_mentions(text or ""),
    )
    for rule in rules:
        excerpt = match(rule, subject)
        if excerpt is not None:
            decision.hits.append(Hit(rule, excerpt))
    return decision


def _record(decision: Decision, subject_id: int | None, account: User | None) -> None:
    for hit in decision.hits:
        RuleHit.objects.create(
            rule_id=hit.rule.id,
            subject=decision.subject,
            subject_id=subject_id,
            account=account if account is not None and account.pk is not None else None,
            acted=not hit.rule.dry_run,
            excerpt=hit.excerpt[:200],
        )
    for rule_id in {hit.rule.id for hit in decision.hits}:
        ContentRule.objects.filter(pk=rule_id).update(hits=F("hits") + 1)


def check(
    kind: str,
    account: User | None,
    text: str,
    *,
    links: Sequence[str] | None = None,
    mentions: Sequence[str] | None = None,
    field_name: str = "text",
) -> Decision:
    """Evaluate before writing: a rule that rejects raises ValidationError({field_name: its
    message}) (its hit, and any dry-run hits, are recorded first). The decision goes to
    `apply` after the write."""
    decision = evaluate(kind, account, text, links, mentions)
    rejecting = decision.acting(RuleOutcome.REJECT)
    if rejecting:
        _record(decision, None, account)
        message = rejecting[0].rule.message or _("This was refused by the site's rules.")
        raise ValidationError({field_name: message})
    return decision


def apply(
    decision: Decision, *, subject_id: int | None, account: User | None, post: Any = None
) -> None:
    """After the write, in its transaction: record the hits, then mark sensitive (posts),
    report and limit. Holding a post is the caller's (`Post.held` is set as it is created)."""
    if not decision.hits:
        return
    with transaction.atomic():
        _record(decision, subject_id, account)
        reason = "; ".join(
            _("Content rule “%(name)s”: %(excerpt)s") % {"name": h.rule.name, "excerpt": h.excerpt}
            for h in decision.hits
            if not h.rule.dry_run
        )
        if post is not None and decision.acting(RuleOutcome.SENSITIVE):
            from townsquare.moderation.enforcement import system_mark_sensitive

            system_mark_sensitive(post, reason)
        reported = decision.acting(RuleOutcome.REPORT) + decision.acting(RuleOutcome.HOLD)
        if reported and account is not None:
            from townsquare.moderation.rule_reports import file_automated

            file_automated(decision.subject, subject_id, account, reason)
        if decision.acting(RuleOutcome.LIMIT) and account is not None and not account.is_limited:
            from townsquare.moderation.enforcement import system_limit

            system_limit(account, reason=reason, duration=LIMIT_DURATION)
