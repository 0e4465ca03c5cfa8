"""Link previews: the first link in a post gets a card from the page's metadata, fetched by a
job through the outbound client; video links become click-to-load embeds."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django_tasks_db.models import DBTaskResult
from PIL import Image

from tests.factories import make_post, make_user, run_jobs
from tests.test_outbound_http import LocalWeb, fake_dns
from townsquare.core import http
from townsquare.core.middleware import CONTENT_SECURITY_POLICY
from townsquare.links import tasks
from townsquare.links.actions import first_link, schedule_preview
from townsquare.links.models import Card, CardStatus, PostCard
from townsquare.links.queries import cards_for
from townsquare.links.render import card_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def web() -> Iterator[LocalWeb]:
    """A web server on 127.0.0.1 with the pages a test links to."""
    server = LocalWeb()
    yield server
    server.close()


def png(width: int = 1200, height: int = 630) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (60, 140, 70)).save(out, "PNG")
    return out.getvalue()


def og_page(title: str, description: str = "", image: str = "", site: str = "") -> str:
    tags = [f'<meta property="og:title" content="{title}">']
    if description:
        tags.append(f'<meta property="og:description" content="{description}">')
    if image:
        tags.append(f'<meta property="og:image" content="{image}">')
    if site:
        tags.append(f'<meta property="og:site_name" content="{site}">')
    return f"<!doctype html><html><head>{''.join(tags)}</head><body>Hello</body></html>"


def post_linking(url: str, words: str = "Look at this:") -> Any:
    author = make_user()
    post = make_post(author, f"{words} {url} - see you there!")
    schedule_preview(post.pk, post.text)
    return post


def card_of(post: Any) -> Card:
    return Card.objects.get(pk=PostCard.objects.get(post_id=post.pk).card_id)


def fetch_jobs() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="fetch_card").count()


def test_an_opengraph_page_becomes_a_card_with_its_image(web: LocalWeb) -> None:
    web.page(
        "/spring-fair",
        og_page(
            "Spring seed swap",
            "Bring your spare seeds &amp; cuttings.",
            "/banner.png",
            "Allotment Club",
        ),
    )
    web.page("/banner.png", png(), content_type="image/png")
    post = post_linking(web.url("/spring-fair"))
    assert card_html(card_of(post)) == ""  # pending until the job has run
    assert cards_for([post.pk]) == {}

    run_jobs()

    card = cards_for([post.pk])[post.pk]
    assert card.status == CardStatus.READY and card.fetched_at is not None
    assert (card.title, card.site_name) == ("Spring seed swap", "Allotment Club")
    assert card.description == "Bring your spare seeds & cuttings."
    assert card.image.startswith("previews/") and default_storage.exists(card.image)
    with default_storage.open(card.image) as stored:
        assert Image.open(stored).size == (400, 210)
    html = card_html(card)
    assert f'href="{web.url("/spring-fair")}"' in html
    assert "Spring seed swap" in html and "Allotment Club" in html
    assert "Bring your spare seeds &amp; cuttings." in html
    assert f'src="{default_storage.url(card.image)}"' in html
    assert 'rel="nofollow noopener noreferrer ugc"' in html
    assert web.paths_requested() == ["/spring-fair", "/banner.png"]


def test_titles_and_descriptions_from_pages_are_escaped(web: LocalWeb) -> None:
    web.page(
        "/trap",
        og_page(
            "&lt;script&gt;alert(1)&lt;/script&gt; Rook endgames",
            "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;",
            site="<b>Chess</b>",
        ),
    )
    post = post_linking(web.url("/trap"))
    run_jobs()
    html = card_html(card_of(post))
    assert "Rook endgames" in html
    assert "<script>" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_title_and_meta_description_are_used_without_opengraph(web: LocalWeb) -> None:
    web.page(
        "/plain",
        "<html><head><title>\n  Compost   basics </title>"
        '<meta name="description" content="Layers, water, patience."></head></html>',
    )
    post = post_linking(web.url("/plain"))
    run_jobs()
    card = card_of(post)
    assert (card.title, card.description, card.image) == (
        "Compost basics",
        "Layers, water, patience.",
        "",
    )
    assert "127.0.0.1" in card_html(card)  # the site name falls back to the host


def test_oembed_discovery_fills_in_title_site_and_thumbnail(web: LocalWeb) -> None:
    web.page(
        "/talk",
        '<html><head><link rel="alternate" type="application/json+oembed" '
        'href="/oembed?url=talk"></head><body>video page</body></html>',
    )
    oembed = {
        "type": "video",
        "title": "Pruning roses, step by step",
        "provider_name": "Garden Talks",
        "thumbnail_url": web.url("/thumb.png"),
        "html": "<iframe src='https://evil.example'></iframe>",
    }
    web.page("/oembed", json.dumps(oembed), content_type="application/json+oembed")
    web.page("/thumb.png", png(640, 360), content_type="image/png")
    post = post_linking(web.url("/talk"))
    run_jobs()
    card = card_of(post)
    assert (card.title, card.site_name) == ("Pruning roses, step by step", "Garden Talks")
    assert card.image and default_storage.exists(card.image)
    assert "iframe" not in card_html(card)


def test_a_page_reached_through_a_redirect_gets_its_card(web: LocalWeb) -> None:
    web.redirect("/short", "/long-article")
    web.page("/long-article", og_page("Winter sowing", image="banner.png"))
    web.page("/banner.png", png(), content_type="image/png")
    post = post_linking(web.url("/short"))
    run_jobs()
    card = card_of(post)
    assert card.title == "Winter sowing" and card.image  # image relative to the final page


def test_names_are_sent_to_the_server_as_written(
    monkeypatch: pytest.MonkeyPatch, web: LocalWeb
) -> None:
    fake_dns(monkeypatch, {"chess.example": ["127.0.0.1"]})
    web.page("/club", og_page("Chess society"))
    post = post_linking(web.url("/club", host="chess.example"))
    run_jobs()
    assert card_of(post).title == "Chess society"
    request = web.requests[0]["headers"]
    assert request["Host"] == f"chess.example:{web.port}"
    assert request["User-Agent"].startswith("Townsquare/")


BAD_PAGES: list[tuple[str, bytes, str, int]] = [
    ("not-found", b"<title>Missing</title>", "text/html", 404),
    ("pdf", b"%PDF-1.7 binary", "application/pdf", 200),
    ("garbage", bytes(range(256)) * 50, "text/html", 200),
    ("no-title", b"<html><head></head><body><p>nothing</body>", "text/html", 200),
    (
        "broken",
        b'<html><head><meta property="og:title" content="Half"><p><div><meta n',
        "text/html",
        200,
    ),
    ("bad-charset", b"<title>Seeds</title>", "text/html; charset=no-such-charset", 200),
    ("huge", b"<title>Big</title>" + b" " * (2 * 1024 * 1024), "text/html", 200),
]


@pytest.mark.parametrize(("name", "body", "content_type", "status"), BAD_PAGES)
def test_bad_pages_leave_a_failed_card_that_shows_nothing(
    web: LocalWeb, name: str, body: bytes, content_type: str, status: int
) -> None:
    web.page(f"/{name}", body, content_type=content_type, status=status)
    post = post_linking(web.url(f"/{name}"))
    run_jobs()  # raises if the job crashed
    card = card_of(post)
    if name in ("broken", "bad-charset"):  # tolerated: a title was there to read
        assert card.status == CardStatus.READY and card.title in ("Half", "Seeds")
        return
    assert card.status == CardStatus.FAILED
    assert (card.title, card.description, card.site_name, card.image) == ("", "", "", "")
    assert card_html(card) == "" and cards_for([post.pk]) == {}


def test_a_redirect_to_a_private_address_leaves_a_failed_card(web: LocalWeb) -> None:
    web.redirect("/to-metadata", "http://169.254.169.254/latest/meta-data/")
    post = post_linking(web.url("/to-metadata"))
    run_jobs()
    assert card_of(post).status == CardStatus.FAILED
    assert web.paths_requested() == ["/to-metadata"]


def test_a_private_address_in_a_post_is_never_fetched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"router.example": ["192.168.1.1"]})
    post = post_linking("http://router.example/admin")
    run_jobs()
    assert card_of(post).status == CardStatus.FAILED


@pytest.mark.parametrize(
    ("image_path", "image_body", "image_type"),
    [
        ("/not-an-image.png", b"<html>surprise</html>", "image/png"),
        ("/page.html", b"<html></html>", "text/html"),
        ("/huge.png", b"\x89PNG" + b"0" * (11 * 1024 * 1024), "image/png"),
        ("/missing.png", b"", "image/png"),
        ("http://10.0.0.1/internal.png", b"", ""),
    ],
)
def test_a_bad_image_just_means_no_image(
    web: LocalWeb, image_path: str, image_body: bytes, image_type: str
) -> None:
    if image_path.startswith("/") and image_path != "/missing.png":
        web.page(image_path, image_body, content_type=image_type)
    web.page("/article", og_page("Mulching in autumn", "Leaves are free.", image_path))
    post = post_linking(web.url("/article"))
    run_jobs()
    card = card_of(post)
    assert card.status == CardStatus.READY and card.title == "Mulching in autumn"
    assert card.image == ""
    assert "<img" not in card_html(card)


def test_posts_linking_the_same_page_share_one_card_and_one_fetch(web: LocalWeb) -> None:
    web.page("/agenda", og_page("Club agenda"))
    first = post_linking(web.url("/agenda"))
    second = post_linking(web.url("/agenda#today"))
    assert card_of(first).pk == card_of(second).pk
    run_jobs()
    third = post_linking(web.url("/agenda"))
    run_jobs()
    assert web.paths_requested() == ["/agenda"]
    assert set(cards_for([first.pk, second.pk, third.pk])) == {first.pk, second.pk, third.pk}


def test_editing_a_post_follows_its_new_first_link(web: LocalWeb) -> None:
    web.page("/one", og_page("First page"))
    web.page("/two", og_page("Second page"))
    post = post_linking(web.url("/one"))
    schedule_preview(post.pk, f"Changed my mind: {web.url('/two')} and {web.url('/one')}")
    run_jobs()
    assert card_of(post).title == "Second page"
    schedule_preview(post.pk, "No links any more.")
    assert not PostCard.objects.filter(post_id=post.pk).exists()


def test_cards_for_many_posts_is_one_query(web: LocalWeb, django_assert_num_queries: Any) -> None:
    web.page("/a", og_page("Alpha"))
    web.page("/b", og_page("Beta"))
    posts = [post_linking(web.url("/a")), post_linking(web.url("/b"))]
    plain = make_post(make_user(), "No link here.")
    run_jobs()
    ids = [post.pk for post in posts] + [plain.pk]
    with django_assert_num_queries(1):
        cards = cards_for(ids)
        titles = {post_id: card.title for post_id, card in cards.items()}
    assert titles == {posts[0].pk: "Alpha", posts[1].pk: "Beta"}


def test_previews_switched_off_schedule_nothing(settings: Any, web: LocalWeb) -> None:
    settings.TOWNSQUARE = {**settings.TOWNSQUARE, "LINK_PREVIEWS": False}
    web.page("/quiet", og_page("Quiet"))
    post = post_linking(web.url("/quiet"))
    assert not PostCard.objects.filter(post_id=post.pk).exists()
    assert fetch_jobs() == 0
    run_jobs()
    assert web.requests == []


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no outbound request may be made for a video embed")

    monkeypatch.setattr(http, "get", refuse)
    monkeypatch.setattr(http, "resolve", refuse)


@pytest.mark.parametrize(
    ("url", "provider", "video_id"),
    [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42", "youtube", "dQw4w9WgXcQ"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
        ("https://www.youtube.com/shorts/abcdefghijk", "youtube", "abcdefghijk"),
        ("https://vimeo.com/76979871", "vimeo", "76979871"),
        ("https://player.vimeo.com/video/76979871", "vimeo", "76979871"),
    ],
)
def test_video_links_become_click_to_load_embeds_without_any_request(
    no_network: None, url: str, provider: str, video_id: str
) -> None:
    post = post_linking(url, "Our tournament stream")
    assert fetch_jobs() == 0
    run_jobs()
    card = cards_for([post.pk])[post.pk]
    assert (card.provider, card.embed_id) == (provider, video_id)
    html = card_html(card)
    player = (
        f"https://www.youtube-nocookie.com/embed/{video_id}?autoplay=1"
        if provider == "youtube"
        else f"https://player.vimeo.com/video/{video_id}?autoplay=1&amp;dnt=1"
    )
    assert f'data-embed-src="{player}"' in html
    assert 'class="link-embed-play"' in html
    assert f'href="{url.replace("&", "&amp;")}"' in html  # without JavaScript: a plain link
    assert "<iframe" not in html and "<img" not in html  # nothing loads until clicked


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ%22onload",
        "https://vimeo.com/channels/staffpicks",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
    ],
)
def test_links_that_only_look_like_videos_are_fetched_as_pages(no_network: None, url: str) -> None:
    post = post_linking(url)
    assert card_of(post).provider == ""
    assert fetch_jobs() == 1


def test_the_site_allows_only_the_two_video_players_in_frames() -> None:
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["frame-src"] == "https://www.youtube-nocookie.com https://player.vimeo.com"


def test_a_failure_while_saving_leaves_no_half_card_and_no_stray_image(
    monkeypatch: pytest.MonkeyPatch, web: LocalWeb
) -> None:
    web.page("/fair", og_page("Harvest fair", image="/banner.png"))
    web.page("/banner.png", png(), content_type="image/png")
    post = post_linking(web.url("/fair"))
    card = card_of(post)
    stored: list[str] = []
    real_fetch_image = tasks._fetch_image

    def fetch_image(url: str) -> str:
        stored.append(real_fetch_image(url))
        return stored[-1]

    def broken_save(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(tasks, "_fetch_image", fetch_image)
    monkeypatch.setattr(Card, "save", broken_save)
    with pytest.raises(RuntimeError):
        tasks.fetch_card.call(card.pk)
    monkeypatch.undo()
    card.refresh_from_db()
    assert card.status == CardStatus.PENDING and card.title == "" and card.image == ""
    assert stored and stored[0] and not default_storage.exists(stored[0])
    assert card_html(card) == ""


def test_a_refresh_that_fails_keeps_the_last_good_preview(web: LocalWeb) -> None:
    web.page("/notes", og_page("Meeting notes"))
    post = post_linking(web.url("/notes"))
    run_jobs()
    web.page("/notes", b"gone", status=500)
    assert tasks.fetch_card.call(card_of(post).pk) == "failed"
    card = card_of(post)
    assert card.status == CardStatus.READY and card.title == "Meeting notes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://garden.example/beds.", "https://garden.example/beds"),
        ("(https://garden.example/a_(b))", "https://garden.example/a_(b)"),
        ("two: http://a.example/1 http://b.example/2", "http://a.example/1"),
        ("ftp://files.example/x only", None),
        ("no links at all", None),
        ("http://bad.example:port/x then https://ok.example/", "https://ok.example/"),
    ],
)
def test_the_first_link_is_the_one_previewed(text: str, expected: str | None) -> None:
    assert first_link(text) == expected


def test_a_post_page_shows_the_card_and_allows_only_the_video_players(
    browser: Any, fern: Any, web: LocalWeb
) -> None:
    web.page("/show", og_page("Village show &lt;b&gt;results&lt;/b&gt;", site="Show Society"))
    linked = make_post(fern, f"Results are in: {web.url('/show')}")
    video = make_post(fern, "Opening game: https://youtu.be/dQw4w9WgXcQ")
    run_jobs()
    page = browser.get(f"/@fern/{linked.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Village show &lt;b&gt;results&lt;/b&gt;" in html and "Show Society" in html
    assert (
        "frame-src https://www.youtube-nocookie.com https://player.vimeo.com"
        in page["Content-Security-Policy"]
    )
    html = browser.get(f"/@fern/{video.pk}").content.decode()
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ' in html
    assert "<iframe" not in html
