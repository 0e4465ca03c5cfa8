"""Appeals by notifiers without an account (DSA article 20): the decision email sent about a
notice (`notices.notify_decided`) carries a signed link, valid six months, to the public
appeal form (`/appeals/notice/<token>`, protected like the notice form). The token names the
notice and the decision (a statement, or a case closed without one); the outcome is emailed
to the notice's address in the language the notice was filed in (else the site's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from townsquare.accounts.languages import site_language, supported_language
from townsquare.core.jobs import enqueue
from townsquare.moderation import appeals
from townsquare.moderation.models import Appeal, AppealState, Case, Notice, Statement

_SALT = "townsquare.appeal.notice"
# Six calendar months at most (the decision's own deadline is checked too).
LINK_MAX_AGE = timedelta(days=184)


@dataclass(frozen=True)
class Link:
    """What a valid link names."""

    notice: Notice
    decision: appeals.Decision

    @property
    def case(self) -> Case | None:
        if isinstance(self.decision, Case):
            return self.decision
        return self.decision.case


def token_for(notice: Notice, decision: appeals.Decision) -> str:
    kind = "s" if isinstance(decision, Statement) else "c"
    return signing.dumps({"n": notice.pk, kind: decision.pk}, salt=_SALT, compress=True)


def link_for(notice: Notice, decision: appeals.Decision) -> str:
    return f"{settings.BASE_URL}/appeals/notice/{token_for(notice, decision)}"


def read(token: str) -> Link:
    """The notice and decision of a link; ValidationError (code "expired" or "invalid")."""
    invalid = ValidationError(
        _("This appeal link is not valid. Use the link of the email we sent you."),
        code="invalid",
    )
    try:
        data = signing.loads(token, salt=_SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationError(
            _("This appeal link has expired: the time to appeal this decision has passed."),
            code="expired",
        ) from None
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("n"), int):
        raise invalid
    notice = Notice.objects.filter(pk=data["n"]).first()
    decision: appeals.Decision | None = None
    if isinstance(data.get("s"), int):
        decision = Statement.objects.filter(pk=data["s"]).first()
    elif isinstance(data.get("c"), int):
        decision = Case.objects.filter(pk=data["c"]).first()
    if notice is None or decision is None:
        raise invalid
    return Link(notice, decision)


def open_appeal(link: Link) -> Appeal | None:
    return Appeal.objects.filter(
        appeals.on_decision(link.decision), notice=link.notice, state=AppealState.OPEN
    ).first()


def language_of(notice: Notice) -> str:
    return supported_language(notice.language) or site_language()


def appeal_of(notice: Notice, case: Case) -> tuple[str, str] | None:
    """How the notifier of `notice` appeals the decision on `case`: the last day (ISO date)
    and the signed link; None when there is nothing to appeal."""
    decision = appeals.decision_of_case(case)
    if decision is None or not notice.email:
        return None
    return appeals.appeal_until(decision).date().isoformat(), link_for(notice, decision)


def email_outcome(found: Appeal) -> None:
    """Email the notifier the outcome of their appeal."""
    notice = found.notice
    if notice is None or not notice.email:
        return
    from townsquare.accounts.tasks import send_email
    from townsquare.site import state

    site_name = state.site_name()
    with translation.override(language_of(notice)):
        subject = _("The outcome of your appeal on %(site)s") % {"site": site_name}
        body = render_to_string(
            "moderation/email/appeal_decided_notice.txt",
            {
                "appeal": found,
                "notice": notice,
                "site_name": site_name,
                "reversed": found.state == AppealState.REVERSED,
                "dismissal": found.case_id is not None,
            },
        )
    enqueue(send_email, subject, body, notice.email)


__all__ = ["LINK_MAX_AGE", "Link", "email_outcome", "link_for", "read"]
