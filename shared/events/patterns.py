"""AMQP topic patterns (``*`` one word, ``#`` zero or more) matched against event types."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"^[a-z0-9_]+$")


def is_valid_pattern(pattern: str) -> bool:
    """Whether ``pattern`` is a well-formed topic pattern, e.g. ``mou.*`` or ``mall.#``."""
    words = pattern.split(".")
    return bool(pattern) and all(w in ("*", "#") or _WORD.match(w) for w in words)


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    for word in pattern.split("."):
        if word == "#":
            parts.append(r"(?:[^.]+(?:\.[^.]+)*)?")
        elif word == "*":
            parts.append(r"[^.]+")
        else:
            parts.append(re.escape(word))
    regex = r"\.".join(parts)
    # "#" may match zero words, taking a neighbouring dot with it.
    regex = regex.replace(r"\.(?:[^.]+(?:\.[^.]+)*)?", r"(?:\.[^.]+)*")
    regex = regex.replace(r"(?:[^.]+(?:\.[^.]+)*)?\.", r"(?:[^.]+\.)*")
    return re.compile(f"^{regex}$")


def topic_matches(pattern: str, routing_key: str) -> bool:
    """Whether ``routing_key`` matches ``pattern`` as RabbitMQ would route it."""
    return _compile(pattern).match(routing_key) is not None


def matches_any(patterns: list[str] | tuple[str, ...], routing_key: str) -> bool:
    """Whether any of ``patterns`` matches."""
    return any(topic_matches(p, routing_key) for p in patterns)


def topic_regex(pattern: str) -> str:
    """An anchored regular expression for the routing keys ``pattern`` matches.

    Usable as a MongoDB ``$regex`` as well as with Python's ``re``.
    """
    return _compile(pattern).pattern
