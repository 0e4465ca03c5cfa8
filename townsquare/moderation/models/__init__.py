from townsquare.moderation.models.appeal import Appeal, AppealRole, AppealState
from townsquare.moderation.models.audit import AppendOnly, AuditEntry
from townsquare.moderation.models.case import Case, CaseNote, CaseState, Source, TargetKind
from townsquare.moderation.models.enforcement import Enforcement, EnforcementKind
from townsquare.moderation.models.hashes import (
    BankedHash,
    HashBank,
    HashImport,
    HashKind,
    HashMatch,
    MatchStatus,
    MediaHash,
)
from townsquare.moderation.models.notice import Notice
from townsquare.moderation.models.report import SEVERITY, Report, ReportCategory
from townsquare.moderation.models.rules import (
    ContentRule,
    RuleHit,
    RuleKind,
    RuleOutcome,
    RuleSubject,
)
from townsquare.moderation.models.statement import (
    AutomatedDecision,
    DecisionAction,
    DecisionGround,
    SourceType,
    Statement,
    StatementCategory,
    StepAction,
    Strike,
    StrikePolicy,
    StrikeStep,
)

__all__ = [
    "Appeal",
    "AppealRole",
    "AppealState",
    "AutomatedDecision",
    "DecisionAction",
    "DecisionGround",
    "SourceType",
    "Statement",
    "StatementCategory",
    "StepAction",
    "Strike",
    "StrikePolicy",
    "StrikeStep",
    "SEVERITY",
    "AppendOnly",
    "AuditEntry",
    "BankedHash",
    "Case",
    "CaseNote",
    "CaseState",
    "ContentRule",
    "Enforcement",
    "EnforcementKind",
    "HashBank",
    "HashImport",
    "HashKind",
    "HashMatch",
    "MatchStatus",
    "MediaHash",
    "Notice",
    "Report",
    "ReportCategory",
    "Source",
    "RuleHit",
    "RuleKind",
    "RuleOutcome",
    "RuleSubject",
    "TargetKind",
]
