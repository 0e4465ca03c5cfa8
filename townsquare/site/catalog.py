"""The features an operator can switch on or off (name -> what it is), in the order they are listed.
Plain data, so the command line can offer the names before Django starts."""

FEATURES: dict[str, str] = {
    "messages": "Direct messages",
    "groups": "Groups",
    "pages": "Pages: organizations, brands and public figures, run by several members",
    "events": "Events, with answers (going, interested, not going), reminders and calendars",
    "friends_mode": "Friends mode: connections need both sides to agree, and are mutual",
}
# Features that are off until the operator switches them on (every other one is on).
OFF_BY_DEFAULT = frozenset({"friends_mode"})
