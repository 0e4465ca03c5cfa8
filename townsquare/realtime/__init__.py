"""Real time: the event bus (bus.py), what the write side publishes (publish.py), and the
streaming server (asgi.py) that delivers events to Mastodon clients over server-sent events
and websockets."""
