"""The one route registry every endpoint module adds itself to."""

from townsquare.api.router import Api

api = Api()
