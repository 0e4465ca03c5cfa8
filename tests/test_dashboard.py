"""The operator's dashboard at /admin: the figures of a small gardening club, the charts (SVG
that reads without JavaScript), the job queue's failures, the configuration's health (the same
report as `townsquare check`), who may open it, and the "Admin" menu entry for staff only."""

from __future__ import annotations

import argparse
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

import townsquare
from tests.conftest import client_of, text_of
from tests.factories import PASSWORD, follow, make_post, make_user, run_jobs
from tests.stored import write_stored
from townsquare.accounts import registration
from townsquare.accounts.models import StaffRole, User, UserSession
from townsquare.communities.actions.pages import create_page
from townsquare.core.jobs import run_pending_jobs
from townsquare.feeds import tasks as feed_tasks
from townsquare.moderation.actions import create_report
from townsquare.posts.models import Post
from townsquare.site import actions as site_actions
from townsquare.site import health, stats
from townsquare.web.charts import bar_chart

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def _svgs(page: str) -> list[ET.Element]:
    """Every chart of the page, parsed as XML (which fails on anything that is not valid)."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, re.S)]


def _figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">(.*?)</dd>', page, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _apply(username: str) -> User:
    """Someone asks to join the club (the site approves new members)."""
    return registration.sign_up(
        username,
        f"{username}@example.org",
        PASSWORD,
        ip="127.0.0.1",
        joining=registration.Joining(accepted_terms=True, answer="Plot 7."),
    )


def _club() -> dict[str, User]:
    """fern posted twice today, ana once three days ago, sam joined five days ago and was last
    seen (signed in) two days ago; a page and an applicant are not members."""
    now = timezone.now()
    fern = make_user("fern")
    ana = make_user("ana")
    sam = make_user("sam", password=PASSWORD)
    moss = make_user("moss", role="moderator")
    User.objects.filter(pk=sam.pk).update(created_at=now - timedelta(days=5))
    make_post(fern, "The first courgettes are in!")
    make_post(fern, "Who has spare canes?")
    old = make_post(ana, "Frost tonight: cover the seedlings.")
    Post.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))
    assert Client().post("/login", {"login": "sam", "password": PASSWORD}).status_code == 302
    UserSession.objects.filter(user=sam).update(last_seen_at=now - timedelta(days=2))
    create_page(fern, name="Riverside Allotments", handle="riverside", category="Community")
    create_report(fern, ana, comment="Posted the same seed swap five times.")
    site_actions.update_settings(None, registration_mode="approval")
    _apply("basil")
    run_jobs()
    return {"fern": fern, "ana": ana, "sam": sam, "moss": moss}


def test_the_figures_of_a_small_club() -> None:
    _club()
    figures = stats.overview()
    assert figures.members == stats.Members(total=4, active_day=1, active_week=3, active_month=3)
    assert figures.posts == 3
    assert figures.pending_applications == 1
    today = timezone.localdate()
    for series in (figures.signups, figures.posts_per_day, figures.reports):
        assert len(series.days) == stats.DAYS and series.days[-1] == today
    posts = dict(figures.posts_per_day.points())
    assert posts[today] == 2 and posts[today - timedelta(days=3)] == 1
    assert figures.posts_per_day.total == 3  # every other day is a quiet 0
    signups = dict(figures.signups.points())
    # fern, ana, moss and the applicant basil today; sam five days ago; the page is no sign-up
    assert signups[today] == 4 and signups[today - timedelta(days=5)] == 1
    assert figures.signups.total == 5
    assert dict(figures.reports.points())[today] == 1 and figures.reports.total == 1
    # Members at the end of each day: sam from five days ago, the other three from today (the
    # page and the applicant are no members).
    members = dict(figures.members_per_day.points())
    assert len(members) == stats.DAYS and members[today] == 4
    assert members[today - timedelta(days=1)] == members[today - timedelta(days=5)] == 1
    assert members[today - timedelta(days=6)] == 0


def test_a_share_is_no_post_and_old_activity_is_outside_the_month() -> None:
    fern, ana = make_user("fern"), make_user("ana")
    original = make_post(fern, "Seed swap on Saturday")
    from townsquare.posts import actions as post_actions

    post_actions.share(ana, original)
    Post.objects.filter(author=fern).update(created_at=timezone.now() - timedelta(days=45))
    figures = stats.overview()
    assert figures.posts == 1
    assert figures.posts_per_day.total == 0  # the post is older than the charts' 30 days
    # ana shared today (she was active); fern's only post is six weeks old
    assert figures.members == stats.Members(total=2, active_day=1, active_week=1, active_month=1)


def test_the_figures_cost_the_same_statements_however_big_the_club() -> None:
    def statements() -> int:
        with CaptureQueriesContext(connection) as captured:
            stats.overview()
        return len(captured.captured_queries)

    fern = make_user("fern")
    make_post(fern, "Seed potatoes are chitting")
    small = statements()
    for n in range(6):
        member = make_user(f"gardener{n}")
        make_post(member, f"Plot {n} is dug")
        create_report(member, fern, comment="Too many potato puns.")
    assert statements() == small <= 9


def test_the_page_shows_the_figures_and_a_chart_per_series() -> None:
    members = _club()
    page = text_of(client_of(members["moss"]).get("/admin"))
    assert _figure(page, "members") == "4"
    assert _figure(page, "active-day") == "1"
    assert _figure(page, "active-week") == "3"
    assert _figure(page, "active-month") == "3"
    assert _figure(page, "posts") == "3"
    assert _figure(page, "pending-applications") == "1"
    assert 'href="/admin/applications"' in page  # moderators may open the queue
    assert "posted during it" in page  # the definition of an active member
    charts = _svgs(page)
    assert len(charts) == 4
    titles = [chart.findtext(f"{SVG}title") for chart in charts]
    assert titles == ["Members", "Sign-ups per day", "Posts per day", "Reports per day"]
    for chart in charts:
        assert chart.get("role") == "img" and chart.get("aria-label")
        assert chart.findtext(f"{SVG}desc")
        assert len(chart.findall(f".//{SVG}rect[@class='bar']")) == stats.DAYS
    members_chart = charts[0]  # a total per day: the summary says where it starts and ends
    assert "Members: 0 on the first day, 4 on the last" in members_chart.get("aria-label")
    posts_chart = charts[2]
    bars = posts_chart.findall(f".//{SVG}rect[@class='bar']")
    assert bars[-1].findtext(f"{SVG}title").endswith(": 2")  # today, the highest bar
    assert float(bars[-1].get("height")) > float(bars[-4].get("height")) > 0
    assert float(bars[-2].get("height")) == 0
    assert "highest 2 a day, 3 in all" in posts_chart.get("aria-label")
    # The same figures as a table, for screen readers and text browsers.
    assert page.count('<th scope="row">') == 4 * stats.DAYS
    # What the site runs on, starting with the version.
    assert re.search(rf"Townsquare version</dt><dd>{re.escape(townsquare.__version__)}</dd>", page)


def test_a_chart_is_valid_svg_that_escapes_what_it_shows() -> None:
    today = timezone.localdate()
    points = [(today - timedelta(days=2 - n), value) for n, value in enumerate([0, 5, 12])]
    html = bar_chart(
        points,
        title='Chess "puzzles" <solved> & shared',
        description="Mates in two <b>per day</b>",
        chart_id="chart-chess",
    )
    [svg] = _svgs(html)
    assert svg.findtext(f"{SVG}title") == 'Chess "puzzles" <solved> & shared'
    assert svg.findtext(f"{SVG}desc") == "Mates in two <b>per day</b>"
    bars = svg.findall(f".//{SVG}rect[@class='bar']")
    assert len(bars) == 3
    heights = [float(bar.get("height")) for bar in bars]
    assert heights[0] == 0 and heights[1] < heights[2]
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert "12" in labels and "0" in labels  # the axis: its highest value and zero
    assert "<solved>" not in html and "<b>" not in html


def test_failed_jobs_are_shown_with_their_task_and_error(monkeypatch: pytest.MonkeyPatch) -> None:
    fern, ana = make_user("fern"), make_user("ana")
    follow(ana, fern)
    run_jobs()

    def broken(*args: object, **kwargs: object) -> None:
        raise LookupError("the compost heap is full")

    monkeypatch.setattr(feed_tasks, "add_post_to_homes", broken)
    make_post(fern, "Apple pressing on Sunday")
    run_pending_jobs(raise_failures=False)
    jobs = stats.jobs()
    assert jobs.measured and jobs.failed == 1 and jobs.waiting == 0
    [failure] = jobs.failures
    assert failure.task == "townsquare.feeds.tasks.fan_out_post"
    assert failure.exception_name == "LookupError"
    # A failure older than a week is no longer news.
    DBTaskResult.objects.filter(status="FAILED").update(
        finished_at=timezone.now() - timedelta(days=8)
    )
    assert stats.jobs().failed == 0
    DBTaskResult.objects.filter(status="FAILED").update(finished_at=timezone.now())
    page = text_of(client_of(make_user("moss", role="moderator")).get("/admin"))
    assert _figure(page, "jobs-failed") == "1"
    assert ">fan_out_post</code>" in page and ">LookupError</code>" in page


def test_jobs_left_waiting_are_noted_on_the_page_and_by_the_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from townsquare import cli

    moss = make_user("moss", role="moderator")
    make_post(moss, "Bulbs to share at the gate")  # queues its fan-out; no worker runs here
    queued = DBTaskResult.objects.filter(status="READY")
    assert stats.jobs().waiting == queued.count() > 0
    assert health.check().notes == []  # just queued: a worker will get to it
    now = timezone.now()
    queued.update(enqueued_at=now - timedelta(minutes=10))
    [note] = health.check().notes
    assert "is a job worker running?" in note
    page = text_of(client_of(moss).get("/admin"))
    assert "is a job worker running?" in page
    assert _figure(page, "jobs-oldest").startswith("10\xa0minutes")
    assert cli.cmd_check(argparse.Namespace()) == 0  # worth knowing, not a broken site
    assert f"note: {note}" in capsys.readouterr().out
    # Jobs scheduled for later are not late, however long ago they were queued.
    queued.update(run_after=now + timedelta(hours=1))
    assert health.check().notes == []
    jobs = stats.jobs()
    assert jobs.waiting == 0 and jobs.scheduled > 0 and jobs.oldest_waiting is None


def test_storage_is_the_size_of_the_stored_media_measured_now_and_then(
    settings: object, tmp_path: Path
) -> None:
    """The media folder's size, or (with TOWNSQUARE_TEST_S3=1) that of the objects under this
    test's media prefix in the bucket."""
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    write_stored("avatars/fern.webp", b"x" * 1500)
    write_stored("notes.txt", b"y" * 500)
    assert stats.storage_used() == 2000
    write_stored("later.webp", b"z" * 1000)
    assert stats.storage_used() == 2000  # kept for a few minutes: the walk or listing is not free
    from django.core.cache import cache

    cache.delete(stats.STORAGE_CACHE_KEY)
    assert stats.storage_used() == 3000
    page = text_of(client_of(make_user("moss", role="moderator")).get("/admin"))
    assert _figure(page, "storage") == "2.9\xa0KB"  # 3000 bytes


def test_only_staff_who_may_view_the_dashboard_open_it() -> None:
    fern = make_user("fern")
    moss = make_user("moss", role="moderator")
    visitor = Client().get("/admin")
    assert visitor.status_code == 302 and visitor["Location"].startswith("/login?next=/admin")
    assert client_of(fern).get("/admin").status_code == 403
    assert client_of(moss).get("/admin").status_code == 200
    # A custom role gives the dashboard only when it names the permission.
    greeter = StaffRole.objects.create(name="greeter", permissions=["approve_signups"])
    counter = StaffRole.objects.create(name="counter", permissions=["view_dashboard"])
    rue, sage = make_user("rue"), make_user("sage")
    User.objects.filter(pk=rue.pk).update(staff_role=greeter)
    User.objects.filter(pk=sage.pk).update(staff_role=counter)
    assert client_of(rue).get("/admin").status_code == 403
    page = client_of(sage).get("/admin")
    assert page.status_code == 200
    # The staff navigation lists what sage may open, nothing more.
    assert 'href="/admin"' in text_of(page) and 'href="/admin/applications"' not in text_of(page)


def test_the_staff_navigation_lists_the_pages_the_viewer_may_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from townsquare.web.templatetags import staff_nav

    # A page another engineer has not built yet is left out instead of breaking the menu.
    planned = ("staff_greenhouse", "view_dashboard", "Greenhouse")
    monkeypatch.setattr(staff_nav, "STAFF_PAGES", (*staff_nav.STAFF_PAGES, planned))
    moss = make_user("moss", role="moderator")
    page = text_of(client_of(moss).get("/admin"))
    nav = re.search(r'<nav class="tabs" aria-label="Staff pages">(.*?)</nav>', page, re.S)
    assert nav
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>', nav.group(1))
    assert links[:3] == [
        ("/admin", ' aria-current="page"'),
        ("/admin/members", ""),  # to find accounts and decide about them
        ("/admin/applications", ""),
    ]
    assert ("/admin/moderation", "") in links  # moderators handle reports
    shown = {href for href, _ in links}
    assert not shown & {"/admin/settings", "/admin/roles", "/admin/appearance"}
    admin = make_user("rowan", role="admin")
    every = [page.name for page in staff_nav.staff_pages_for(admin)]
    assert every[0] == "staff_dashboard" and "staff_applications" in every
    assert "staff_greenhouse" not in every
    assert len(every) == len(set(every))


def test_a_broken_redis_url_is_a_problem_on_the_page_and_for_the_command(
    settings: object, capsys: pytest.CaptureFixture[str]
) -> None:
    moss = make_user("moss", role="moderator")
    healthy = text_of(client_of(moss).get("/admin"))
    assert 'data-health="ok"' in healthy and 'role="alert"' not in healthy
    config = settings.CONFIG  # type: ignore[attr-defined]
    settings.CONFIG = config.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})  # type: ignore[attr-defined]
    response = client_of(moss).get("/admin")
    assert response.status_code == 200
    page = text_of(response)
    assert 'role="alert"' in page and 'data-health="ok"' not in page
    [problem] = health.check().problems
    assert problem.startswith("TOWNSQUARE_REDIS_URL: cannot reach Redis")
    assert problem.split(" (")[0] in page
    from townsquare import cli

    assert cli.cmd_check(argparse.Namespace()) == cli.EXIT_CONFIG
    assert f"problem: {problem}" in capsys.readouterr().err


def test_the_admin_menu_entry_is_for_staff_only_with_the_waiting_count() -> None:
    fern = make_user("fern")
    moss = make_user("moss", role="moderator")
    site_actions.update_settings(None, registration_mode="approval")
    _apply("basil")
    _apply("thyme")
    member_page = text_of(client_of(fern).get("/public"))
    assert 'href="/admin"' not in member_page and ">Admin<" not in member_page
    staff_page = text_of(client_of(moss).get("/public"))
    assert re.search(r'<a href="/admin">Admin <span class="badge"[^>]*>2</span></a>', staff_page)
    # A staff role without the dashboard leads to the page it may open; without the right to
    # approve sign-ups there is no count.
    greeter = StaffRole.objects.create(name="greeter", permissions=["approve_signups"])
    planner = StaffRole.objects.create(name="planner", permissions=["manage_settings"])
    rue, sage = make_user("rue"), make_user("sage")
    User.objects.filter(pk=rue.pk).update(staff_role=greeter)
    User.objects.filter(pk=sage.pk).update(staff_role=planner)
    assert '<a href="/admin/applications">Admin <span' in text_of(client_of(rue).get("/public"))
    sage_page = text_of(client_of(sage).get("/public"))
    assert 'class="badge" aria-label="2 people' not in sage_page


def test_ordinary_members_pages_make_no_staff_query(switches_read_once: None) -> None:
    fern = make_user("fern")
    moss = make_user("moss", role="moderator")

    def queries_of(member: User) -> list[str]:
        client = client_of(member)
        assert client.get("/").status_code == 200  # the first request records the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    member, staff = queries_of(fern), queries_of(moss)
    assert not [sql for sql in member if "accounts_application" in sql]
    # The moderator's menu counts the people waiting: that one statement, and only it.
    extra = [sql for sql in staff if "accounts_application" in sql]
    assert len(extra) == 1 and len(staff) == len(member) + 1
