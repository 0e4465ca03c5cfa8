from townsquare.graph.models.block import Block, Mute
from townsquare.graph.models.follow import Follow
from townsquare.graph.models.follow_request import FollowRequest

__all__ = ["Block", "Follow", "FollowRequest", "Mute"]
