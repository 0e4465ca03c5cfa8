from townsquare.moderation.models.audit import AppendOnly, AuditEntry
from townsquare.moderation.models.case import Case, CaseNote, CaseState, TargetKind
from townsquare.moderation.models.enforcement import Enforcement, EnforcementKind
from townsquare.moderation.models.hashes import (
    BankedHash,
    HashBank,
    HashKind,
    HashMatch,
    MatchStatus,
    MediaHash,
)
from townsquare.moderation.models.report import SEVERITY, Report, ReportCategory

__all__ = [
    "SEVERITY",
    "AppendOnly",
    "AuditEntry",
    "BankedHash",
    "Case",
    "CaseNote",
    "CaseState",
    "Enforcement",
    "EnforcementKind",
    "HashBank",
    "HashKind",
    "HashMatch",
    "MatchStatus",
    "MediaHash",
    "Report",
    "ReportCategory",
    "TargetKind",
]
