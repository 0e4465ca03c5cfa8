"""Every route of a feature the operator can switch off is guarded by that switch.

The routes come from the project's URL resolver, not from a list typed here: rules (a route's
first path segment, its view's module, its URL name) say which feature a route belongs to, and
the table ROUTES must agree with them, so a new route under /g/, in views/messages.py or named
"..._event" fails here until it is classified. Then each route's view must be wrapped, outermost,
in feature_required(its feature); and, switched off, each route answers 404 to every request
with real objects in its URL, while switched on the same URL is found (not a 404)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import client_of
from tests.factories import make_user
from townsquare.communities import actions as group_actions
from townsquare.communities.actions import pages as page_actions
from townsquare.events import actions as event_actions
from townsquare.messaging import actions as messaging
from townsquare.posts import actions as post_actions
from townsquare.site import actions as site_actions
from townsquare.site.catalog import FEATURES
from townsquare.web.views.common import feature_required

VIEWS = "townsquare.web.views"


@dataclass(frozen=True)
class Rules:
    """How to tell that a route belongs to a feature: any one of these is enough."""

    segments: tuple[str, ...]  # the first segment of its path ("g" for /g/<handle>/...)
    modules: tuple[str, ...]  # the module of its view
    names: str  # a pattern its URL name matches


RULES: dict[str, Rules] = {
    "messages": Rules(("messages",), (f"{VIEWS}.messages",), r"message|conversation"),
    "groups": Rules(("groups", "g"), (f"{VIEWS}.groups", f"{VIEWS}.group_admin"), r"group"),
    "events": Rules(("events",), (f"{VIEWS}.events",), r"event"),
    "pages": Rules(("pages",), (f"{VIEWS}.pages",), r"(^|_)pages?(_|$)"),
    "friends_mode": Rules((), (), r"(^|_)friends?(_|$)"),
}

# The routes of each feature, by URL name: what the rules find must be exactly this.
ROUTES: dict[str, frozenset[str]] = {
    "messages": frozenset({
        "messages", "message_requests", "new_conversation", "conversation", "send_message",
        "conversation_thread", "typing", "mute_conversation", "leave_conversation",
        "answer_request", "add_to_conversation", "unsend_message", "delete_message",
    }),
    "groups": frozenset({
        "groups", "new_group", "group", "group_members", "join_group", "leave_group",
        "invite_to_group", "answer_group_request", "ban_from_group", "group_role",
        "mute_in_group", "group_settings", "delete_group", "group_pending",
        "approve_group_post", "pin_in_group", "unpin_in_group",
    }),
    "events": frozenset({
        "events", "new_event", "event", "edit_event", "answer_event", "cancel_event",
        "delete_event", "event_ics",
    }),
    "pages": frozenset({
        "pages", "new_page", "edit_page", "page_team", "add_to_page_team",
        "remove_from_page_team",
    }),
    "friends_mode": frozenset({"friends"}),
}  # fmt: skip

# Routes a rule claims that are not the feature's: each with why.
NOT_OWNED: dict[str, str] = {
    "site_page": "the operator's own pages (/site/<slug>), not the pages feature",
    "staff_appearance_pages": "the staff form for the operator's own pages",
    "compose_page": "the composer on a page of its own",
    "api-api-v1-conversations": "Mastodon's conversations: threads of direct posts",
    "api-api-v1-conversations-{id}": "Mastodon's conversations: threads of direct posts",
    "api-api-v1-conversations-{id}-read": "Mastodon's conversations: threads of direct posts",
}

# Features that own no route: switched off, their routes stay and answer differently.
NO_ROUTES: dict[str, str] = {
    "video": "uploads go through the composer and media routes, which refuse videos",
    "polls": "a vote sent while polls are off is refused with a reason, not a 404",
    "link_previews": "cards are made by jobs; no route of their own",
    "public_timeline": "/public and /tags/... stay for members; visitors are sent to log in",
    "post_search": "/search stays, finding people and hashtags only",
}

# Routes the behavioural test cannot fill with a sensible object: name -> why. None so far.
UNFILLABLE: dict[str, str] = {}

# Every guarded view runs this code first (the same code object for every feature).
GUARD = feature_required("messages")(lambda request: HttpResponse()).__code__


@dataclass(frozen=True)
class Route:
    path: str  # the prefixes and pattern joined, without regex anchors
    name: str  # the URL name (the path when it has none)
    view: Callable[..., HttpResponse]
    kwargs: tuple[str, ...]

    @property
    def module(self) -> str:
        return str(getattr(self.view, "__module__", ""))

    def __str__(self) -> str:
        return f"{self.name} (/{self.path}, {self.module}.{self.view.__name__})"


def _walk(patterns: list[Any], prefix: str, kwargs: tuple[str, ...]) -> Iterator[Route]:
    for entry in patterns:
        names = kwargs + tuple(entry.pattern.regex.groupindex)
        path = prefix + str(entry.pattern).replace("^", "").replace("$", "")
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, path, names)
        else:
            assert isinstance(entry, URLPattern)
            yield Route(path, entry.name or path, entry.callback, names)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", ()))


def claimed_by(route: Route) -> set[str]:
    segment = route.path.split("/", 1)[0]
    return {
        feature
        for feature, rules in RULES.items()
        if segment in rules.segments
        or route.module in rules.modules
        or re.search(rules.names, route.name)
    }


def test_every_feature_is_classified_once() -> None:
    assert set(RULES) == set(ROUTES)
    assert not set(RULES) & set(NO_ROUTES)
    assert set(RULES) | set(NO_ROUTES) == set(FEATURES), "a feature is in neither table"


def test_the_rules_and_the_table_agree_on_every_route_of_the_resolver() -> None:
    routes = all_routes()
    assert len(routes) > 100  # the walk went into the included URL lists
    problems = []
    for route in routes:
        claimed = claimed_by(route)
        if route.name in NOT_OWNED:
            if not claimed:
                problems.append(f"{route} is in NOT_OWNED but no rule claims it: remove it")
            continue
        listed = {feature for feature, names in ROUTES.items() if route.name in names}
        if claimed != listed:
            problems.append(
                f"{route} is claimed by the rules of {sorted(claimed)} but listed under "
                f"{sorted(listed)}: add it to ROUTES (and guard its view with "
                f"feature_required), or to NOT_OWNED with why"
            )
    named = {route.name for route in routes}
    for feature, names in ROUTES.items():
        problems += [f"ROUTES[{feature!r}] names {n}, not a route" for n in names - named]
    problems += [f"NOT_OWNED names {n}, not a route" for n in set(NOT_OWNED) - named]
    problems += [f"UNFILLABLE names {n}, not a route" for n in set(UNFILLABLE) - named]
    assert not problems, "\n".join(problems)


def test_every_route_of_a_feature_is_guarded_by_its_switch() -> None:
    unguarded = []
    for route in all_routes():
        for feature, names in ROUTES.items():
            if route.name not in names:
                continue
            if getattr(route.view, "feature", None) != feature:
                unguarded.append(f"{route}: not guarded by feature_required({feature!r})")
            elif getattr(route.view, "__code__", None) is not GUARD:
                unguarded.append(f"{route}: feature_required({feature!r}) is not outermost")
    assert not unguarded, "\n".join(unguarded)


def test_the_guard_checks_are_not_fooled() -> None:
    """A bare view, and a view whose guard is under another decorator (which copies the
    `feature` attribute up), both fail the check above."""
    from django.contrib.auth.decorators import login_required

    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert getattr(view, "feature", None) is None
    inner = login_required(feature_required("groups")(view))
    assert getattr(inner, "feature", None) == "groups"
    assert inner.__code__ is not GUARD
    assert feature_required("events")(view).__code__ is GUARD


# -- with real objects -----------------------------------------------------------------------


@dataclass
class World:
    """Ana owns a group (with a post in it and Sam as a member), a conversation with Sam (with
    her message), a page and an event: she may open every route of every feature."""

    ana: Any
    values: dict[str, dict[str, object]]


def _world() -> World:
    ana, sam = make_user("ana"), make_user("sam")
    group = group_actions.create_group(ana, name="Riverside Plots", handle="plots")
    group_actions.join(sam, group)
    group_post = post_actions.create_post(ana, text="Water rota (in the group)", group=group)
    message = messaging.start_conversation(ana, [sam], "Bring gloves on Saturday")
    page = page_actions.create_page(ana, name="Garden Club", handle="garden_club", category="Club")
    event = event_actions.create_event(
        ana,
        title="Seed swap",
        starts_at=timezone.now() + timedelta(days=30),
        time_zone="Europe/Paris",
    )
    return World(
        ana,
        {
            "messages": {"conversation_id": message.conversation_id, "message_id": message.pk},
            "groups": {"handle": group.handle, "post_id": group_post.pk},
            "events": {"event_id": event.pk},
            "pages": {"handle": page.username},
            "friends_mode": {"username": sam.username},
        },
    )


def _url(route: Route, values: dict[str, object]) -> str:
    missing = [name for name in route.kwargs if name not in values]
    assert not missing, f"{route}: no object for {missing}: fill it in _world() or UNFILLABLE"
    return reverse(route.name, kwargs={name: values[name] for name in route.kwargs})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("feature", "name"),
    [(feature, name) for feature in ROUTES for name in sorted(ROUTES[feature])],
)
def test_a_switched_off_feature_answers_404_on_each_of_its_routes(feature: str, name: str) -> None:
    if name in UNFILLABLE:
        pytest.skip(UNFILLABLE[name])
    world = _world()
    (route,) = [route for route in all_routes() if route.name == name]
    url = _url(route, world.values[feature])
    member, visitor = client_of(world.ana), Client()

    site_actions.set_feature(feature, enabled=False)
    for who, client in (("member", member), ("visitor", visitor)):
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, f"{method.upper()} {url} as {who}, {feature} off"

    # The control: switched on, the same URL reaches the view with objects it finds (a POST
    # with nothing in it is refused or does what it does, but is not a 404).
    site_actions.set_feature(feature, enabled=True)
    for method in ("get", "post"):
        response = getattr(member, method)(url)
        assert response.status_code != 404, f"{method.upper()} {url} with {feature} on"
