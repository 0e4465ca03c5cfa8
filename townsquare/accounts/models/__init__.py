from townsquare.accounts.models.session import UserSession
from townsquare.accounts.models.user import Role, User

__all__ = ["Role", "User", "UserSession"]
