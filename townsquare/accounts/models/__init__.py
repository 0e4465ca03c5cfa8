from townsquare.accounts.models.data_rights import (
    AccountDeletion,
    DataExport,
    DataImport,
    ExportStatus,
    ImportKind,
    ImportMode,
    ImportStatus,
)
from townsquare.accounts.models.session import UserSession
from townsquare.accounts.models.staff import Application, ApplicationState, Invite, StaffRole
from townsquare.accounts.models.two_factor import RecoveryCode, TwoFactor
from townsquare.accounts.models.user import (
    ConnectionsVisibility,
    FriendsVisibility,
    MessagePolicy,
    Role,
    User,
)

__all__ = [
    "AccountDeletion",
    "DataExport",
    "DataImport",
    "ExportStatus",
    "ImportKind",
    "ImportMode",
    "ImportStatus",
    "Application",
    "ApplicationState",
    "Invite",
    "StaffRole",
    "RecoveryCode",
    "TwoFactor",
    "ConnectionsVisibility",
    "FriendsVisibility",
    "MessagePolicy",
    "Role",
    "User",
    "UserSession",
]
