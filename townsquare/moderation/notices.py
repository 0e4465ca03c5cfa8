"""Notices of illegal content (EU DSA Art. 16) from anyone, with or without an account.

A notice names one or more links of this site (a post, a profile, a group or a page), a
category, an explanation of why it is illegal, the notifier's name and email (which may be
left out only for child sexual abuse material: Art. 16(2)(c), the offences of Articles 3 to 7
of Directive 2011/93/EU) and a good-faith statement. Each link becomes a report (source
"notice") joining the open case of what it links to; the notifier gets an acknowledgement by
email with the notice's reference, and the decision when a moderator closes the case
(`notify_decided`, called by `moderation.cases`)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from townsquare.accounts.models import User
from townsquare.core.jobs import enqueue
from townsquare.core.ratelimit import Limit
from townsquare.moderation.actions import Target, find_target, priority_of
from townsquare.moderation.actions import _open_case as open_case
from townsquare.moderation.models import (
    Case,
    CaseState,
    Notice,
    Report,
    ReportCategory,
    Source,
    TargetKind,
)

# The notice form's own category: the one where the notifier may stay anonymous. Its reports
# are filed as illegal content (the report's comment names it).
CHILD_ABUSE = "csam"
ANONYMOUS_CATEGORIES = frozenset({CHILD_ABUSE})
MAX_URLS = 20
MAX_EXPLANATION = 5000
MAX_LEGAL_GROUND = 500
MAX_NAME = 200
NOTICES_PER_IP = Limit("notice-ip", 10, 60 * 60)


def categories() -> list[tuple[str, str]]:
    """The categories a notice may have (value, label), illegal content first."""
    first = [
        (ReportCategory.LEGAL.value, str(ReportCategory.LEGAL.label)),
        (CHILD_ABUSE, str(gettext_lazy("Child sexual abuse material"))),
    ]
    rest = [
        (value, str(label))
        for value, label in ReportCategory.choices
        if value not in (ReportCategory.LEGAL, ReportCategory.VIOLATION, ReportCategory.OTHER)
    ]
    return first + rest + [(ReportCategory.OTHER.value, str(ReportCategory.OTHER.label))]


def category_label(value: str) -> str:
    return dict(categories()).get(value, value)


def _site_hosts(extra: Sequence[str]) -> set[str]:
    hosts = {urlsplit(settings.BASE_URL).netloc.lower()}
    return hosts | {host.lower() for host in extra if host}


def split_urls(text: str) -> list[str]:
    """The links of the form's box: one per line (or separated by spaces)."""
    return list(dict.fromkeys(part for part in (text or "").split() if part))


def resolve_url(viewer: User | AnonymousUser, url: str, hosts: Sequence[str] = ()) -> Target:
    """What a link of this site points at (a post, a profile, a group or a page), as `viewer`
    may see it; ValidationError naming the link otherwise."""
    error = ValidationError(
        _("%(url)s is not a post, profile, group or page of this site.") % {"url": url[:200]}
    )
    parts = urlsplit(url.strip())
    foreign = parts.scheme not in ("http", "https") or parts.netloc.lower() not in _site_hosts(
        hosts
    )
    if (parts.scheme or parts.netloc) and foreign:
        raise error
    if not parts.path.startswith("/"):
        raise error
    try:
        match = resolve(parts.path)
    except Resolver404:
        raise error from None
    viewer_user = viewer if isinstance(viewer, User) else AnonymousUser()
    try:
        if match.url_name == "post":
            return find_target(viewer_user, TargetKind.POST, int(match.kwargs["post_id"]))  # type: ignore[arg-type]
        if match.url_name == "profile":
            account = User.objects.filter(
                username__iexact=match.kwargs["username"], is_active=True
            ).first()
            if account is None:
                raise error
            return find_target(viewer_user, TargetKind.ACCOUNT, account.pk)  # type: ignore[arg-type]
        if match.url_name == "group":
            from townsquare.communities.models import Group

            group = Group.objects.filter(handle__iexact=match.kwargs["handle"]).first()
            if group is None:
                raise error
            return find_target(viewer_user, TargetKind.GROUP, group.pk)  # type: ignore[arg-type]
    except (Http404, ValueError):
        raise error from None
    raise error


@dataclass
class NoticeForm:
    """What the notifier wrote (already through the form's own checks)."""

    urls: list[str]
    category: str
    explanation: str
    legal_ground: str = ""
    name: str = ""
    email: str = ""
    good_faith: bool = False
    language: str = ""
    hosts: list[str] = field(default_factory=list)  # the host the form was served on


def _clean(data: NoticeForm) -> dict[str, str]:
    problems: dict[str, list[str]] = {}

    def problem(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    if data.category not in dict(categories()):
        problem("category", _("Choose a category."))
    explanation = (data.explanation or "").strip()
    if not explanation:
        problem("explanation", _("Explain why this content is illegal."))
    elif len(explanation) > MAX_EXPLANATION:
        problem(
            "explanation",
            _("The explanation has at most %(count)d characters.") % {"count": MAX_EXPLANATION},
        )
    legal_ground = " ".join((data.legal_ground or "").split())
    if len(legal_ground) > MAX_LEGAL_GROUND:
        problem(
            "legal_ground",
            _("The legal ground has at most %(count)d characters.") % {"count": MAX_LEGAL_GROUND},
        )
    name = " ".join((data.name or "").split())
    email = (data.email or "").strip()
    anonymous_allowed = data.category in ANONYMOUS_CATEGORIES
    if not name and not anonymous_allowed:
        problem("name", _("Give your name."))
    if len(name) > MAX_NAME:
        problem("name", _("A name has at most %(count)d characters.") % {"count": MAX_NAME})
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problem("email", _("Enter a valid email address."))
    elif not anonymous_allowed:
        problem("email", _("Give your email address: we send the decision there."))
    if not data.good_faith:
        problem(
            "good_faith",
            _("Confirm that you believe the information in this notice is accurate and complete."),
        )
    if problems:
        raise ValidationError(problems)
    return {"explanation": explanation, "legal_ground": legal_ground, "name": name, "email": email}


def _targets(viewer: User | AnonymousUser, data: NoticeForm) -> list[tuple[str, Target]]:
    urls = data.urls
    if not urls:
        raise ValidationError({"urls": _("Give the link of the content.")})
    if len(urls) > MAX_URLS:
        raise ValidationError(
            {"urls": _("A notice names at most %(count)d links.") % {"count": MAX_URLS}}
        )
    found, problems = [], []
    for url in urls:
        try:
            found.append((url, resolve_url(viewer, url, data.hosts)))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError({"urls": problems})
    return found


def _reference() -> str:
    return "N-" + secrets.token_hex(4).upper()


def file_notice(viewer: User | AnonymousUser, data: NoticeForm, *, ip: str | None) -> Notice:
    """Record a notice and its reports, and email its acknowledgement. ValidationError for
    bad input (by field); RateLimited past NOTICES_PER_IP."""
    cleaned = _clean(data)
    targets = _targets(viewer, data)
    NOTICES_PER_IP.hit(ip or "-")
    member = viewer if isinstance(viewer, User) and viewer.is_authenticated else None
    category = (
        ReportCategory.LEGAL if data.category == CHILD_ABUSE else ReportCategory(data.category)
    )
    with transaction.atomic():
        notice = Notice.objects.create(
            reference=_reference(),
            member=member,
            category=data.category,
            urls=[url for url, _target in targets],
            good_faith=True,
            language=(data.language or "")[:16],
            **cleaned,
        )
        header = _("Notice %(reference)s · %(category)s") % {
            "reference": notice.reference,
            "category": category_label(data.category),
        }
        comment = header + "\n" + cleaned["explanation"]
        if cleaned["legal_ground"]:
            comment += "\n" + _("Legal ground: %(ground)s") % {"ground": cleaned["legal_ground"]}
        for _url, about in targets:
            _file(member, about, notice, category, comment)
    if notice.email:
        _send(notice, *_acknowledgement(notice))
    return notice


def _file(member: User | None, about: Target, notice: Notice, category: str, comment: str) -> None:
    case = open_case(about)
    new_case = case.report_count == 0 and not case.reports.exists()
    Report.objects.create(
        reporter=member,
        target=about.account,
        kind=about.kind,
        object_id=about.object_id,
        case=case,
        post_ids=[about.object_id] if about.kind == TargetKind.POST else [],
        comment=comment,
        category=category,
        source=Source.NOTICE,
        notice=notice,
    )
    fields = ["report_count", "priority", "updated_at"]
    if new_case:
        case.source = Source.NOTICE
        fields.append("source")
    case.report_count = case.reports.count()
    case.priority = priority_of(
        set(case.reports.values_list("category", flat=True)), case.report_count
    )
    case.updated_at = timezone.now()
    case.save(update_fields=fields)


# --- emails ------------------------------------------------------------------------------------


def _send(notice: Notice, subject: str, body: str) -> None:
    from townsquare.accounts.tasks import send_email

    enqueue(send_email, subject, body, notice.email)


def _site_name() -> str:
    from townsquare.site import state

    return state.site_settings().name or "Townsquare"


def _acknowledgement(notice: Notice) -> tuple[str, str]:
    with translation.override(notice.language or None):
        subject = _("We received your notice %(reference)s") % {"reference": notice.reference}
        body = render_to_string(
            "moderation/email/notice_received.txt",
            {
                "notice": notice,
                "site_name": _site_name(),
                "links": "\n".join(f"  {url}" for url in notice.urls),
            },
        )
    return subject, body


def notify_notice_decision(notice: Notice, decision_text: str, case: Case | None = None) -> bool:
    """Email the notifier the decision on their notice (`decision_text`: what was decided,
    in words; with `case`, how to appeal it). False when they left no email address."""
    if not notice.email:
        return False
    from townsquare.moderation import notice_appeals

    appeal = notice_appeals.appeal_of(notice, case) if case is not None else None
    with translation.override(notice_appeals.language_of(notice)):
        subject = _("The decision on your notice %(reference)s") % {"reference": notice.reference}
        body = render_to_string(
            "moderation/email/notice_decided.txt",
            {
                "notice": notice,
                "site_name": _site_name(),
                "decision_text": decision_text,
                "appeal_until": appeal[0] if appeal else "",
                "appeal_link": appeal[1] if appeal else "",
            },
        )
    _send(notice, subject, body)
    return True


def outcome_text(case: Case, language: str) -> str:
    """The decision on a closed case, in words, in `language`."""
    with translation.override(language or None):
        if case.state == CaseState.DISMISSED:
            return _(
                "After review, the moderators took no action: they did not find that the "
                "content breaks the law or the site's rules."
            )
        return _("After review, the moderators acted on the content you told us about.")


def notify_decided(case: Case) -> int:
    """Tell the notifiers of a case that was just dismissed or resolved (once each, after
        the transaction commits), with a signed link to appeal the decision
    (`moderation.notice_appeals`); how many notices were told."""
    from townsquare.moderation.notice_appeals import language_of

    notices = list(Notice.objects.filter(reports__case=case).distinct())
    for notice in notices:  # the emails are jobs, queued when the transaction commits
        notify_notice_decision(notice, outcome_text(case, language_of(notice)), case)
    return len(notices)


def thanks_message(notice: Notice) -> str:
    count = len(notice.urls)
    return ngettext(
        "Your notice about %(count)d link was received.",
        "Your notice about %(count)d links was received.",
        count,
    ) % {"count": count}
