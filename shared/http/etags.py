"""Entity tags as RFC 9110 defines them: parsing ``If-Match``/``If-None-Match`` lists.

A resource's ETag is its version, strong (``"3"``). ``If-Match`` compares strongly (a weak
tag never matches); ``If-None-Match`` compares weakly (``W/"3"`` matches ``"3"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')
_BARE_VERSION = re.compile(r"[ \t]*([0-9]{1,19})[ \t]*")

ENTITY_TAG_LIST_PATTERN = r'^[ \t]*(\*|[0-9]{1,19}|(W/)?"[^"]*"([ \t]*,[ \t]*(W/)?"[^"]*")*)[ \t]*$'
"""What a conditional header may hold: ``*``, a bare version, or a list of entity tags."""


@dataclass(frozen=True)
class EntityTag:
    opaque: str
    weak: bool = False


@dataclass(frozen=True)
class Condition:
    """A parsed ``If-Match`` or ``If-None-Match``: ``*`` or a list of entity tags."""

    any: bool
    tags: tuple[EntityTag, ...] = ()

    def matches_strongly(self, etag: EntityTag) -> bool:
        """RFC 9110 strong comparison: both strong and the same opaque tag."""
        if self.any:
            return True
        return not etag.weak and any(not t.weak and t.opaque == etag.opaque for t in self.tags)

    def matches_weakly(self, etag: EntityTag) -> bool:
        """RFC 9110 weak comparison: the same opaque tag, weak or not."""
        return self.any or any(t.opaque == etag.opaque for t in self.tags)


def parse_condition(value: str) -> Condition | None:
    """The condition ``value`` states; None when it is not a valid header value.

    A bare number (``If-Match: 3``) is read as the strong tag ``"3"``, as DESIGN.md allows.
    """
    if value.strip() == "*":
        return Condition(any=True)
    bare = _BARE_VERSION.fullmatch(value)
    if bare:
        return Condition(any=False, tags=(EntityTag(bare.group(1)),))
    tags: list[EntityTag] = []
    for part in _split_list(value):
        match = _ENTITY_TAG.fullmatch(part)
        if match is None:
            return None
        tags.append(EntityTag(match.group(2), weak=bool(match.group(1))))
    return Condition(any=False, tags=tuple(tags)) if tags else None


def parse_etag(value: str) -> EntityTag | None:
    """One ``ETag`` response header."""
    match = _ENTITY_TAG.fullmatch(value)
    return EntityTag(match.group(2), weak=bool(match.group(1))) if match else None


def _split_list(value: str) -> list[str]:
    """Split on commas outside quotes (an opaque tag may not hold a quote, but may a comma)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part.strip()]
