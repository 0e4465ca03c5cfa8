"""Path converters for the site's URLs, registered on import (before any route module)."""

from django.urls import register_converter


class _TextConverter:
    """A path segment matched by `regex` and passed on as it is."""

    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class UsernameConverter(_TextConverter):
    regex = "[A-Za-z0-9_]{1,30}"


class AnswerConverter(_TextConverter):
    regex = "approve|reject"


class VerbConverter(_TextConverter):
    regex = "like|unlike|share|unshare|bookmark|unbookmark|pin|unpin"


class TagConverter(_TextConverter):
    """Hashtag names as the text parser finds them (word characters only)."""

    regex = r"\w{1,100}"


class IdConverter:
    """A 64-bit id: anything longer or larger is simply not found (never a database error)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2**63:
            raise ValueError("id out of range")
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(UsernameConverter, "username")
register_converter(AnswerConverter, "answer")
register_converter(VerbConverter, "verb")
register_converter(TagConverter, "tag")
register_converter(IdConverter, "id")
