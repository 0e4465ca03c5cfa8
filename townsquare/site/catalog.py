"""The features an operator can switch on or off (name -> what it is), in the order they are listed.
Plain data, so the command line can offer the names before Django starts."""


def gettext_noop(text: str) -> str:
    """Marks `text` for the translation catalogs (makemessages looks for this name) without
    importing Django; pages translate it when they show it (`gettext(FEATURES[name])`), the
    command line prints it as it is."""
    return text


FEATURES: dict[str, str] = {
    "messages": gettext_noop("Direct messages"),
    "groups": gettext_noop("Groups"),
    "pages": gettext_noop(
        "Pages: organizations, brands and public figures, run by several members"
    ),
    "events": gettext_noop(
        "Events, with answers (going, interested, not going), reminders and calendars"
    ),
    "video": gettext_noop("Video uploads (off: photos only; videos already posted stay visible)"),
    "polls": gettext_noop(
        "Polls in posts (off: no new polls; polls already posted show their results)"
    ),
    "link_previews": gettext_noop(
        "Link preview cards under posts (TOWNSQUARE_LINK_PREVIEWS must be on too)"
    ),
    "public_timeline": gettext_noop(
        "The public timeline and hashtag pages for visitors who are not signed in"
    ),
    "post_search": gettext_noop(
        "Search of posts' text (off: search finds people and hashtags only)"
    ),
    "friends_mode": gettext_noop(
        "Friends mode: connections need both sides to agree, and are mutual"
    ),
}
# Features that are off until the operator switches them on (every other one is on).
OFF_BY_DEFAULT = frozenset({"friends_mode"})
