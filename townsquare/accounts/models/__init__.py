from townsquare.accounts.models.session import UserSession
from townsquare.accounts.models.user import (
    ConnectionsVisibility,
    FriendsVisibility,
    MessagePolicy,
    Role,
    User,
)

__all__ = [
    "ConnectionsVisibility",
    "FriendsVisibility",
    "MessagePolicy",
    "Role",
    "User",
    "UserSession",
]
