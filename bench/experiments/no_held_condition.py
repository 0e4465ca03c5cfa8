"""Experiment (for `profile_api.py --ab`): the listing statements as they were before group
posts could be held for approval (`posts.visibility._group_sql` without "not held, or the
viewer's own"). A trivially true test stands in for the viewer's-own half, taking the same
parameter, so the statement's parameters are unchanged."""

from townsquare.posts import visibility

_kept = visibility._group_sql


def _before(post_alias: str, *, member: bool) -> str:
    rule = (
        f" AND ({post_alias}.group_id IS NULL OR EXISTS (SELECT 1 FROM communities_group g"  # noqa: S608
        f" WHERE g.id = {post_alias}.group_id AND g.privacy = 0)"
    )
    if member:
        rule = " AND %s IS NOT NULL" + rule
        rule += (
            " OR EXISTS (SELECT 1 FROM communities_membership gm"  # noqa: S608
            f" WHERE gm.group_id = {post_alias}.group_id AND gm.member_id = %s"
            " AND gm.state = 0)"
        )
    return rule + ")"


def apply() -> None:
    visibility._group_sql = _before  # type: ignore[assignment]


def undo() -> None:
    visibility._group_sql = _kept  # type: ignore[assignment]
