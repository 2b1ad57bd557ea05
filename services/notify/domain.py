"""Webhook subscriptions: where to send which events, signed with which secret. No I/O.

Notify publishes no events, so its aggregates record none; they still carry a ``version``
for ``If-Match``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

from services.notify.signing import new_secret
from shared.clock import UtcDateTime, utcnow
from shared.domain import Aggregate, Changes, Filter
from shared.errors import InvalidTransition, RuleViolated
from shared.events.patterns import is_valid_pattern, matches_any

SubscriptionStatus = Literal["active", "paused", "disabled"]
SettableStatus = Literal["active", "paused"]

UNREADABLE_SECRET = ""
"""What the repository loads for a stored secret no configured key decrypts."""

MAX_URL_LENGTH = 2048
MAX_PATTERNS = 50
MAX_IN_FLIGHT = 1000


def check_url(url: str, field: str = "url") -> str:
    """An absolute http(s) URL with a host; anything else is refused."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise RuleViolated(f"at most {MAX_URL_LENGTH} characters", field=field)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise RuleViolated(f"not a valid URL: {error}", field=field) from error
    if parts.scheme not in ("http", "https"):
        raise RuleViolated("only http and https URLs can receive webhooks", field=field)
    if not parts.hostname:
        raise RuleViolated("the URL needs a host", field=field)
    if any(c.isspace() for c in url):
        raise RuleViolated("the URL cannot contain spaces", field=field)
    return url


def check_patterns(patterns: list[str], field: str = "event_types") -> list[str]:
    """Topic patterns (``mou.*``, ``mall.#``, ``#``), each once, in the order given."""
    if not patterns:
        raise RuleViolated("name at least one event type or pattern, e.g. mou.*", field=field)
    if len(patterns) > MAX_PATTERNS:
        raise RuleViolated(f"at most {MAX_PATTERNS} patterns", field=field)
    unique: list[str] = []
    for i, pattern in enumerate(patterns):
        if not is_valid_pattern(pattern):
            raise RuleViolated(
                f"{pattern!r} is not an event type pattern: words of a-z, 0-9 or _,"
                " * for one word, # for any (mou.*, mall.inaugurated, #)",
                field=f"{field}.{i}",
            )
        if pattern not in unique:
            unique.append(pattern)
    return unique


class SecretUnavailable(Exception):
    """The signing secret cannot be read: MPP_SECRET_KEYS lacks the key it was stored with."""


def check_max_in_flight(value: int, field: str = "max_in_flight") -> int:
    """Deliveries of one subscription in flight at once: 1 keeps them in order."""
    if not isinstance(value, int) or not 1 <= value <= MAX_IN_FLIGHT:
        raise RuleViolated(f"a whole number from 1 to {MAX_IN_FLIGHT}", field=field)
    return value


class SubscriptionChanges(Changes):
    """What ``Subscription.update`` may change; only the fields given change."""

    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    max_in_flight: int | None = None
    status: SettableStatus | None = None
    """``active`` or ``paused``: disabling is the service's call."""


class PreviousSecret(BaseModel):
    """A secret replaced by a rotation, still signing until ``expires_at``."""

    secret: str = Field(repr=False)
    expires_at: UtcDateTime


class Subscription(Aggregate):
    """A receiver of webhooks for the events matching ``event_types``."""

    url: str
    event_types: list[str]
    description: str | None = None
    status: SubscriptionStatus = "active"
    disabled_reason: str | None = None
    disabled_at: UtcDateTime | None = None
    secret: str = Field(repr=False)
    previous_secrets: list[PreviousSecret] = []
    secret_rotated_at: UtcDateTime | None = None
    max_in_flight: int = 1

    @classmethod
    def create(
        cls,
        *,
        url: str,
        event_types: list[str],
        description: str | None = None,
        max_in_flight: int = 1,
    ) -> Subscription:
        """A new, active subscription with a fresh secret (read it once from ``secret``)."""
        return cls.new(
            "sub",
            url=check_url(url),
            event_types=check_patterns(event_types),
            description=description,
            max_in_flight=check_max_in_flight(max_in_flight),
            secret=new_secret(),
        )

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    def wants(self, event_type: str) -> bool:
        """Whether an event of ``event_type`` is for this subscription."""
        return matches_any(self.event_types, event_type)

    def update(self, changes: SubscriptionChanges) -> list[str]:
        """Change the URL, patterns, description or status (active/paused).

        Returns the fields that really changed; with none, the version stays.
        """
        changed: list[str] = []
        for name, value in changes.given().items():
            if name == "status":
                continue
            if value is None and name != "description":
                raise RuleViolated(f"{name} cannot be removed", field=name)
            if name == "url":
                value = check_url(value)
            elif name == "event_types":
                value = check_patterns(value)
            elif name == "max_in_flight":
                value = check_max_in_flight(value)
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed.append(name)
        if changes.has("status") and self._set_status(changes.status):
            changed.append("status")
        if changed:
            self.next_version()
        return changed

    def _set_status(self, status: SettableStatus | None) -> bool:
        if status not in ("active", "paused"):
            raise RuleViolated(
                "status can be set to active or paused (disabled is the service's call)",
                field="status",
            )
        if status == self.status:
            return False
        self.status = status
        self.disabled_reason = None
        self.disabled_at = None
        return True

    def disable(self, reason: str, at: datetime | None = None) -> bool:
        """Stop deliveries because the receiver keeps failing or is gone (410).

        Returns False (and changes nothing) when it is disabled already.
        """
        if self.status == "disabled":
            return False
        self.status = "disabled"
        self.disabled_reason = reason
        self.disabled_at = at or utcnow()
        self.next_version(self.disabled_at)
        return True

    def rotate_secret(self, grace: timedelta, at: datetime | None = None) -> str:
        """A new secret; every earlier one keeps signing, beside it, for ``grace`` at most.

        A secret from an earlier rotation never outlives this rotation's grace, so a grace
        of 0 (after a leak) revokes every earlier secret at once. Returns the new secret
        (the only time it is shown).
        """
        if grace < timedelta(0):
            raise RuleViolated("the grace period cannot be negative", field="grace_seconds")
        now = at or utcnow()
        until = now + grace
        earlier = [PreviousSecret(secret=self.secret, expires_at=until), *self.previous_secrets]
        self.previous_secrets = [
            PreviousSecret(secret=p.secret, expires_at=min(p.expires_at, until))
            for p in earlier
            if p.secret != UNREADABLE_SECRET and min(p.expires_at, until) > now
        ]
        self.secret = new_secret()
        self.secret_rotated_at = now
        self.next_version(now)
        return self.secret

    def signing_secrets(self, at: datetime | None = None) -> list[str]:
        """The secrets a delivery is signed with now: the current one first."""
        if self.secret == UNREADABLE_SECRET:
            raise SecretUnavailable(
                "the signing secret cannot be decrypted with MPP_SECRET_KEYS; restore the key"
                " it was stored with, or rotate the secret"
            )
        now = at or utcnow()
        earlier = (p.secret for p in self.previous_secrets if p.expires_at > now)
        return [self.secret, *(s for s in earlier if s != UNREADABLE_SECRET)]

    def ensure_deliverable(self) -> None:
        """Refuse work that needs a subscription that is not disabled."""
        if self.status == "disabled":
            raise InvalidTransition(
                f"subscription {self.id} is disabled ({self.disabled_reason}); re-enable it"
                ' with PATCH {"status": "active"} first',
                current_state=self.status,
            )


class SubscriptionFilter(Filter):
    """What ``GET /subscriptions`` can filter on."""

    status: SubscriptionStatus | None = None
