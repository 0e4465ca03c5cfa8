from townsquare.graph.models.follow import Follow
from townsquare.graph.models.follow_request import FollowRequest

__all__ = ["Follow", "FollowRequest"]
