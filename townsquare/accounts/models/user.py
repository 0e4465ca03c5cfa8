from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, UserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from townsquare.core.ids import next_id

MAX_PROFILE_FIELDS = 4


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MODERATOR = "moderator", _("Moderator")
    MEMBER = "member", _("Member")


class MessagePolicy(models.IntegerChoices):
    """Who may start a direct-message conversation with a member."""

    EVERYONE = 0, _("Everyone")
    FOLLOWING = 1, _("People I follow (others go to my message requests)")
    NOBODY = 2, _("Nobody (conversations I am already in go on)")


class ConnectionsVisibility(models.IntegerChoices):
    """Who may see the lists of whom a member follows and who follows them."""

    EVERYONE = 0, _("Everyone")
    FOLLOWERS = 1, _("People who follow me")
    ONLY_ME = 2, _("Only me")


class FriendsVisibility(models.IntegerChoices):
    """Who may see a member's friends list (friends mode)."""

    EVERYONE = 0, _("Everyone")
    FRIENDS = 1, _("My friends")
    ONLY_ME = 2, _("Only me")


class Manager(UserManager["User"]):
    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username__iexact=username)


class User(AbstractBaseUser):
    """A member: the account and its public profile (one row, read on every page)."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    username = models.CharField(max_length=30)
    email = models.EmailField(max_length=254)
    email_confirmed = models.BooleanField(default=False)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    display_name = models.CharField(max_length=60, blank=True)
    bio = models.TextField(max_length=500, blank=True)
    bio_html = models.TextField(blank=True)
    # [{"name": ..., "value": ..., "value_html": ...}], at most MAX_PROFILE_FIELDS
    fields = models.JSONField(default=list, blank=True)
    avatar = models.CharField(max_length=200, blank=True)  # storage path of the 400x400 image
    header = models.CharField(max_length=200, blank=True)  # storage path of the 1500x500 image
    locked = models.BooleanField(default=False)  # "approve followers"
    # Shown in search (people and their posts); members can opt out.
    discoverable = models.BooleanField(default=True)
    # Whether the member has any content filters: pages skip the filters query when not.
    has_filters = models.BooleanField(default=False)

    # Posting defaults (Mastodon's `source` and preferences): a post made without a visibility
    # gets `default_visibility` (a posts.Visibility value: 0 public, 1 unlisted, 2 followers
    # only, 3 mentioned people only).
    default_visibility = models.PositiveSmallIntegerField(default=0)
    default_sensitive = models.BooleanField(default=False)
    default_language = models.CharField(max_length=8, blank=True)  # ISO 639; "" = not set

    message_policy = models.PositiveSmallIntegerField(
        choices=MessagePolicy.choices, default=MessagePolicy.FOLLOWING
    )
    connections_visibility = models.PositiveSmallIntegerField(
        choices=ConnectionsVisibility.choices, default=ConnectionsVisibility.EVERYONE
    )
    friends_visibility = models.PositiveSmallIntegerField(
        choices=FriendsVisibility.choices, default=FriendsVisibility.EVERYONE
    )
    # Off: visitors without an account see the profile but none of the member's posts.
    show_posts_to_visitors = models.BooleanField(default=True)

    # A page (an organization, brand or public figure): an account nobody logs in to, run by
    # the members of its team (communities.PageRole), who post as it.
    is_page = models.BooleanField(default=False)
    page_category = models.CharField(max_length=60, blank=True)

    # Staff: a custom role (permissions beside those of `role`), and the operator's badge.
    staff_role = models.ForeignKey(
        "accounts.StaffRole", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    # Staff stopped this member from logging in (their posts stay up): accounts.staff_actions.
    login_disabled_at = models.DateTimeField(null=True, blank=True)
    # Moderators' restrictions in force (moderation.enforcement keeps them; each is in force
    # while the time is in the future, a far future for "until lifted"): limited (posts seen
    # by followers only), frozen (reads but cannot write), suspended (profile and posts hidden).
    limited_until = models.DateTimeField(null=True, blank=True)
    frozen_until = models.DateTimeField(null=True, blank=True)
    suspended_until = models.DateTimeField(null=True, blank=True)
    # Joining: who invited them, and when they accepted the terms and confirmed their age.
    invited_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    # The language the site speaks to them in (a code of settings.LANGUAGES); "": the
    # browser's choice.
    language = models.CharField(max_length=12, blank=True)
    age_confirmed_at = models.DateTimeField(null=True, blank=True)
    # Hybrid home feeds. The day the member last used the site (feeds.activity; fan-out skips
    # members away longer than TOWNSQUARE_INACTIVE_DAYS; none yet: counted as active). And
    # whether their posts reach followers' home feeds when read rather than by fan-out
    # (feeds.broadcasters: while they have TOWNSQUARE_BROADCAST_FOLLOWERS followers or more).
    active_on = models.DateField(null=True, blank=True)
    broadcast = models.BooleanField(default=False, db_default=False)

    objects: ClassVar[Manager] = Manager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.MODERATOR)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def verified(self) -> bool:
        return self.verified_at is not None

    @cached_property
    def permissions(self) -> frozenset[str]:
        """The staff permissions this member has (see accounts.permissions)."""
        from townsquare.accounts.permissions import MODERATOR_PERMISSIONS, PERMISSIONS

        if self.role == Role.ADMIN:
            return frozenset(PERMISSIONS)
        granted = set(MODERATOR_PERMISSIONS) if self.role == Role.MODERATOR else set()
        if self.staff_role_id is not None and self.staff_role is not None:
            granted.update(name for name in self.staff_role.permissions if name in PERMISSIONS)
        return frozenset(granted)

    def can(self, permission: str) -> bool:
        return self.is_active and permission in self.permissions

    @property
    def is_limited(self) -> bool:
        return self.limited_until is not None and self.limited_until > timezone.now()

    @property
    def is_frozen(self) -> bool:
        return self.frozen_until is not None and self.frozen_until > timezone.now()

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()
