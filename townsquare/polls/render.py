"""The HTML of a poll on a post card: a plain form to vote (works without JavaScript; htmx swaps
the poll in place when present), or the results as bars."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django.utils import timezone
from django.utils.timesince import timeuntil

from townsquare.polls.queries import ListedOption, PollView


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def _status(view: PollView) -> str:
    poll = view.poll
    voters = _plural(poll.voters_count, "person", "people")
    if view.expired:
        return f"{voters} · Closed"
    left = timeuntil(poll.expires_at, timezone.now(), depth=1)
    return (
        f'{voters} · Ends <time datetime="{poll.expires_at.isoformat()}">in {escape(left)}</time>'
    )


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
            mine = (
                ' <span class="poll-mine">✓<span class="visually-hidden"> your choice</span></span>'
            )
        if top and option.votes_count == top:
            classes.append("leading")
        rows.append(
            f'<li class="{" ".join(classes)}"><span class="poll-line">'
            f'<strong class="poll-percent">{percent}%</strong> '
            f'<span class="poll-title">{escape(option.title)}</span>{mine}'
            f'<span class="poll-count">{_plural(option.votes_count, "vote", "votes")}</span>'
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
    hint = "Choose one or more" if poll.multiple else "Choose one"
    return (
        f'<form class="poll-form" method="post" action="{action}" hx-post="{action}" '
        f'hx-target="#poll-{poll.pk}" hx-swap="outerHTML">'
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{escape(post_url)}">'
        f'<fieldset><legend class="poll-hint">{hint}</legend>{choices}</fieldset>'
        f'<p class="poll-meta"><button type="submit" class="secondary">Vote</button> '
        f"{_status(view)}</p></form>"
    )


def _options_only(view: PollView, post_url: str) -> str:
    items = "".join(f"<li>{escape(option.title)}</li>" for option in view.options)
    login = f"/login?next={quote(post_url, safe='/')}"
    invite = f' · <a href="{escape(login)}">Log in to vote</a>' if not view.signed_in else ""
    return f'<ul class="poll-options">{items}</ul><p class="poll-meta">{_status(view)}{invite}</p>'


def poll_html(view: PollView, *, csrf_token: str, post_url: str, error: str = "") -> str:
    """The poll of a post card as `view`'s viewer sees it. Everything shown is escaped."""
    poll = view.poll
    if view.can_vote:
        body = _form(view, csrf_token, post_url)
    elif view.show_results:
        total = _plural(poll.votes_count, "vote", "votes")
        body = f'{_results(view)}<p class="poll-meta">{total} · {_status(view)}</p>'
    else:
        body = _options_only(view, post_url)
    alert = f'<p class="error poll-error" role="alert">{escape(error)}</p>' if error else ""
    return f'<div class="poll" id="poll-{poll.pk}">{alert}{body}</div>'
