from townsquare.graph.models.block import Block, Mute
from townsquare.graph.models.endorsement import AccountNote, Endorsement
from townsquare.graph.models.follow import Follow
from townsquare.graph.models.follow_request import FollowRequest

__all__ = ["AccountNote", "Block", "Endorsement", "Follow", "FollowRequest", "Mute"]
