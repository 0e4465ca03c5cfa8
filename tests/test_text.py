"""Member text becomes safe HTML: links for mentions, hashtags and URLs; nothing else survives."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.factories import make_post, make_user
from townsquare.accounts.queries import render_member_text
from townsquare.posts.models import Hashtag, Mention

pytestmark = pytest.mark.django_db


def test_mentions_of_members_become_profile_links_and_others_stay_text() -> None:
    make_user("Rowan")
    rendered = render_member_text("Thanks @rowan and @nobody_here for the seeds!")
    assert '<a href="/@Rowan" class="mention"' in rendered.html
    assert "@nobody_here" in rendered.html and 'href="/@nobody_here"' not in rendered.html
    assert rendered.mentions == ["Rowan"]


def test_hashtags_link_to_their_page_in_lower_case() -> None:
    rendered = render_member_text("Big day for #Tomatoes and #tomatoes and #chess2026")
    assert '<a href="/tags/tomatoes" class="hashtag"' in rendered.html
    assert rendered.hashtags == ["tomatoes", "chess2026"]


def test_urls_become_links_without_trailing_punctuation() -> None:
    rendered = render_member_text("Plans at https://example.org/garden?plot=4. See you!")
    assert 'href="https://example.org/garden?plot=4"' in rendered.html
    assert "</a>. See you!" in rendered.html
    assert 'rel="nofollow noopener noreferrer"' in rendered.html


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "javascript:alert(1)",
        '"><a href="javascript:alert(1)">x</a>',
        'https://example.org/"onmouseover="alert(1)',
    ],
)
def test_markup_in_text_is_escaped_never_executed(hostile: str) -> None:
    html = render_member_text(f"Hello {hostile}").html
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"p", "br", "a"}
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs)
        if tag == "a":
            assert attrs["href"].startswith(("https://", "http://", "/"))


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    found: list[tuple[str, dict[str, str]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, {name: value or "" for name, value in attrs}))

    Collector().feed(html)
    return found


def test_paragraphs_and_line_breaks_are_kept() -> None:
    html = render_member_text("Line one\nline two\n\nSecond paragraph").html
    assert html == "<p>Line one<br>line two</p><p>Second paragraph</p>"


def test_a_post_records_its_mentions_and_hashtags() -> None:
    author, friend = make_user("hazel"), make_user("linden")
    post = make_post(author, "@linden the #compost is ready, and so am I @hazel")
    assert list(Mention.objects.filter(post=post).values_list("user__username", flat=True)) == [
        "linden"
    ]  # mentioning yourself records nothing
    assert Hashtag.objects.filter(name="compost").exists()
    assert friend.pk != author.pk


def test_a_hashtag_whose_lower_case_is_not_a_word_stays_plain_text() -> None:
    # "İ".lower() is "i" plus a combining dot: not a name the tag page could be found under.
    rendered = render_member_text("Greetings from #İstanbul and #garden")
    assert "#İstanbul" in rendered.html and 'href="/tags/garden"' in rendered.html
    assert rendered.hashtags == ["garden"]
