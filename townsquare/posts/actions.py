"""The write layer for posts."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from townsquare.accounts.models import User
from townsquare.accounts.queries import render_member_text
from townsquare.core import ratelimit
from townsquare.core.jobs import enqueue
from townsquare.feeds import tasks as feed_tasks
from townsquare.feeds.actions import add_to_home
from townsquare.posts.models import Hashtag, Mention, Post, PostHashtag, Visibility


def create_post(author: User, *, text: str, visibility: int | str = Visibility.PUBLIC) -> Post:
    """Publish a post: text rendered to safe HTML, mentions and hashtags recorded, and the post
    put in the author's home feed at once and in their audience's feeds by fan-out jobs."""
    if not author.is_active:
        raise PermissionDenied("This account cannot post.")
    text = (text or "").replace("\r\n", "\n").strip()
    limit = settings.TOWNSQUARE["MAX_POST_LENGTH"]
    if not text:
        raise ValidationError({"text": "Write something before posting."})
    if len(text) > limit:
        raise ValidationError(
            {"text": f"Posts are at most {limit:,} characters ({len(text):,} now)."}
        )
    try:
        level = Visibility(int(visibility))
    except (TypeError, ValueError):
        raise ValidationError({"visibility": "Choose who can see this post."}) from None
    ratelimit.POSTS_PER_ACCOUNT.hit(str(author.pk))

    rendered = render_member_text(text)
    with transaction.atomic():
        post = Post.objects.create(author=author, text=text, html=rendered.html, visibility=level)
        if rendered.mentions:
            mentioned = User.objects.filter(username__in=rendered.mentions, is_active=True)
            Mention.objects.bulk_create(
                [Mention(post=post, user=user) for user in mentioned if user.pk != author.pk]
            )
        if rendered.hashtags:
            for name in rendered.hashtags:
                Hashtag.objects.get_or_create(name=name)
            tags = Hashtag.objects.filter(name__in=rendered.hashtags)
            PostHashtag.objects.bulk_create([PostHashtag(post=post, hashtag=tag) for tag in tags])
        add_to_home(author.pk, [post.pk], author.pk)
        enqueue(feed_tasks.fan_out_post, post.pk)
    return post


def delete_post(actor: User, post: Post) -> None:
    """Delete a post (its author, or a moderator); it leaves every feed with it."""
    if actor.pk != post.author_id and not actor.is_staff:
        raise PermissionDenied("You can only delete your own posts.")
    ratelimit.WRITES_PER_ACCOUNT.hit(str(actor.pk))
    post.delete()
