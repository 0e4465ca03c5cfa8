"""Reports: a member tells the site's moderators about an account and some of its posts."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator

from townsquare.accounts.models import User
from townsquare.api import errors
from townsquare.api.endpoints.instance import rules
from townsquare.api.pagination import MAX_ID
from townsquare.api.params import Params
from townsquare.api.registry import api
from townsquare.api.router import Call
from townsquare.api.schemas.reports import Report
from townsquare.api.serializers.accounts import account
from townsquare.api.serializers.common import iso
from townsquare.moderation import actions
from townsquare.moderation.models import Report as ReportModel
from townsquare.moderation.models import ReportCategory

PostId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _many(value: Any) -> Any:
    return value if isinstance(value, list) else [value]


class ReportParams(Params):
    account_id: str = Field(max_length=40, description="The account reported")
    status_ids: list[PostId] = Field(default_factory=list, description="status_ids[]")
    comment: str = Field(default="", max_length=100_000, description="At most 1,000 characters")
    forward: bool = False
    category: str = Field(
        default=ReportCategory.OTHER,
        description="spam, legal, violation or other (Mastodon's); also harassment, hate,"
        " violence, sexual or self_harm",
    )
    rule_ids: list[Annotated[str, Field(max_length=40)]] = Field(
        default_factory=list, description="rule_ids[]: the site's rules broken"
    )

    @field_validator("status_ids", "rule_ids", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return _many(value)


def report_entity(report: ReportModel, target: User) -> dict[str, Any]:
    return {
        "id": str(report.pk),
        "action_taken": report.action_taken,
        "action_taken_at": iso(report.action_taken_at),
        "category": report.category,
        "comment": report.comment,
        "forwarded": False,  # every account is local: there is nowhere to forward to
        "created_at": iso(report.created_at),
        "status_ids": [str(pk) for pk in report.post_ids] or None,
        "rule_ids": [str(pk) for pk in report.rule_ids] or None,
        "target_account": account(target),
    }


@api.post(
    "/api/v1/reports",
    auth="user",
    scope="write:reports",
    params=ReportParams,
    response=Report,
    errors=(404,),
)
def create_report(call: Call) -> dict[str, Any]:
    """Report an account (and some of its posts) to the moderators."""
    params: ReportParams = call.params
    account_id = params.account_id.strip()
    if not account_id.isdigit() or len(account_id) > 19 or int(account_id) > MAX_ID:
        raise errors.not_found()
    target = User.objects.filter(pk=int(account_id), is_active=True).first()
    if target is None:
        raise errors.not_found()
    report = actions.create_report(
        call.user,
        target,
        post_ids=params.status_ids,
        comment=params.comment,
        category=params.category,
        rule_ids=params.rule_ids,
        known_rule_ids={str(rule["id"]) for rule in rules()},
        forward=params.forward,
    )
    return report_entity(report, target)
