"""Failed-authentication rate limiting per client address, so keys cannot be guessed.

A client address that failed authentication ``limit`` times within ``window_seconds`` gets
429 with ``Retry-After`` for every request that needs a key, right or wrong, until its oldest
failure leaves the window. In memory, per replica: guessing a 32-character key stays hopeless
even at (replicas x limit) guesses a minute. At most ``max_clients`` addresses are tracked
(the least recently failing are forgotten first), so the table cannot exhaust memory.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from shared.errors import DomainError


class TooManyRequests(DomainError):
    """Too many failed authentications; ``retry_after_seconds`` says when to try again."""


class AuthFailureLimiter:
    """Counts failed authentications per client address in a sliding window.

    Args:
        limit: failures allowed within the window.
        window_seconds: the window's length.
        max_clients: addresses remembered at most.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        limit: int = 20,
        window_seconds: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, client: str) -> None:
        """Raise ``TooManyRequests`` (saying how long to wait) while ``client`` is over it."""
        failures = self._recent(client)
        if failures is None or len(failures) < self.limit:
            return
        retry_after = max(1, math.ceil(failures[0] + self.window_seconds - self._clock()))
        raise TooManyRequests(
            "Too many failed authentications from this address; try again later.",
            retry_after_seconds=retry_after,
        )

    def record_failure(self, client: str) -> None:
        failures = self._recent(client)
        if failures is None:
            failures = deque(maxlen=self.limit)
            self._failures[client] = failures
            while len(self._failures) > self._max_clients:
                self._failures.popitem(last=False)
        self._failures.move_to_end(client)
        failures.append(self._clock())

    def _recent(self, client: str) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        horizon = self._clock() - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures
