from townsquare.lists.models.member_list import ListMember, MemberList, RepliesPolicy

__all__ = ["ListMember", "MemberList", "RepliesPolicy"]
