"""Notification emails: per-kind preferences, immediate emails sent by a job that checks
again before sending, a daily digest sent once, and the settings form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import make_post, make_user, run_jobs
from townsquare.graph import actions as graph_actions
from townsquare.graph.models import Block
from townsquare.notifications import actions, tasks
from townsquare.notifications.models import Delivery, Kind, NotificationPreferences
from townsquare.posts.models import Visibility

pytestmark = pytest.mark.django_db

DIGEST_TASK = "townsquare.notifications.tasks.send_digest"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def quiet_outbox() -> None:
    run_jobs()
    mail.outbox.clear()


def _make_due(task_path: str = DIGEST_TASK) -> None:
    DBTaskResult.objects.filter(task_path=task_path, status="READY").update(
        run_after=timezone.now() - timedelta(seconds=1)
    )


def test_a_mention_is_emailed_with_the_post_and_a_link(fern, quiet_outbox) -> None:
    basil = make_user("basil")
    basil.display_name = "Basil & Co"
    basil.save(update_fields=["display_name"])
    post = make_post(basil, "Bring your spare seedlings, we'll swap them")
    mail.outbox.clear()
    actions.notify(fern.pk, Kind.MENTION, actor_id=basil.pk, post_id=post.pk)
    run_jobs()
    [message] = mail.outbox
    assert message.to == ["fern@example.org"]
    assert message.subject.startswith("Basil & Co mentioned you on ")
    assert "Bring your spare seedlings, we'll swap them" in message.body  # plain text
    assert f"http://testserver/@basil/{post.pk}" in message.body
    assert "http://testserver/notifications" in message.body
    assert "http://testserver/settings/notifications" in message.body


def test_likes_are_not_emailed_unless_asked_for(fern, quiet_outbox) -> None:
    basil = make_user("basil")
    post = make_post(fern, "Harvest festival list")
    actions.notify(fern.pk, Kind.LIKE, actor_id=basil.pk, post_id=post.pk)
    run_jobs()
    assert mail.outbox == []
    actions.update_preferences(fern, email_kinds=[Kind.LIKE, Kind.MENTION])
    actions.notify(fern.pk, Kind.LIKE, actor_id=make_user("rowan").pk, post_id=post.pk)
    run_jobs()
    [message] = mail.outbox
    assert "rowan liked your post" in message.subject and "Harvest festival list" in message.body


def test_a_kind_switched_off_is_not_emailed(fern, quiet_outbox) -> None:
    actions.update_preferences(fern, email_kinds=[Kind.MENTION])
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=make_user("basil").pk)
    run_jobs()
    assert mail.outbox == []


def test_no_email_to_an_unconfirmed_address(quiet_outbox) -> None:
    hazel = make_user("hazel", confirmed=False)
    run_jobs()
    mail.outbox.clear()
    actions.notify(hazel.pk, Kind.FOLLOW, actor_id=make_user("basil").pk)
    run_jobs()
    assert mail.outbox == []


def test_delivery_never_sends_nothing(fern, quiet_outbox) -> None:
    actions.update_preferences(fern, delivery=Delivery.NEVER)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=make_user("basil").pk)
    run_jobs()
    assert mail.outbox == []


def test_the_email_job_checks_again_before_sending(fern, quiet_outbox) -> None:
    basil, rowan, sage = make_user("basil"), make_user("rowan"), make_user("sage")
    read_first = actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=rowan.pk)
    post = make_post(sage, "Chess by the greenhouse")
    actions.notify(fern.pk, Kind.MENTION, actor_id=sage.pk, post_id=post.pk)
    assert read_first is not None
    actions.mark_read(fern, [read_first.pk])  # read before the job ran
    Block.objects.create(blocker=fern, blocked=rowan)  # blocked before the job ran
    post.delete()  # the post is gone, and its notification with it
    run_jobs()
    assert mail.outbox == []


def test_preferences_have_friendly_defaults_and_reject_bad_input(fern) -> None:
    prefs = actions.get_preferences(fern)
    assert prefs.delivery == Delivery.IMMEDIATELY
    assert set(prefs.email_kinds) == {
        "mention",
        "reply",
        "follow",
        "follow_request",
        "quote",
        "poll",
    }
    with pytest.raises(ValidationError) as error:
        actions.update_preferences(fern, delivery="hourly")
    assert "delivery" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.update_preferences(fern, email_kinds=["mention", "gossip"])
    assert "email_kinds" in error.value.message_dict
    assert not NotificationPreferences.objects.filter(member=fern).exists()


def test_the_digest_sends_one_email_with_several_notifications(fern, quiet_outbox) -> None:
    actions.update_preferences(fern, delivery=Delivery.DIGEST)
    basil, rowan = make_user("basil"), make_user("rowan")
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=basil.pk)
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=rowan.pk)
    reply = make_post(basil, "Yes, the plot by the gate")
    mail.outbox.clear()
    actions.notify(fern.pk, Kind.REPLY, actor_id=basil.pk, post_id=reply.pk)
    [job] = DBTaskResult.objects.filter(task_path=DIGEST_TASK)
    assert job.run_after is not None
    assert timedelta(minutes=50) < job.run_after - timezone.now() < timedelta(minutes=70)
    run_jobs()
    assert mail.outbox == []  # not due yet
    _make_due()
    run_jobs()
    [message] = mail.outbox
    assert message.subject.startswith("3 new notifications on ")
    body = message.body
    assert "basil followed you" in body and "rowan followed you" in body
    assert "basil replied to your post" in body and "Yes, the plot by the gate" in body
    assert body.index("Replies") < body.index("New followers")  # grouped by kind
    assert "http://testserver/notifications" in body

    # Running the same job again sends nothing more.
    token = job.args_kwargs["args"][1]
    tasks.send_digest.call(fern.pk, token)
    run_jobs()
    assert len(mail.outbox) == 1

    # The next notification waits for a day after this digest.
    actions.notify(fern.pk, Kind.FOLLOW, actor_id=make_user("sage").pk)
    later = DBTaskResult.objects.filter(task_path=DIGEST_TASK, status="READY").get()
    assert later.run_after is not None
    assert later.run_after - timezone.now() > timedelta(hours=23)


def test_the_digest_skips_what_was_read_or_switched_off(fern, quiet_outbox) -> None:
    actions.update_preferences(fern, delivery=Delivery.DIGEST, email_kinds=[Kind.FOLLOW])
    post = make_post(fern, "Leaf mould")
    read = actions.notify(fern.pk, Kind.FOLLOW, actor_id=make_user("basil").pk)
    actions.notify(fern.pk, Kind.LIKE, actor_id=make_user("rowan").pk, post_id=post.pk)
    assert read is not None
    actions.mark_read(fern, [read.pk])
    _make_due()
    run_jobs()
    assert mail.outbox == []
    assert NotificationPreferences.objects.get(member=fern).last_digest_at is not None


def test_the_settings_form_saves_preferences(fern) -> None:
    browser = client_for(fern)
    page = browser.get("/settings/notifications").content.decode()
    assert 'value="mention" id="id_email_kinds_0" checked>' in page  # on by default
    assert 'value="like" id="id_email_kinds_2">' in page  # off by default
    assert 'value="immediately" id="id_delivery_0" required checked>' in page
    response = browser.post(
        "/settings/notifications", {"delivery": "digest", "email_kinds": ["like", "reply"]}
    )
    assert response.status_code == 302
    prefs = NotificationPreferences.objects.get(member=fern)
    assert prefs.delivery == Delivery.DIGEST and prefs.email_kinds == ["reply", "like"]
    page = browser.get("/settings/notifications").content.decode()
    assert 'value="digest" id="id_delivery_1" required checked>' in page
    assert 'value="mention" id="id_email_kinds_0">' in page


def test_the_settings_form_rejects_bad_input(fern) -> None:
    browser = client_for(fern)
    response = browser.post("/settings/notifications", {"delivery": "hourly"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = browser.post(
        "/settings/notifications", {"delivery": "digest", "email_kinds": ["gossip"]}
    )
    assert response.status_code == 400
    assert not NotificationPreferences.objects.filter(member=fern).exists()


def test_no_email_about_a_post_the_member_can_no_longer_see(fern, quiet_outbox) -> None:
    basil = make_user("basil")
    graph_actions.follow(fern, basil)
    reply = make_post(basil, "Club members only: the key is under the pot", Visibility.FOLLOWERS)
    run_jobs()
    mail.outbox.clear()
    actions.notify(fern.pk, Kind.REPLY, actor_id=basil.pk, post_id=reply.pk)
    graph_actions.unfollow(fern, basil)  # before the email job runs
    run_jobs()
    assert mail.outbox == []
