from townsquare.messaging.models.conversation import Conversation, Participant, ParticipantState
from townsquare.messaging.models.message import HiddenMessage, Message, MessageKind

__all__ = [
    "Conversation",
    "HiddenMessage",
    "Message",
    "MessageKind",
    "Participant",
    "ParticipantState",
]
