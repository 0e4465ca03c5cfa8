"""Experiment for thread_bench.py --patch: a reply's page reads only its branch.

`posts.threads.thread` reads the whole conversation (up to THREAD_LIMIT posts) whatever post
the page is about, then keeps the focus's ancestors and the replies under it. For a reply
deep in a large conversation (the page a reply notification links to) almost every row is
thrown away. This prototype asks the database for the ancestors and the descendants only,
with two recursive CTEs inside the same `list_posts` call (so visibility, blocks and mutes are
decided there as before), and builds the tree exactly as `thread` does. The root post's page
is unchanged. Measuring only; not a proposed implementation.
"""

from __future__ import annotations

from typing import Any

BRANCH = (
    "p.conversation_id = %s AND p.reblog_of_id IS NULL AND p.id IN ("
    "WITH RECURSIVE up(id, parent) AS ("
    " SELECT id, in_reply_to_id FROM posts_post WHERE id = %s"
    " UNION ALL SELECT q.id, q.in_reply_to_id FROM posts_post q JOIN up ON q.id = up.parent),"
    " down(id) AS (SELECT %s UNION ALL"
    " SELECT q.id FROM posts_post q JOIN down ON q.in_reply_to_id = down.id)"
    " SELECT id FROM up UNION SELECT id FROM down)"
)


def apply() -> None:
    from townsquare.posts import threads
    from townsquare.posts.queries import ListedPost, Viewer, list_posts
    from townsquare.web.views import posts as views

    original = threads.thread

    def thread(viewer: Viewer, focus: ListedPost, *, after: int | None = None) -> Any:
        root_id = focus.thread_root_id
        if focus.id == root_id:
            return original(viewer, focus, after=after)
        rows = list_posts(
            viewer, where=BRANCH, params=[root_id, focus.id, focus.id], limit=threads.THREAD_LIMIT
        )
        # From here on, the body of threads.thread unchanged.
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
        top = ancestors[0] if ancestors else focus
        missing_parent = top.in_reply_to_id is not None or top.in_reply_to_author_id is not None
        direct = [p for p in children.get(focus.id, []) if after is None or p.id > after]
        page = direct[: threads.REPLIES_PER_PAGE]
        more_after = page[-1].id if len(direct) > threads.REPLIES_PER_PAGE else None
        replies = [threads._tree(post, children, 1) for post in page]
        return threads.Thread(focus, ancestors, replies, missing_parent, more_after)

    threads.thread = thread  # type: ignore[assignment]
    views.thread = thread  # type: ignore[attr-defined]
