"""The write layer for accounts: every change to a member's account or profile happens here.

Split by concern: creating an account and its role (identity.py), email confirmation and
changing address (confirmation.py), logging in, out and browser sessions (login.py), password
reset and change (passwords.py), and the profile and the member's own settings (profile.py).
Callers use the names re-exported here (`accounts.actions.create_user(...)`).
"""

from townsquare.accounts.actions.confirmation import (
    CONFIRM_MAX_AGE,
    CONFIRM_SALT,
    change_email,
    confirm_email,
    resend_confirmation,
    send_confirmation,
)
from townsquare.accounts.actions.identity import create_user, set_role
from townsquare.accounts.actions.login import (
    LoginRefused,
    authenticate_member,
    end_sessions,
    log_in,
    log_out,
    refuse_blocked_network,
)
from townsquare.accounts.actions.passwords import (
    change_password,
    request_password_reset,
    reset_password,
    send_password_reset_link,
    set_password,
    user_for_reset_link,
)
from townsquare.accounts.actions.profile import (
    set_language,
    set_posting_defaults,
    set_privacy,
    update_profile,
)

__all__ = [
    "CONFIRM_MAX_AGE",
    "CONFIRM_SALT",
    "LoginRefused",
    "authenticate_member",
    "change_email",
    "change_password",
    "confirm_email",
    "create_user",
    "end_sessions",
    "log_in",
    "log_out",
    "refuse_blocked_network",
    "request_password_reset",
    "resend_confirmation",
    "reset_password",
    "send_confirmation",
    "send_password_reset_link",
    "set_language",
    "set_password",
    "set_posting_defaults",
    "set_privacy",
    "set_role",
    "update_profile",
    "user_for_reset_link",
]
