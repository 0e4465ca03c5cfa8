"""Direct messages: one-to-one and group conversations, apart from posts.

Messages live in their own tables and are read only through `messaging.queries`, which shows
a conversation to its current participants and to no one else; no feed, search, profile,
notification or API entity reads these tables."""
