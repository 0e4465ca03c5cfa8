"""Townsquare: a self-hostable social network platform kit."""

__version__ = "0.1.0"
