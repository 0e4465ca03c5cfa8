"""The HTML of a poll on a post card: a plain form to vote (works without JavaScript; htmx swaps
the poll in place when present), or the results as bars."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from townsquare.polls.queries import ListedOption, PollView
from townsquare.site import features

VOTING_OFF = gettext_noop("Voting is switched off on this site.")  # translated when shown


def _count(count: int) -> str:
    return number_format(count, force_grouping=True)


def _votes(count: int) -> str:
    return ngettext("%(count)s vote", "%(count)s votes", count) % {"count": _count(count)}


def _status(view: PollView) -> str:
    poll = view.poll
    voters = ngettext("%(count)s person", "%(count)s people", poll.voters_count) % {
        "count": _count(poll.voters_count)
    }
    if view.expired:
        return escape(_("%(voters)s · Closed") % {"voters": voters}, quote=False)
    left = timeuntil(poll.expires_at, timezone.now(), depth=1)
    when = f'<time datetime="{poll.expires_at.isoformat()}">{escape(left)}</time>'
    # The words are escaped, then the time element is put in its place.
    words = escape(_("%(voters)s · Ends in %(time)s"), quote=False)
    return words.replace("%(voters)s", escape(voters)).replace("%(time)s", when)


def _percent(option: ListedOption, view: PollView) -> int:
    poll = view.poll
    total = poll.voters_count if poll.multiple else poll.votes_count
    return round(100 * option.votes_count / total) if total else 0


def _results(view: PollView) -> str:
    top = max((option.votes_count for option in view.options), default=0)
    rows = []
    for option in view.options:
        percent = _percent(option, view)
        classes = ["poll-result"]
        mine = ""
        if option.position in view.chosen:
            classes.append("chosen")
            yours = escape(_("your choice"), quote=False)
            mine = f' <span class="poll-mine">✓<span class="visually-hidden"> {yours}</span></span>'
        if top and option.votes_count == top:
            classes.append("leading")
        rows.append(
            f'<li class="{" ".join(classes)}"><span class="poll-line">'
            f'<strong class="poll-percent">{percent}%</strong> '
            f'<span class="poll-title">{escape(option.title)}</span>{mine}'
            f'<span class="poll-count">{escape(_votes(option.votes_count))}</span>'
            f'</span><span class="poll-bar" style="width: {percent}%"></span></li>'
        )
    return f'<ul class="poll-results">{"".join(rows)}</ul>'


def _form(view: PollView, csrf_token: str, post_url: str) -> str:
    poll = view.poll
    action = f"/polls/{poll.pk}/vote"
    kind = "checkbox" if poll.multiple else "radio"
    required = "" if poll.multiple else " required"
    choices = "".join(
        f'<label class="poll-choice"><input type="{kind}" name="choice" '
        f'value="{option.position}"{required}> {escape(option.title)}</label>'
        for option in view.options
    )
    hint = escape(_("Choose one or more") if poll.multiple else _("Choose one"), quote=False)
    vote = escape(_("Vote"), quote=False)
    return (
        f'<form class="poll-form" method="post" action="{action}" hx-post="{action}" '
        f'hx-target="#poll-{poll.pk}" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{escape(post_url)}">'
        f'<fieldset><legend class="poll-hint">{hint}</legend>{choices}</fieldset>'
        f'<p class="poll-meta"><button type="submit" class="secondary">'
        f"{vote}</button> "
        f"{_status(view)}</p></form>"
    )


def _options_only(view: PollView, post_url: str, *, voting: bool = True) -> str:
    items = "".join(f"<li>{escape(option.title)}</li>" for option in view.options)
    login = f"/login?next={quote(post_url, safe='/')}"
    log_in = escape(_("Log in to vote"), quote=False)
    invite = f' · <a href="{escape(login)}">{log_in}</a>' if not view.signed_in else ""
    if not voting:
        invite = f" · {escape(_(VOTING_OFF))}"
    return f'<ul class="poll-options">{items}</ul><p class="poll-meta">{_status(view)}{invite}</p>'


def poll_html(view: PollView, *, csrf_token: str, post_url: str, error: str = "") -> str:
    """The poll of a post card as `view`'s viewer sees it. Everything shown is escaped. While
    the operator has polls switched off, polls are read-only: their results (unless they
    are hidden until the poll ends), and no form."""
    poll = view.poll
    voting = features.enabled("polls")
    if view.can_vote and voting:
        body = _form(view, csrf_token, post_url)
    elif not voting and not view.show_results and poll.hide_totals:
        body = _options_only(view, post_url, voting=False)
    elif view.show_results or not voting:
        total = escape(_votes(poll.votes_count))
        off = "" if voting or view.expired else f" · {escape(_(VOTING_OFF))}"
        body = f'{_results(view)}<p class="poll-meta">{total} · {_status(view)}{off}</p>'
    else:
        body = _options_only(view, post_url)
    alert = f'<p class="error poll-error" role="alert">{escape(error)}</p>' if error else ""
    return f'<div class="poll" id="poll-{poll.pk}">{alert}{body}</div>'
