"""The features an operator can switch off (name -> what it is), in the order they are listed.
Plain data, so the command line can offer the names before Django starts."""

FEATURES: dict[str, str] = {
    "messages": "Direct messages",
}
