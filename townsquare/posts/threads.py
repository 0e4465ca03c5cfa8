"""Reading a conversation: the post, the posts it answers, and the replies under it."""

from __future__ import annotations

from dataclasses import dataclass, field

from townsquare.posts.queries import ListedPost, Viewer, list_posts

# A conversation is read in one query of at most this many posts; larger ones show the
# newest THREAD_LIMIT (a link to each reply's own page shows the rest of its branch).
THREAD_LIMIT = 1000
# Replies are nested this deep under the post shown; deeper ones are behind "show more".
MAX_DEPTH = 2
# Direct replies shown at once; the rest are behind "show more replies".
REPLIES_PER_PAGE = 60


# The posts a reply's page shows, found by the database: the chain of posts it answers (up)
# and every reply below it (down). Measured with bench/thread_bench.py (a reply deep in a
# 200-reply thread): 186 -> 355 pages/s on SQLite, 150 -> 287 on PostgreSQL, against reading
# the whole conversation and keeping four posts of it.
_BRANCH = (
    "p.conversation_id = %s AND p.reblog_of_id IS NULL AND p.id IN ("
    "WITH RECURSIVE up(id, parent) AS ("
    " SELECT id, in_reply_to_id FROM posts_post WHERE id = %s"
    " UNION ALL SELECT q.id, q.in_reply_to_id FROM posts_post q JOIN up ON q.id = up.parent),"
    " down(id) AS (SELECT %s UNION ALL"
    " SELECT q.id FROM posts_post q JOIN down ON q.in_reply_to_id = down.id)"
    " SELECT id FROM up UNION SELECT id FROM down)"
)


@dataclass
class ReplyNode:
    post: ListedPost
    children: list[ReplyNode] = field(default_factory=list)
    hidden: int = 0  # replies below this one not shown here (deeper than MAX_DEPTH)


@dataclass
class Thread:
    focus: ListedPost
    ancestors: list[ListedPost]  # oldest first, ending with the post `focus` answers
    replies: list[ReplyNode]
    missing_parent: bool  # `focus` answers a post that is deleted or not visible
    more_after: int | None  # cursor for the next direct replies, when there are more


def _count(nodes: list[ListedPost], children: dict[int, list[ListedPost]]) -> int:
    total = 0
    for node in nodes:
        total += 1 + _count(children.get(node.id, []), children)
    return total


def _tree(post: ListedPost, children: dict[int, list[ListedPost]], depth: int) -> ReplyNode:
    node = ReplyNode(post)
    below = children.get(post.id, [])
    if depth >= MAX_DEPTH:
        node.hidden = _count(below, children)
        return node
    node.children = [_tree(child, children, depth + 1) for child in below]
    return node


def thread(viewer: Viewer, focus: ListedPost, *, after: int | None = None) -> Thread:
    """The conversation around `focus` as `viewer` may see it (muted members left out).

    Everything comes from one query over the conversation; the tree is built here. Replies
    are oldest first, as a conversation is read.
    """
    root_id = focus.thread_root_id
    if focus.id == root_id:
        where, params = "p.conversation_id = %s AND p.reblog_of_id IS NULL", [root_id]
    else:  # a reply's page: only its ancestors and the replies under it
        where, params = _BRANCH, [root_id, focus.id, focus.id]
    rows = list_posts(viewer, where=where, params=params, limit=THREAD_LIMIT)
    by_id = {post.id: post for post in rows}
    by_id[focus.id] = focus
    children: dict[int, list[ListedPost]] = {}
    for post in sorted(rows, key=lambda p: p.id):
        if post.in_reply_to_id is not None and post.id != focus.id:
            children.setdefault(post.in_reply_to_id, []).append(post)

    ancestors: list[ListedPost] = []
    seen = {focus.id}
    parent_id = focus.in_reply_to_id
    while parent_id is not None and parent_id in by_id and parent_id not in seen:
        seen.add(parent_id)
        parent = by_id[parent_id]
        ancestors.append(parent)
        parent_id = parent.in_reply_to_id
    ancestors.reverse()
    # The oldest post shown still answers something: deleted (its link was cleared) or unseen.
    top = ancestors[0] if ancestors else focus
    missing_parent = top.in_reply_to_id is not None or top.in_reply_to_author_id is not None

    direct = [post for post in children.get(focus.id, []) if after is None or post.id > after]
    page = direct[:REPLIES_PER_PAGE]
    more_after = page[-1].id if len(direct) > REPLIES_PER_PAGE else None
    replies = [_tree(post, children, 1) for post in page]
    return Thread(focus, ancestors, replies, missing_parent, more_after)


def context(viewer: Viewer, focus: ListedPost) -> tuple[list[ListedPost], list[ListedPost]]:
    """Mastodon's status context: the posts `focus` answers (oldest first) and every reply
    below it that `viewer` may see (muted members left out), depth first, each branch oldest
    first. A reply whose parent is not visible is left out with everything under it."""
    root_id = focus.thread_root_id
    if focus.id == root_id:
        where, params = "p.conversation_id = %s AND p.reblog_of_id IS NULL", [root_id]
    else:
        where, params = _BRANCH, [root_id, focus.id, focus.id]
    rows = list_posts(viewer, where=where, params=params, limit=THREAD_LIMIT)
    by_id = {post.id: post for post in rows}
    children: dict[int, list[ListedPost]] = {}
    for post in sorted(rows, key=lambda p: p.id):
        if post.in_reply_to_id is not None and post.id != focus.id:
            children.setdefault(post.in_reply_to_id, []).append(post)
    ancestors: list[ListedPost] = []
    seen = {focus.id}
    parent_id = focus.in_reply_to_id
    while parent_id is not None and parent_id in by_id and parent_id not in seen:
        seen.add(parent_id)
        ancestors.append(by_id[parent_id])
        parent_id = by_id[parent_id].in_reply_to_id
    ancestors.reverse()
    descendants: list[ListedPost] = []
    stack = list(reversed(children.get(focus.id, [])))
    while stack:
        post = stack.pop()
        if post.id in seen:
            continue
        seen.add(post.id)
        descendants.append(post)
        stack.extend(reversed(children.get(post.id, [])))
    return ancestors, descendants
