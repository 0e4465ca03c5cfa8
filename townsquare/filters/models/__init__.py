from townsquare.filters.models.filter import (
    CONTEXTS,
    Filter,
    FilterAction,
    FilterKeyword,
    FilterStatus,
)

__all__ = ["CONTEXTS", "Filter", "FilterAction", "FilterKeyword", "FilterStatus"]
