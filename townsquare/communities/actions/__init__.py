"""The write layer for groups: membership (membership.py) and running a group
(moderation.py)."""

from townsquare.communities.actions.membership import (
    JOINED,
    REQUESTED,
    answer_request,
    ban,
    create_group,
    invite,
    join,
    leave,
    set_role,
    transfer_ownership,
    unban,
)
from townsquare.communities.actions.moderation import (
    MUTE_CHOICES,
    approve_post,
    decline_post,
    delete_group,
    mute_member,
    pin_post,
    remove_post,
    unmute_member,
    unpin_post,
    update_group,
)

__all__ = [
    "JOINED",
    "MUTE_CHOICES",
    "REQUESTED",
    "answer_request",
    "approve_post",
    "ban",
    "create_group",
    "decline_post",
    "delete_group",
    "invite",
    "join",
    "leave",
    "mute_member",
    "pin_post",
    "remove_post",
    "set_role",
    "transfer_ownership",
    "unban",
    "unmute_member",
    "unpin_post",
    "update_group",
]
