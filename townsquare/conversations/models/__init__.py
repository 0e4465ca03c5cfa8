from townsquare.conversations.models.state import ConversationState

__all__ = ["ConversationState"]
