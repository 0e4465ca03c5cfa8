from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from townsquare.accounts.models import User


class UsernameOrEmailBackend(ModelBackend):
    """Log in with a username or an email address, either in any letter case."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not username or password is None:
            return None
        login = username.strip().removeprefix("@")
        user = User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def user_can_authenticate(self, user: Any) -> bool:
        """Active members whose login staff have not disabled; never a page (its team acts
        for it from their own accounts)."""
        return (
            super().user_can_authenticate(user)
            and not getattr(user, "is_page", False)
            and getattr(user, "login_disabled_at", None) is None
        )

    def get_user(self, user_id: int) -> User | None:
        try:
            user = User.objects.get(pk=user_id)  # get(): no ORDER BY, cheaper than first()
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
