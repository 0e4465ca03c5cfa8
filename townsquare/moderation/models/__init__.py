from townsquare.moderation.models.report import Report, ReportCategory

__all__ = ["Report", "ReportCategory"]
