"""A post a moderator removes stops counting in the replies and shares of the post it answers
or shares, and counts again when the removal is lifted; deleting it later (the evidence hold's
end, or its author) does not take it out a second time."""

from __future__ import annotations

import pytest

from tests.factories import make_post, make_user
from townsquare.accounts.models import User
from townsquare.moderation import enforcement
from townsquare.posts import actions as post_actions
from townsquare.posts.actions.publishing import erase_post
from townsquare.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def mona() -> User:
    """The chess society's moderator."""
    return make_user("mona", role="moderator")


def _counts(post: Post) -> tuple[int, int]:
    post.refresh_from_db()
    return post.replies_count, post.shares_count


def test_removing_and_lifting_takes_counts_out_and_back(mona: User) -> None:
    ivy, moss = make_user("ivy"), make_user("moss")
    opening = make_post(ivy, "Which opening for the club match?")
    reply = post_actions.create_post(moss, text="The Sicilian, obviously.", in_reply_to=opening)
    share = post_actions.share(moss, opening)
    assert _counts(opening) == (1, 1)
    removed_reply = enforcement.remove_post(mona, reply, reason="Rude")
    removed_share = enforcement.remove_post(mona, share, reason="Spam wave")
    assert _counts(opening) == (0, 0)
    enforcement.remove_post(mona, reply, reason="Again")  # removed twice: counted out once
    assert _counts(opening) == (0, 0)
    enforcement.lift(mona, removed_share)
    assert _counts(opening) == (0, 1)
    enforcement.lift(mona, removed_reply)
    assert _counts(opening) == (0, 1)  # the second removal still holds the reply
    second = enforcement.in_force(moss)
    for record in second:
        enforcement.lift(mona, record)
    assert _counts(opening) == (1, 1)


def test_a_removed_post_deleted_later_is_not_counted_out_twice(mona: User) -> None:
    ivy, moss, fern = make_user("ivy"), make_user("moss"), make_user("fern")
    opening = make_post(ivy, "Tournament on Saturday.")
    kept = post_actions.create_post(fern, text="I'll bring the clocks.", in_reply_to=opening)
    removed = post_actions.create_post(moss, text="Buy my chess sets!", in_reply_to=opening)
    assert _counts(opening) == (2, 0)
    enforcement.remove_post(mona, removed, reason="Advert")
    assert _counts(opening) == (1, 0)
    removed.refresh_from_db()
    erase_post(removed)  # the evidence hold is over
    assert _counts(opening) == (1, 0)
    erase_post(kept)  # its author deletes it
    assert _counts(opening) == (0, 0)
