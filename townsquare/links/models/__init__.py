from townsquare.links.models.card import Card, CardStatus, PostCard

__all__ = ["Card", "CardStatus", "PostCard"]
