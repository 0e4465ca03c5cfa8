"""Members reporting a post, an account, a message, a group or a page to the moderators:
`/report?kind=post&id=...`, a form, then a confirmation page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from townsquare.accounts.models import User
from townsquare.core.ratelimit import RateLimited
from townsquare.moderation import actions
from townsquare.moderation.models import TargetKind
from townsquare.site.models import Rule
from townsquare.web.report_forms import ReportForm
from townsquare.web.views.common import apply_errors, parse_id

SNIPPET = 200


def _snippet(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def _described(target: actions.Target) -> dict[str, str]:
    """What the reporter is told they are reporting."""
    who = f"@{target.account.username}" if target.account is not None else ""
    if target.kind == TargetKind.POST:
        from townsquare.posts.models import Post

        text = Post.objects.filter(pk=target.object_id).values_list("text", flat=True).first()
        return {"what": _("A post by %(who)s") % {"who": who}, "excerpt": _snippet(text or "")}
    if target.kind == TargetKind.MESSAGE:
        from townsquare.messaging.models import Message

        text = Message.objects.filter(pk=target.object_id).values_list("text", flat=True).first()
        return {"what": _("A message from %(who)s") % {"who": who}, "excerpt": _snippet(text or "")}
    if target.kind == TargetKind.GROUP:
        from townsquare.communities.models import Group

        name = Group.objects.filter(pk=target.object_id).values_list("name", flat=True).first()
        return {"what": _("The group %(name)s") % {"name": name or ""}, "excerpt": ""}
    if target.kind == TargetKind.PAGE:
        return {"what": _("The page %(who)s") % {"who": who}, "excerpt": ""}
    return {"what": _("The account %(who)s") % {"who": who}, "excerpt": ""}


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)
    source = request.POST if request.method == "POST" else request.GET
    kind = source.get("kind", "")
    object_id = parse_id(source.get("id"))
    if kind not in TargetKind.values or object_id is None:
        raise Http404
    target = actions.find_target(request.user, kind, object_id)  # Http404 if not theirs to see
    rules = [(str(rule.pk), rule.text) for rule in Rule.objects.all()]
    form = ReportForm(request.POST or None, rules=rules)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.report(
                    request.user,
                    kind,
                    object_id,
                    category=form.cleaned_data["category"],
                    rule_ids=form.cleaned_data.get("rules") or [],
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            except RateLimited as exc:
                form.add_error(None, str(exc))
            else:
                return render(request, "web/report_sent.html", _described(target))
        status = 400
    context = {"form": form, "kind": kind, "object_id": object_id, **_described(target)}
    return render(request, "web/report.html", context, status=status)
