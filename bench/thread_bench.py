#!/usr/bin/env python3
"""Thread page benchmark: a conversation of 200 replies (see bench/README.md, "Thread page").

    .venv/bin/python bench/thread_bench.py [--database sqlite|postgres|both] [--reuse]

For each database it
  1. seeds a background data set with feed_bench.py's seeder (1,000 members and 50,000 posts
     by default) in its own data dir, bench/data/<database>-thread/ (PostgreSQL: the database
     townsquare_bench_thread, dropped and created again), unless --reuse finds one;
  2. in a child process, builds one conversation through the write layer
     (`posts.actions.create_post`, `posts.actions.like`): a root post and 200 replies (60 direct,
     90 two levels deep, 50 three levels deep) by 40 members, some followers-only, about 300
     likes; then runs the queued jobs (fan-out, notifications);
  3. in a child process with the data set's settings, requests the thread page `/@user/<id>`
     of the root post and of a reply three levels deep, through Django's WSGI handler (no HTTP
     server), as a visitor and as a signed-in member who follows some of the repliers:
     pages/s (one process, one core), p50/p99 latency, CPU per page, queries per page (counted
     once with CaptureQueriesContext), the time of each part of the view, and a cProfile;
  4. prints a table and writes bench/results/<timestamp>-<database>-thread.json.

Internal sub-commands (run in child processes): `_thread`, `_measure`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import feed_bench as fb  # noqa: E402 - the seeding and process machinery, shared

PG_DATABASE = "townsquare_bench_thread"
PORT = 8000  # only named in the site's base URL: nothing listens, requests go to the handler
CASES = [("root", "visitor"), ("root", "member"), ("deep", "visitor"), ("deep", "member")]
SHAPE = {1: 60, 2: 90, 3: 50}  # replies per depth: 200 in all
PARTICIPANTS = 40  # members who reply, the signed-in member among them
FOLLOWED_PARTICIPANTS = 12  # of them, followed by the signed-in member
FOLLOWERS_ONLY_SHARE = 0.12  # replies written followers-only (their replies follow suit)
LIKES = 300
ROOT_TEXT = (
    "The allotment society's spring seed swap is on Saturday. Which varieties should we "
    "bring this year, and who can lend a hand with the tables?"
)


def data_dir_for(root: Path, database: str) -> Path:
    return (root / f"{database}-thread").resolve()


def thread_env(database: str, data_dir: Path) -> dict[str, str]:
    env = fb.bench_env(database, data_dir, PORT, redis=False)
    if database == "postgres":  # never the feed bench's database
        env["TOWNSQUARE_DATABASE_URL"] = f"postgres://postgres@{fb.HOST}:5432/{PG_DATABASE}"
    return env


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --------------------------------------------------------------------------------------------
# Child: the conversation, through the write layer
# --------------------------------------------------------------------------------------------


def build_thread(args: argparse.Namespace) -> int:
    from importlib import import_module

    fb._django()
    from django.conf import settings
    from django.core.exceptions import ValidationError
    from django.db import connection

    from townsquare.accounts.models import User
    from townsquare.core.jobs import run_pending_jobs
    from townsquare.graph.models import Follow
    from townsquare.posts import actions
    from townsquare.posts.models import Like, Post, Visibility

    rng = random.Random(args.seed)
    data_dir = Path(settings.DATA_DIR)
    cookie = (data_dir / "sessions.txt").read_text().splitlines()[0]
    key = cookie.split(";")[0].split("=", 1)[1]
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    viewer = User.objects.get(pk=session["_auth_user_id"])

    followed = list(
        Follow.objects.filter(follower=viewer, followee__username__startswith="member")
        .order_by("followee_id")
        .values_list("followee_id", flat=True)
    )
    chosen = rng.sample(followed, min(FOLLOWED_PARTICIPANTS, len(followed)))
    others = list(
        User.objects.filter(username__startswith="member", is_active=True)
        .exclude(pk__in=[viewer.pk, *followed])
        .values_list("pk", flat=True)
    )
    chosen += rng.sample(others, PARTICIPANTS - 1 - len(chosen))
    people = [viewer, *User.objects.filter(pk__in=chosen).order_by("pk")]
    by_id = {user.pk: user for user in people}

    started = time.monotonic()
    root_author = by_id[chosen[-1]]
    root = actions.create_post(root_author, text=ROOT_TEXT, visibility=Visibility.PUBLIC)
    levels: dict[int, list[Post]] = {0: [root], 1: [], 2: [], 3: []}
    remaining = dict(SHAPE)
    depth_of: dict[int, int] = {root.pk: 0}
    while any(remaining.values()):
        # Any depth whose parents exist, weighted by what is left: replies arrive mixed.
        open_depths = [d for d, left in remaining.items() if left and levels[d - 1]]
        depth = rng.choices(open_depths, weights=[remaining[d] for d in open_depths])[0]
        remaining[depth] -= 1
        candidates = levels[depth - 1]
        # Earlier posts draw more answers (a long tail of popular branches).
        parent = candidates[min(int(rng.expovariate(1 / 8)), len(candidates) - 1)]
        author = rng.choice(people)
        level = Visibility.FOLLOWERS if rng.random() < FOLLOWERS_ONLY_SHARE else Visibility.PUBLIC
        words = rng.choices(fb.WORDS, k=rng.randint(6, 40))
        prefix = f"@{parent.author.username} " if parent.author_id != author.pk else ""
        text = prefix + " ".join(words).capitalize() + rng.choice([".", "!", "?"])
        try:
            reply = actions.create_post(author, text=text, visibility=level, in_reply_to=parent)
        except ValidationError:  # the author may not see a followers-only parent: pick again
            remaining[depth] += 1
            continue
        levels[depth].append(reply)
        depth_of[reply.pk] = depth
    posts = [post for depth in (0, 1, 2, 3) for post in levels[depth]]
    likers = [*people, *User.objects.filter(pk__in=rng.sample(others, 60))]
    likes = 0
    while likes < LIKES:
        post = posts[min(int(rng.expovariate(1 / 30)), len(posts) - 1)]
        member = viewer if rng.random() < 0.07 else rng.choice(likers)
        try:
            actions.like(member, post)
        except ValidationError:  # a followers-only post the member does not follow
            continue
        likes += 1
    build_s = time.monotonic() - started
    started = time.monotonic()
    jobs = run_pending_jobs(raise_failures=False)
    jobs_s = time.monotonic() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    fresh = {p.pk: p for p in Post.objects.filter(conversation_id=root.pk)}

    def chain_public(post_id: int) -> bool:
        post = fresh[post_id]
        while True:
            if post.visibility != Visibility.PUBLIC:
                return False
            if post.in_reply_to_id is None:
                return True
            post = fresh[post.in_reply_to_id]

    deep = next(p for p in levels[3] if chain_public(p.pk))
    info = {
        "root_id": root.pk,
        "root_path": f"/@{root.author.username}/{root.pk}",
        "deep_id": deep.pk,
        "deep_path": f"/@{deep.author.username}/{deep.pk}",
        "viewer": viewer.username,
        "cookie": cookie,
        "replies": len(posts) - 1,
        "replies_by_depth": {d: len(levels[d]) for d in (1, 2, 3)},
        "followers_only_replies": sum(
            1 for p in fresh.values() if p.visibility == Visibility.FOLLOWERS
        ),
        "participants": len(people),
        "participants_followed_by_viewer": len(set(chosen) & set(followed)),
        "likes": likes,
        "likes_by_viewer": Like.objects.filter(user=viewer, post_id__in=list(fresh)).count(),
        "build_s": round(build_s, 2),
        "jobs_run": jobs,
        "jobs_s": round(jobs_s, 2),
    }
    print("BENCH_JSON " + json.dumps(info), flush=True)
    return 0


# --------------------------------------------------------------------------------------------
# Child: measuring, through the WSGI handler
# --------------------------------------------------------------------------------------------


def _profile_rows(profiler: Any, order: str, top: int) -> list[dict[str, Any]]:
    import pstats

    stats = pstats.Stats(profiler)
    stats.sort_stats(order)
    rows = []
    for func in stats.fcn_list[:top]:  # type: ignore[attr-defined]
        cc, nc, tt, ct, _ = stats.stats[func]  # type: ignore[attr-defined]
        filename, line, name = func
        short = filename.split("site-packages/")[-1].split("/work/main/")[-1]
        rows.append(
            {
                "function": f"{short}:{line}({name})",
                "calls": nc,
                "tottime_ms": round(tt * 1000, 2),
                "cumtime_ms": round(ct * 1000, 2),
            }
        )
    return rows


def measure(args: argparse.Namespace) -> int:
    import cProfile
    from importlib import import_module

    fb._django()
    for name in args.patch or []:  # experiments: modules whose apply() changes the code
        import_module(name).apply()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from townsquare.wsgi import application

    info = json.loads((Path(settings.DATA_DIR) / "thread.json").read_text())
    paths = {"root": info["root_path"], "deep": info["deep_path"]}
    cookies = {"visitor": "", "member": info["cookie"]}
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return lambda data: None

    def request(case: tuple[str, str]) -> bytes:
        page, who = case
        environ = fb.wsgi_environ(paths[page], cookies[who], PORT)
        result = application(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return body

    pages: dict[tuple[str, str], dict[str, Any]] = {}
    for case in CASES:
        body = request(case)
        if not statuses[-1].startswith("200"):
            raise SystemExit(f"thread bench: {paths[case[0]]} as {case[1]}: {statuses[-1]}")
        text = body.decode()
        signed_in = 'name="in_reply_to"' in text
        if signed_in != (case[1] == "member"):
            raise SystemExit(f"thread bench: {case} got the wrong page (signed in: {signed_in})")
        with CaptureQueriesContext(connection) as captured:
            request(case)
        pages[case] = {
            "bytes": len(body),
            "cards": text.count('class="post" id="post-'),
            "hidden_behind_show_more": text.count('class="more-replies"'),
            "queries": len(captured.captured_queries),
            "sql": [q["sql"][:200] for q in captured.captured_queries],
        }
    for _ in range(args.warmup):
        for case in CASES:
            request(case)

    background, waited = fb.wait_for_quiet(args.quiet_below, args.quiet_wait)
    load_before = load_average()
    order = CASES * args.runs
    random.Random(1).shuffle(order)
    wall: dict[tuple[str, str], list[float]] = {case: [] for case in CASES}
    cpu: dict[tuple[str, str], float] = dict.fromkeys(CASES, 0.0)
    for case in order:
        started, cpu_started = time.perf_counter(), time.process_time()
        request(case)
        cpu[case] += time.process_time() - cpu_started
        wall[case].append((time.perf_counter() - started) * 1000)
    rows = []
    for case in CASES:
        values = wall[case]
        rows.append(
            {
                "page": case[0],
                "viewer": case[1],
                "path": paths[case[0]],
                "runs": len(values),
                "pages_per_s": round(1000 * len(values) / sum(values), 1),
                "p50_ms": round(statistics.median(values), 2),
                "p99_ms": round(percentile(values, 99), 2),
                "max_ms": round(max(values), 2),
                "cpu_ms_per_page": round(cpu[case] * 1000 / len(values), 2),
                **{k: v for k, v in pages[case].items() if k != "sql"},
            }
        )
    parts = measure_parts(info, args.runs)
    profile: dict[str, Any] = {}
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.profile_runs):
        request(("root", "member"))
    profiler.disable()
    profile = {
        "page": "root, member",
        "requests": args.profile_runs,
        "by_tottime": _profile_rows(profiler, "tottime", args.top),
        "by_cumtime": _profile_rows(profiler, "cumulative", args.top),
    }
    result = {
        "rows": rows,
        "queries": {f"{page} {who}": pages[(page, who)]["sql"] for page, who in CASES},
        "parts_ms": parts,
        "profile": profile,
        "patch": args.patch,
        "background_busy_pct": background,
        "waited_for_quiet_s": waited,
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
    print("BENCH_JSON " + json.dumps(result), flush=True)
    return 0


def measure_parts(info: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    """Median ms of each step of the view, per page and viewer, called directly."""
    from importlib import import_module

    from django.conf import settings

    from townsquare.accounts.models import User

    member = User.objects.get(username=info["viewer"])
    store = import_module(settings.SESSION_ENGINE).SessionStore
    return {
        f"{page} {who}": _case_parts(info, page, who, member, store, runs) for page, who in CASES
    }


def _case_parts(
    info: dict[str, Any], page: str, who: str, member: Any, store: Any, runs: int
) -> dict[str, float]:
    """The steps of `post_detail` for one page and viewer, each timed on its own."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage import default_storage
    from django.db import connection
    from django.middleware.csrf import get_token
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext

    from townsquare.posts import queries
    from townsquare.posts.display import hydrate
    from townsquare.posts.threads import thread
    from townsquare.web import render as cards
    from townsquare.web.context import site
    from townsquare.web.forms import PostForm
    from townsquare.web.views.posts import _flatten, reply_prefill

    viewer: Any = member if who == "member" else AnonymousUser()
    signed_in = member if who == "member" else None
    path = info[f"{page}_path"]
    request = RequestFactory().get(path)
    request.user = viewer
    request.session = store()
    request._messages = default_storage(request)  # type: ignore[attr-defined]
    token = get_token(request)
    post_id = info[f"{page}_id"]
    focus = queries.posts_by_id(viewer, [post_id])[post_id]
    conversation = thread(viewer, focus)
    listed = [*conversation.ancestors, focus, *_flatten(conversation.replies)]
    views = {view.item.id: view for view in hydrate(viewer, listed)}
    html = cards.thread_html(conversation, views, signed_in, token, path)
    with CaptureQueriesContext(connection) as captured:
        thread(viewer, focus)
    conversation_sql = captured.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(conversation_sql)
        fetched = len(cursor.fetchall())

    def raw_sql(sql: str = conversation_sql) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            cursor.fetchall()

    def page_template(request: Any = request, focus: Any = focus, html: str = html) -> None:
        form = None
        if signed_in is not None:
            form = PostForm(
                initial={
                    "in_reply_to": focus.pk,
                    "text": reply_prefill(signed_in, focus),
                    "visibility": focus.visibility,
                }
            )
        context = {"post": focus, "thread_html": html, "more_after": None, "form": form}
        render_to_string("web/post.html", context, request)

    def badge(request: Any = request) -> None:
        site(request)["unread_notifications"]()

    steps = {
        "focus post (posts_by_id)": lambda: queries.posts_by_id(viewer, [post_id]),
        "thread(): conversation query + tree": lambda: thread(viewer, focus),
        "  conversation SQL alone, raw cursor": raw_sql,
        "hydrate()": lambda: hydrate(viewer, listed),
        "thread_html() (cards, render.py)": lambda: cards.thread_html(
            conversation, views, signed_in, token, path
        ),
        "web/post.html around it (base, reply form)": page_template,
    }
    if signed_in is not None:
        steps["  of which the menu's unread badge"] = badge
    times = {name: round(_median_ms(step, runs), 3) for name, step in steps.items()}
    times["posts fetched"] = float(fetched)
    times["cards shown"] = float(len(views))
    return times


def _median_ms(fn: Any, runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


# --------------------------------------------------------------------------------------------
# Orchestration (no Django in this process)
# --------------------------------------------------------------------------------------------


def _options(**values: object) -> list[str]:
    """Command-line options for a child process: --name value for each keyword."""
    return [item for k, v in values.items() for item in (f"--{k.replace('_', '-')}", str(v))]


def prepare(args: argparse.Namespace, database: str) -> tuple[Path, dict[str, str], dict]:
    data_dir = data_dir_for(args.data_root, database)
    env = thread_env(database, data_dir)
    marker = data_dir / "thread.json"
    if args.reuse and marker.exists():
        fb.log(f"{database}: reusing the conversation in {data_dir}")
        info = json.loads(marker.read_text())
        info["reused"] = True
        return data_dir, env, info
    fb.log(f"{database}: fresh data dir {data_dir}")
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if database == "postgres":
        fb.recreate_pg_database(PG_DATABASE)
    fb.run_checked([*fb.townsquare_cmd(), "migrate"], env, timeout=600, what="migrate")
    fb.log(f"{database}: seeding {args.members} members, {args.posts} posts")
    out = fb.run_checked(
        [
            sys.executable,
            str(fb.BENCH_DIR / "feed_bench.py"),
            "_seed",
            *_options(members=args.members, posts=args.posts, sessions=1, seed=args.seed),
            *_options(fanout_followers=min(1000, args.members)),
        ],
        env,
        timeout=3600,
        what="seeding",
    )
    background = fb.last_json_line(out.stdout)
    fb.log(f"{database}: building the conversation through the write layer")
    out = fb.run_checked(
        [sys.executable, __file__, "_thread", "--seed", str(args.seed)],
        env,
        timeout=1800,
        what="building the conversation",
    )
    info = fb.last_json_line(out.stdout)
    info["background"] = background
    marker.write_text(json.dumps(info, indent=2) + "\n")
    return data_dir, env, info


def run_database(args: argparse.Namespace, database: str) -> dict[str, Any]:
    data_dir, env, info = prepare(args, database)
    if args.django_settings:
        env = {
            **env,
            "DJANGO_SETTINGS_MODULE": args.django_settings,
            "PYTHONPATH": str(fb.REPO_DIR),
        }
    fb.log(f"{database}: measuring {args.runs} requests per page and viewer")
    out = fb.run_checked(
        [
            sys.executable,
            __file__,
            "_measure",
            *_options(runs=args.runs, warmup=args.warmup, profile_runs=args.profile_runs),
            *_options(top=args.top, quiet_below=args.quiet_below, quiet_wait=args.quiet_wait),
            *[arg for name in args.patch or [] for arg in ("--patch", name)],
        ],
        {**env, "PYTHONPATH": str(fb.REPO_DIR)},
        timeout=1800,
        what="measuring",
    )
    result = fb.last_json_line(out.stdout)
    result.update(
        database=database,
        data_dir=str(data_dir),
        django_settings=args.django_settings or "townsquare.settings",
        label=args.label,
        conversation={k: v for k, v in info.items() if k != "cookie"},
    )
    return result


def print_table(results: list[dict[str, Any]]) -> None:
    print()
    header = (
        f"{'database':10} {'page':5} {'viewer':8} {'pages/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'CPU ms':>7} {'queries':>7} {'cards':>5} {'KB':>5}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        for row in result["rows"]:
            print(
                f"{result['database']:10} {row['page']:5} {row['viewer']:8} "
                f"{row['pages_per_s']:>8.1f} {row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} "
                f"{row['cpu_ms_per_page']:>7.2f} {row['queries']:>7} {row['cards']:>5} "
                f"{row['bytes'] / 1024:>5.0f}"
            )
    for result in results:
        parts = result["parts_ms"]
        print(f"\n{result['database']}: parts of the view (median ms)")
        print(f"  {'':44}" + "".join(f"{case:>14}" for case in parts))
        for name in parts["root member"]:
            print(
                f"  {name:44}"
                + "".join(f"{parts[case].get(name, float('nan')):14.3f}" for case in parts)
            )
        print(f"{result['database']}: cProfile, root page as member, top by own time")
        for row in result["profile"]["by_tottime"][:12]:
            per = row["tottime_ms"] / result["profile"]["requests"]
            print(f"  {per:7.3f} ms/page  {row['calls']:>7}  {row['function'][:90]}")
    print()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("internal", nargs="?", choices=["_thread", "_measure"])
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--reuse", action="store_true", help="reuse a conversation built before")
    parser.add_argument("--members", type=int, default=1000, help="background members")
    parser.add_argument("--posts", type=int, default=50_000, help="background posts")
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--runs", type=int, default=300, help="timed requests per page/viewer")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page/viewer")
    parser.add_argument("--profile-runs", type=int, default=100)
    parser.add_argument("--top", type=int, default=30, help="cProfile rows kept")
    parser.add_argument("--data-root", type=Path, default=fb.DEFAULT_DATA_ROOT)
    parser.add_argument("--quiet-below", type=float, default=15.0)
    parser.add_argument("--quiet-wait", type=float, default=60.0)
    parser.add_argument("--django-settings", help="experiment: a settings module")
    parser.add_argument(
        "--patch",
        action="append",
        help="experiment: a module whose apply() patches the code, e.g. "
        "bench.experiments.thread_NAME",
    )
    parser.add_argument("--label", help="added to the results file name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.internal == "_thread":
        return build_thread(args)
    if args.internal == "_measure":
        return measure(args)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    machine = fb.machine_info()
    fb.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    results = []
    with contextlib.ExitStack() as stack:
        stack.callback(fb.stop_all_children)
        for database in databases:
            started = dt.datetime.now(dt.UTC)
            result = run_database(args, database)
            result["started_at"] = started.isoformat(timespec="seconds")
            result["machine"] = machine
            stamp = started.strftime("%Y%m%dT%H%M%SZ")
            label = f"-{args.label}" if args.label else ""
            path = fb.RESULTS_DIR / f"{stamp}-{database}-thread{label}.json"
            path.write_text(json.dumps(result, indent=2) + "\n")
            fb.log(f"wrote {path.relative_to(fb.REPO_DIR)}")
            results.append(result)
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
