from townsquare.accounts.models.session import UserSession
from townsquare.accounts.models.user import ConnectionsVisibility, MessagePolicy, Role, User

__all__ = ["ConnectionsVisibility", "MessagePolicy", "Role", "User", "UserSession"]
