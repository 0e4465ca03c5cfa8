from townsquare.feeds.models.timeline_entry import TimelineEntry

__all__ = ["TimelineEntry"]
