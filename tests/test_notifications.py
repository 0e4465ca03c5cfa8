"""The notifications list: grouping, tabs, paging, the unread badge, marking read, and never
showing what the member should not see (blocked or muted members, posts out of sight)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tests.factories import follow, make_post, make_user
from townsquare.graph import actions as graph_actions
from townsquare.graph.models import Block, Mute
from townsquare.notifications import actions, queries
from townsquare.notifications.models import Kind, Notification
from townsquare.posts import actions as post_actions
from townsquare.posts.models import Post, Visibility

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_likes_of_one_post_are_grouped_with_the_first_actors_named(fern) -> None:
    post = make_post(fern, "First tomatoes of the season")
    likers = [make_user(name) for name in ("basil", "rowan", "sage", "thyme", "yarrow")]
    for liker in likers:
        actions.notify(fern.pk, Kind.LIKE, actor_id=liker.pk, post_id=post.pk)
    [item] = queries.notification_page(fern).items
    assert item.kind == Kind.LIKE and item.post == post and item.count == 5
    assert [a.username for a in item.actors] == ["yarrow", "thyme", "sage"]  # newest first
    assert item.others == 2 and item.unread
    assert item.summary == "yarrow, thyme, sage and 2 others liked your post"


def test_only_consecutive_notifications_about_one_post_group_but_follows_group_per_page(
    fern,
) -> None:
    tomatoes, beans = make_post(fern, "Tomatoes"), make_post(fern, "Beans")
    basil, rowan, sage = make_user("basil"), make_user("rowan"), make_user("sage")
    actions.notify(fern.pk, Kind.LIKE, actor_id=basil.pk, post_id=tomatoes.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk)
    actions.notify(fern.pk, Kind.LIKE, actor_id=rowan.pk, post_id=beans.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=rowan.pk)
    actions.notify(fern.pk, Kind.LIKE, actor_id=sage.pk, post_id=tomatoes.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=sage.pk)
    items = queries.notification_page(fern).items
    # newest first: follows (all three, page-wide), like tomatoes, like beans, like tomatoes
    assert [(i.kind, i.post, i.count) for i in items] == [
        (Kind.FOLLOW, None, 3),
        (Kind.LIKE, tomatoes, 1),
        (Kind.LIKE, beans, 1),
        (Kind.LIKE, tomatoes, 1),
    ]
    assert items[0].summary == "sage, rowan and basil followed you"


def test_the_type_filter_shows_one_kind_and_rejects_unknown_kinds(fern) -> None:
    basil = make_user("basil")
    mention = make_post(basil, "Seed swap at noon, @fern")
    Notification.objects.filter(recipient=fern).delete()  # whatever posting already sent
    actions.notify(fern.pk, Kind.MENTION, actor_id=basil.pk, post_id=mention.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk)
    page = queries.notification_page(fern, kind=Kind.MENTION)
    assert [(i.kind, i.post) for i in page.items] == [(Kind.MENTION, mention)]
    assert [i.kind for i in queries.notification_page(fern, kind="follow").items] == ["follow"]
    with pytest.raises(ValidationError):
        queries.notification_page(fern, kind="gossip")
    browser = client_for(fern)
    assert browser.get("/notifications?kind=gossip").status_code == 400
    page_html = browser.get("/notifications?kind=mention").content.decode()
    assert "Seed swap at noon" in page_html and "followed you" not in page_html


def test_pages_continue_by_id_cursor_without_gaps_or_repeats(fern) -> None:
    posts = [make_post(fern, f"Bulb order {n}") for n in range(5)]
    basil = make_user("basil")
    made = [
        actions.notify(fern.pk, Kind.LIKE, actor_id=basil.pk, post_id=post.pk) for post in posts
    ]
    seen: list[int] = []
    max_id = None
    while True:
        page = queries.notification_page(fern, max_id=max_id, limit=2)
        seen += [i for item in page.items for i in item.ids]
        if page.next_max_id is None:
            break
        max_id = page.next_max_id
    assert seen == sorted((n.pk for n in made if n), reverse=True)
    browser = client_for(fern)
    first = browser.get("/notifications?limit=2").content.decode()
    assert "Older notifications" in first and "Bulb order 4" in first
    assert "Bulb order 2" not in first
    older = browser.get(f"/notifications?limit=2&max_id={made[3].pk}", HTTP_HX_REQUEST="true")
    fragment = older.content.decode()
    assert "<html" not in fragment and "Bulb order 2" in fragment and "Bulb order 3" not in fragment


def test_a_page_costs_the_same_few_queries_however_many_notifications(
    fern, django_assert_num_queries, switches_read_once
) -> None:
    people = [make_user(f"gardener{n}") for n in range(6)]
    post = make_post(fern, "Allotment open day")
    actions.notify(fern.pk, Kind.LIKE, actor_id=people[0].pk, post_id=post.pk)
    with django_assert_num_queries(1):
        queries.notification_page(fern)
    for person in people:
        reply = make_post(person, "Count me in")
        actions.notify(fern.pk, Kind.REPLY, actor_id=person.pk, post_id=reply.pk)
        actions.notify(fern.pk, Kind.FOLLOW, actor_id=person.pk)
    with django_assert_num_queries(1):
        page = queries.notification_page(fern)
        [item.post and item.post.author.username for item in page.items]
        [actor.username for item in page.items for actor in item.actors]


def test_the_badge_counts_unread_and_drops_when_marked_read(fern) -> None:
    basil, rowan = make_user("basil"), make_user("rowan")
    first = actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=rowan.pk)
    assert queries.unread_count(fern) == 2
    assert first is not None
    assert actions.mark_read(fern, [first.pk]) == 1
    assert queries.unread_count(fern) == 1
    assert actions.mark_all_read(fern) == 1
    assert queries.unread_count(fern) == 0
    assert not any(item.unread for item in queries.notification_page(fern).items)


def test_no_one_can_mark_another_members_notifications_read(fern) -> None:
    basil = make_user("basil")
    theirs = actions.notify(basil.pk, Kind.FOLLOW, actor_id=fern.pk)
    assert theirs is not None
    assert actions.mark_read(fern, [theirs.pk]) == 0
    assert actions.mark_all_read(fern) == 0
    assert queries.unread_count(basil) == 1
    with pytest.raises(ValidationError):
        actions.mark_read(fern, [])
    response = client_for(fern).post("/notifications/read", {"ids": ["x"]})
    assert response.status_code == 400
    assert queries.unread_count(basil) == 1


def test_viewing_the_page_highlights_unread_until_mark_all_as_read(fern) -> None:
    basil = make_user("basil")
    post = make_post(fern, "Pruning the roses")
    actions.notify(fern.pk, Kind.LIKE, actor_id=basil.pk, post_id=post.pk)
    browser = client_for(fern)
    page = browser.get("/notifications").content.decode()
    assert 'class="notification kind-like unread"' in page
    assert 'href="/@basil"' in page and f'href="/@fern/{post.pk}"' in page
    assert "liked your post" in page and "Pruning the roses" in page
    assert queries.unread_count(fern) == 1  # looking does not mark read
    response = browser.post("/notifications/read")
    assert response.status_code == 302 and response["Location"] == "/notifications"
    assert queries.unread_count(fern) == 0
    assert " unread" not in browser.get("/notifications").content.decode().split("<main")[1]


def test_marking_one_item_read_from_the_page_marks_its_whole_group(fern) -> None:
    post = make_post(fern, "Compost bins")
    for name in ("basil", "rowan"):
        actions.notify(fern.pk, Kind.LIKE, actor_id=make_user(name).pk, post_id=post.pk)
    other = actions.notify(fern.pk, Kind.FOLLOW, actor_id=make_user("sage").pk)
    [likes] = [i for i in queries.notification_page(fern).items if i.kind == Kind.LIKE]
    response = client_for(fern).post(
        "/notifications/read", {"ids": [str(i) for i in likes.ids], "next": "/notifications"}
    )
    assert response.status_code == 302
    assert queries.unread_count(fern) == 1
    assert other is not None and not Notification.objects.get(pk=other.pk).read


def test_names_and_posts_are_escaped_on_the_page(fern) -> None:
    basil = make_user("basil")
    basil.display_name = "<b>Basil</b>"
    basil.save(update_fields=["display_name"])
    post = make_post(fern, "Beans <script>alert(1)</script> & peas")
    actions.notify(fern.pk, Kind.LIKE, actor_id=basil.pk, post_id=post.pk)
    page = client_for(fern).get("/notifications").content.decode()
    assert "&lt;b&gt;Basil&lt;/b&gt;" in page and "<script>alert" not in page


def test_nothing_is_written_from_a_blocked_or_muted_member(fern) -> None:
    basil, rowan = make_user("basil"), make_user("rowan")
    Block.objects.create(blocker=basil, blocked=fern)  # they blocked her
    Mute.objects.create(muter=fern, muted=rowan, hide_notifications=True)
    assert actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk) is None
    assert actions.notify(fern.pk, Kind.FOLLOW, actor_id=rowan.pk) is None
    assert queries.unread_count(fern) == 0


def test_earlier_notifications_disappear_after_a_block_or_a_notification_mute(fern) -> None:
    basil, rowan, sage = make_user("basil"), make_user("rowan"), make_user("sage")
    for member in (basil, rowan, sage):
        actions.notify(fern.pk, Kind.FOLLOW, actor_id=member.pk)
    assert queries.unread_count(fern) == 3
    Block.objects.create(blocker=fern, blocked=basil)
    Mute.objects.create(muter=fern, muted=rowan, hide_notifications=True)
    [item] = queries.notification_page(fern).items
    assert [a.username for a in item.actors] == ["sage"]
    assert queries.unread_count(fern) == 1
    Mute.objects.filter(muter=fern).update(hide_notifications=False)  # posts muted only
    assert queries.unread_count(fern) == 2


def test_a_followers_only_post_leaves_notifications_when_the_recipient_stops_following(
    fern,
) -> None:
    basil = make_user("basil")
    follow(fern, basil)
    reply = make_post(basil, "Only for the club: the shed key moved", Visibility.FOLLOWERS)
    actions.notify(fern.pk, Kind.REPLY, actor_id=basil.pk, post_id=reply.pk)
    assert [i.post for i in queries.notification_page(fern).items] == [reply]
    graph_actions.unfollow(fern, basil)
    assert queries.notification_page(fern).items == []
    assert queries.unread_count(fern) == 0
    assert "shed key" not in client_for(fern).get("/notifications").content.decode()


def test_a_deleted_post_takes_its_notifications_away(fern) -> None:
    basil = make_user("basil")
    post = make_post(basil, "Anyone for chess after weeding?")
    actions.notify(fern.pk, Kind.MENTION, actor_id=basil.pk, post_id=post.pk)
    post_actions.delete_post(basil, post)
    assert not Post.objects.filter(pk=post.pk).exists()
    assert queries.notification_page(fern).items == []
    assert queries.unread_count(fern) == 0


def test_a_suspended_actor_is_not_shown(fern) -> None:
    basil = make_user("basil")
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk)
    basil.is_active = False
    basil.save(update_fields=["is_active"])
    assert queries.notification_page(fern).items == []


def test_the_notification_pages_need_login() -> None:
    anonymous = Client()
    for url in ("/notifications", "/settings/notifications"):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login")
    response = anonymous.post("/notifications/read")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_the_badge_counts_exactly_what_the_page_shows(fern) -> None:
    """The badge's SQL and `shown` state one rule twice; they must agree on every case."""
    from datetime import timedelta

    from django.utils import timezone

    people = {name: make_user(name) for name in ("ash", "bo", "cy", "di", "ed", "flo")}
    follow(fern, people["ash"])
    public = make_post(fern, "Spring fair")
    for person in people.values():
        actions.notify(fern.pk, Kind.LIKE, actor_id=person.pk, post_id=public.pk)
        actions.notify(fern.pk, Kind.FOLLOW, actor_id=person.pk)
    private = make_post(people["ash"], "Plot keys are in the shed", Visibility.FOLLOWERS)
    actions.notify(fern.pk, Kind.QUOTE, actor_id=people["ash"].pk, post_id=private.pk)
    Block.objects.create(blocker=fern, blocked=people["bo"])
    Block.objects.create(blocker=people["cy"], blocked=fern)
    Mute.objects.create(muter=fern, muted=people["di"], hide_notifications=True)
    Mute.objects.create(
        muter=fern, muted=people["ed"], expires_at=timezone.now() - timedelta(minutes=1)
    )
    people["flo"].is_active = False
    people["flo"].save()
    expected = queries.shown(fern).filter(read=False).count()
    assert queries.unread_count(fern) == expected == 5  # ash x3 (like, follow, quote), ed x2
    graph_actions.unfollow(fern, people["ash"])  # the followers-only post is hidden now
    assert queries.unread_count(fern) == queries.shown(fern).filter(read=False).count() == 4
