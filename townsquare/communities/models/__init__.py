from townsquare.communities.models.group import Group, GroupPrivacy
from townsquare.communities.models.membership import Membership, MembershipState, Role

__all__ = ["Group", "GroupPrivacy", "Membership", "MembershipState", "Role"]
