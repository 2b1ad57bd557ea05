"""When to try a webhook again: the schedule, jitter and the receiver's ``Retry-After``."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    """A schedule of delays, one per attempt a message gets.

    ``schedule[0]`` is the wait before the first attempt (0: at once); ``schedule[n]`` the
    wait after the n-th failed attempt. A message whose last scheduled attempt fails is dead.

    Args:
        schedule: delays in seconds, e.g. Standard Webhooks' 0, 5, 300, 1800, ...
        jitter: each delay is multiplied by a random factor in ``[1 - jitter, 1 + jitter]``
            so that receivers recovering from an outage are not hit by every retry at once.
        retry_after_max: the longest wait a receiver's ``Retry-After`` can impose.
        rng: the source of jitter (tests pass a seeded one).
    """

    schedule: tuple[float, ...]
    jitter: float = 0.1
    retry_after_max: float = 86400.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.schedule:
            raise ValueError("a retry schedule has at least one delay")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a share in [0, 1)")

    @property
    def attempts(self) -> int:
        """How many attempts a message gets in all."""
        return len(self.schedule)

    def first_delay(self) -> float:
        return self._jittered(self.schedule[0])

    def delay_after(self, failed_attempts: int, retry_after: float | None = None) -> float | None:
        """The wait before the next attempt once ``failed_attempts`` have failed.

        None when the schedule is exhausted (the message is dead). A receiver's
        ``Retry-After`` (in seconds) replaces the scheduled delay, capped at
        ``retry_after_max``; it never grants extra attempts.
        """
        if failed_attempts >= len(self.schedule):
            return None
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_max)
        return self._jittered(self.schedule[failed_attempts])

    def _jittered(self, delay: float) -> float:
        if delay <= 0 or self.jitter == 0:
            return max(delay, 0.0)
        return delay * self.rng.uniform(1 - self.jitter, 1 + self.jitter)


MAX_HEADER_CHARS = 64
MAX_RETRY_AFTER_SECONDS = 10 * 365 * 86400.0


def pick_tier(tiers: list[int], delay_seconds: float) -> int:
    """The shortest delay tier (ms) no earlier than ``delay_seconds``; else the longest.

    A wait longer than every tier takes the longest, and the message carries the time it is
    due: the consumer sends it round that tier again until then.
    """
    wanted = delay_seconds * 1000
    for milliseconds in tiers:
        if milliseconds >= wanted:
            return milliseconds
    return tiers[-1]


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """``Retry-After`` (RFC 9110: delay-seconds or an HTTP-date) as seconds from ``now``.

    None when absent or unreadable (only ASCII digits count: ``²`` or 5,000 digits are
    ignored, never an error); a date in the past is 0.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_HEADER_CHARS:
        return None
    if value.isascii() and value.isdigit():
        return min(float(int(value)), MAX_RETRY_AFTER_SECONDS) if len(value) < 12 else None
    if not value.isascii():
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max((when - now).total_seconds(), 0.0)
