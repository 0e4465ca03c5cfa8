from townsquare.events.models.answer import Answer, EventAnswer
from townsquare.events.models.event import Event

__all__ = ["Answer", "Event", "EventAnswer"]
