"""Replies and threads, likes, shares and quotes, bookmarks, pins, edits and content warnings:
through the write layer and through the pages a member uses."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import text_of
from tests.factories import follow, make_post, make_user, run_jobs
from townsquare.notifications.models import Kind, Notification
from townsquare.posts import actions
from townsquare.posts.models import Bookmark, Like, Pin, Post, PostEdit, Visibility
from townsquare.posts.queries import posts_by_id
from townsquare.posts.threads import MAX_DEPTH, thread

pytestmark = pytest.mark.django_db


def reply(author, parent: Post, text: str, visibility: int = Visibility.PUBLIC) -> Post:
    return actions.create_post(author, text=text, visibility=visibility, in_reply_to=parent)


def notified(recipient, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=recipient, kind=kind))


# --- replies and threads ----------------------------------------------------------------------


def test_reply_joins_the_conversation_counts_and_notifies() -> None:
    ana, fern = make_user("ana"), make_user("fern")
    root = make_post(ana, "Who has spare tomato seedlings?")
    answer = reply(fern, root, "I have six, come by on Saturday.")
    assert answer.in_reply_to_id == root.pk and answer.conversation_id == root.pk
    nested = reply(ana, answer, "Wonderful, thank you!")
    assert nested.conversation_id == root.pk
    root.refresh_from_db()
    answer.refresh_from_db()
    assert (root.replies_count, answer.replies_count) == (1, 1)
    assert [n.actor_id for n in notified(ana, Kind.REPLY)] == [fern.pk]
    assert [n.actor_id for n in notified(fern, Kind.REPLY)] == [ana.pk]
    # The author answered may always see the reply, whatever its level.
    assert nested.mentions.filter(user=fern).exists()


def test_reply_is_never_more_public_than_a_restricted_post() -> None:
    ana, fern = make_user("ana"), make_user("fern")
    follow(fern, ana)
    private = make_post(ana, "Allotment gate code changed.", Visibility.FOLLOWERS)
    answer = reply(fern, private, "Thanks for the heads-up", Visibility.PUBLIC)
    assert answer.visibility == Visibility.FOLLOWERS
    only_mentioned = make_post(ana, "@fern the spare key is under the pot", Visibility.MENTIONED)
    answer = reply(fern, only_mentioned, "Got it", Visibility.PUBLIC)
    assert answer.visibility == Visibility.MENTIONED
    # An unlisted post may be answered in public (Mastodon does the same).
    unlisted = make_post(ana, "Notes from the meeting", Visibility.UNLISTED)
    assert reply(fern, unlisted, "Thanks!", Visibility.PUBLIC).visibility == Visibility.PUBLIC


def test_reply_to_an_invisible_or_deleted_post_is_refused_as_missing() -> None:
    ana, sam = make_user("ana"), make_user("sam")
    private = make_post(ana, "Members only: plot map", Visibility.FOLLOWERS)
    with pytest.raises(ValidationError, match="not available"):
        reply(sam, private, "Let me in")
    assert not Post.objects.filter(author=sam).exists()


def test_thread_shows_ancestors_nested_replies_and_more_beyond_depth() -> None:
    ana, fern, sam = make_user("ana"), make_user("fern"), make_user("sam")
    root = make_post(ana, "Chess society: best opening for beginners?")
    first = reply(fern, root, "The Italian game")
    second = reply(sam, first, "Agreed, simple ideas")
    third = reply(ana, second, "Thanks both")
    fourth = reply(fern, third, "Any time")
    other = reply(sam, root, "The London system")
    focus = posts_by_id(ana, [root.pk])[root.pk]
    conversation = thread(ana, focus)
    assert [node.post.id for node in conversation.replies] == [first.pk, other.pk]
    level_one = conversation.replies[0]
    assert [node.post.id for node in level_one.children] == [second.pk]
    assert MAX_DEPTH == 2
    assert level_one.children[0].children == []
    assert level_one.children[0].hidden == 2  # third and fourth are behind "show more"
    # From a reply's own page the ancestors are listed, oldest first.
    deep = thread(ana, posts_by_id(ana, [third.pk])[third.pk])
    assert [p.id for p in deep.ancestors] == [root.pk, first.pk, second.pk]
    assert [node.post.id for node in deep.replies] == [fourth.pk]


def test_thread_page_hides_replies_the_viewer_may_not_see(client: Client) -> None:
    ana, fern, sam = make_user("ana"), make_user("fern"), make_user("sam")
    follow(fern, ana)
    root = make_post(ana, "Seed swap on Sunday")
    visible = reply(fern, root, "I will bring beans (marker-open)")
    follow(sam, fern)
    hidden = reply(fern, root, "Followers of fern only (marker-closed)", Visibility.FOLLOWERS)
    page = text_of(client.get(f"/@ana/{root.pk}"))
    assert "marker-open" in page and f"post-{visible.pk}" in page
    assert "marker-closed" not in page and str(hidden.pk) not in page
    client.force_login(sam)
    page = text_of(client.get(f"/@ana/{root.pk}"))
    assert "marker-closed" in page


def test_deleting_a_reply_lowers_the_count_and_keeps_the_thread_readable(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    root = make_post(ana, "Compost workshop")
    answer = reply(fern, root, "Count me in")
    below = reply(ana, answer, "Great")
    actions.delete_post(fern, answer)
    root.refresh_from_db()
    assert root.replies_count == 0
    page = text_of(client.get(f"/@ana/{below.pk}"))
    assert "deleted or that you cannot see" in page
    with pytest.raises(PermissionDenied):
        actions.delete_post(fern, root)


def test_reply_through_the_composer_without_javascript(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    root = make_post(ana, "Who wants rhubarb?")
    client.force_login(fern)
    page = text_of(client.get(f"/@ana/{root.pk}"))
    assert f'name="in_reply_to" value="{root.pk}"' in page and "@ana " in page
    response = client.post(
        "/posts", {"text": "@ana me please", "visibility": "0", "in_reply_to": str(root.pk)}
    )
    answer = Post.objects.get(author=fern)
    assert answer.in_reply_to_id == root.pk
    assert response.status_code == 302
    assert response["Location"] == f"/@ana/{root.pk}#post-{answer.pk}"
    # A reply to a post that vanished meanwhile is a form error, not a crash.
    root_id = root.pk
    root.delete()
    response = client.post("/posts", {"text": "late", "visibility": "0", "in_reply_to": root_id})
    assert response.status_code == 400
    assert "not available" in text_of(response)


# --- likes ------------------------------------------------------------------------------------


def test_like_unlike_counts_liked_by_and_notifications(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    post = make_post(ana, "First snowdrops of the year")
    actions.like(fern, post)
    actions.like(fern, post)  # twice is once
    post.refresh_from_db()
    assert post.likes_count == 1 and Like.objects.count() == 1
    assert len(notified(ana, Kind.LIKE)) == 1
    page = text_of(client.get(f"/@ana/{post.pk}/likes"))
    assert "@fern" in page
    actions.unlike(fern, post)
    post.refresh_from_db()
    assert post.likes_count == 0 and not notified(ana, Kind.LIKE)


def test_like_of_an_invisible_post_is_answered_as_missing(client: Client) -> None:
    ana, sam = make_user("ana"), make_user("sam")
    private = make_post(ana, "Members only", Visibility.FOLLOWERS)
    client.force_login(sam)
    assert client.post(f"/posts/{private.pk}/like").status_code == 404
    assert client.post(f"/posts/{private.pk + 999}/like").status_code == 404
    assert not Like.objects.exists()
    with pytest.raises(ValidationError):
        actions.like(sam, private)


def test_like_button_works_without_and_with_htmx(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    post = make_post(ana, "Pruning roses today")
    client.force_login(fern)
    response = client.post(f"/posts/{post.pk}/like", {"next": "/public"})
    assert response.status_code == 302 and response["Location"] == "/public"
    assert Like.objects.filter(user=fern, post=post).exists()
    fragment = client.post(f"/posts/{post.pk}/unlike", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    html = text_of(fragment)
    assert html.startswith(f'<article class="post" id="post-{post.pk}"')
    assert ">Like</button>" in html and "0 likes" in html


# --- shares and quotes ------------------------------------------------------------------------


def test_share_reaches_followers_once_and_unshare_removes_it(client: Client) -> None:
    ana, fern, ruth, reader = (make_user(n) for n in ("ana", "fern", "ruth", "reader"))
    follow(reader, fern)
    follow(reader, ruth)
    post = make_post(ana, "Open garden day on the 12th (marker-share)")
    run_jobs()
    first = actions.share(fern, post)
    assert actions.share(fern, post).pk == first.pk  # twice is once
    run_jobs()
    actions.share(ruth, post)
    run_jobs()
    post.refresh_from_db()
    assert post.shares_count == 2
    client.force_login(reader)
    home = text_of(client.get("/"))
    assert home.count("marker-share") == 1, "a second share within the window is not repeated"
    assert "fern</a> shared" in home
    assert {n.actor_id for n in notified(ana, Kind.SHARE)} == {fern.pk, ruth.pk}
    page = text_of(client.get(f"/@ana/{post.pk}/shares"))
    assert "@fern" in page and "@ruth" in page
    actions.unshare(fern, post)
    post.refresh_from_db()
    assert post.shares_count == 1
    assert not Post.objects.filter(author=fern, reblog_of=post).exists()


def test_only_public_and_unlisted_posts_can_be_shared() -> None:
    ana, fern = make_user("ana"), make_user("fern")
    follow(fern, ana)
    for level in (Visibility.FOLLOWERS, Visibility.MENTIONED):
        post = make_post(ana, "@fern private note", level)
        with pytest.raises(ValidationError):
            actions.share(fern, post)
    assert actions.share(fern, make_post(ana, "Unlisted", Visibility.UNLISTED)).reblog_of_id


def test_share_disappears_with_its_original(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    post = make_post(ana, "Jam recipe (marker-jam)")
    actions.share(fern, post)
    assert "marker-jam" in text_of(client.get("/@fern"))
    actions.delete_post(ana, post)
    assert not Post.objects.filter(author=fern).exists()
    assert "marker-jam" not in text_of(client.get("/@fern"))


def test_quote_share_shows_the_quoted_post_and_notifies(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    post = make_post(ana, "Plot 7 is free (marker-plot)")
    client.force_login(fern)
    page = text_of(client.get(f"/compose?quote={post.pk}"))
    assert f'name="quote_of" value="{post.pk}"' in page
    response = client.post(
        "/posts", {"text": "Anyone?", "visibility": "0", "quote_of": str(post.pk)}
    )
    assert response.status_code == 302
    quote = Post.objects.get(author=fern)
    assert quote.quote_of_id == post.pk
    assert [n.actor_id for n in notified(ana, Kind.QUOTE)] == [fern.pk]
    html = text_of(client.get(f"/@fern/{quote.pk}"))
    assert 'class="quoted"' in html and "marker-plot" in html
    private = make_post(ana, "secret", Visibility.FOLLOWERS)
    with pytest.raises(ValidationError):
        actions.create_post(fern, text="look", quote_of=private)


# --- bookmarks and pins -----------------------------------------------------------------------


def test_bookmarks_page_lists_only_what_the_member_may_still_see(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    follow(fern, ana)
    public = make_post(ana, "Bookmark me (marker-bm1)")
    private = make_post(ana, "Followers (marker-bm2)", Visibility.FOLLOWERS)
    actions.bookmark(fern, public)
    actions.bookmark(fern, private)
    client.force_login(fern)
    page = text_of(client.get("/bookmarks"))
    assert "marker-bm1" in page and "marker-bm2" in page
    from townsquare.graph import actions as graph_actions

    graph_actions.unfollow(fern, ana)
    page = text_of(client.get("/bookmarks"))
    assert "marker-bm1" in page and "marker-bm2" not in page
    actions.unbookmark(fern, public)
    assert not Bookmark.objects.filter(user=fern, post=public).exists()
    assert client.get("/bookmarks", follow=False).status_code == 200


def test_pins_show_first_on_the_profile_and_are_limited(client: Client) -> None:
    ana = make_user("ana")
    old = make_post(ana, "Welcome to the chess society (marker-pinned)")
    for i in range(3):
        make_post(ana, f"Weekly puzzle {i}")
    actions.pin(ana, old)
    page = text_of(client.get("/@ana"))
    assert page.index("marker-pinned") < page.index("Weekly puzzle 2")
    assert "Pinned" in page
    for i in range(actions.MAX_PINS - 1):
        actions.pin(ana, make_post(ana, f"Rule {i}"))
    with pytest.raises(ValidationError, match="at most 5"):
        actions.pin(ana, make_post(ana, "One too many"))
    other = make_user("fern")
    with pytest.raises(ValidationError):
        actions.pin(other, old)
    actions.unpin(ana, old)
    assert not Pin.objects.filter(post=old).exists()


# --- edits and content warnings ---------------------------------------------------------------


def test_edit_keeps_a_visible_history(client: Client) -> None:
    ana = make_user("ana")
    post = make_post(ana, "Meeting at 7pm")
    actions.edit_post(ana, post, text="Meeting at 8pm #chess")
    actions.edit_post(ana, post, text="Meeting at 8pm in the library #chess")
    post.refresh_from_db()
    assert post.edited_at is not None and "library" in post.html
    assert PostEdit.objects.filter(post=post).count() == 3  # original + two versions
    page = text_of(client.get(f"/@ana/{post.pk}/history"))
    assert "7pm" in page and "original" in page and "library" in page
    assert "edited" in text_of(client.get(f"/@ana/{post.pk}"))
    # Hashtags are recorded again from the new text: the post is on the tag page now.
    assert "library" in text_of(client.get("/tags/chess"))


def test_only_the_author_edits_and_bad_edits_are_form_errors(client: Client) -> None:
    ana, fern = make_user("ana"), make_user("fern")
    post = make_post(ana, "Original text")
    with pytest.raises(PermissionDenied):
        actions.edit_post(fern, post, text="hijack")
    client.force_login(fern)
    assert client.get(f"/posts/{post.pk}/edit").status_code == 404
    client.force_login(ana)
    response = client.post(f"/posts/{post.pk}/edit", {"text": "  "})
    assert response.status_code == 400 and "Write something" in text_of(response)
    response = client.post(f"/posts/{post.pk}/edit", {"text": "x" * 6000})
    assert response.status_code == 400
    post.refresh_from_db()
    assert post.text == "Original text" and not PostEdit.objects.exists()


def test_content_warning_hides_the_text_until_clicked(client: Client) -> None:
    ana = make_user("ana")
    actions.create_post(
        ana, text="The ending of the film (marker-spoiler)", spoiler_text="Film spoilers"
    )
    page = text_of(client.get("/@ana"))
    summary_at = page.index("Film spoilers")
    assert '<details class="cw">' in page
    assert page.index("<details", summary_at - 200) < summary_at < page.index("marker-spoiler")
    post = Post.objects.get(author=ana)
    assert post.sensitive  # a warning also hides media
    with pytest.raises(ValidationError):
        actions.create_post(ana, text="x", spoiler_text="w" * 501)
