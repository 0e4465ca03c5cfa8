from townsquare.communities.models.group import Group, GroupPrivacy
from townsquare.communities.models.membership import Membership, MembershipState, Role
from townsquare.communities.models.page_role import PageRole, PageRoleKind
from townsquare.communities.models.pin import GroupPin

__all__ = [
    "Group",
    "GroupPin",
    "GroupPrivacy",
    "Membership",
    "MembershipState",
    "PageRole",
    "PageRoleKind",
    "Role",
]
