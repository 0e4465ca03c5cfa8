from townsquare.accounts.models.session import UserSession
from townsquare.accounts.models.user import MessagePolicy, Role, User

__all__ = ["MessagePolicy", "Role", "User", "UserSession"]
