"""Who may publish which event: an event is believed only from its owner's broker identity.

RabbitMQ verifies the AMQP ``user_id`` property of every message against the user that
published it, so ``user_id`` names the publisher for certain. ``MPP_BROKER_IDENTITIES`` maps
each service to its broker user (``agency=mpp-agency,mou=mpp-mou,mall=mpp-mall,
notify=mpp-notify``); a consumer accepts an event only when

* its ``user_id`` is the user of the service that owns its type (``mou.*`` -> ``mou``), and
* its ``source`` is that service's (``/mpp/mou``).

Anything else is refused as a pydantic ``ValidationError`` (type ``untrusted_publisher``), so
the consumer's validation dead-letters it like any other invalid message; the refusal is also
logged (without the event's data) and counted in ``mpp_events_untrusted_total``.

Unset (one shared broker user, development only) every publisher is believed and the service
warns at start. ``configure_identities`` sets what consumers check (``ServiceRuntime`` calls it);
``verify_publisher`` is the check, called from each consumer's message validation;
``believed`` the same check for readers that cannot dead-letter (notify's log stream).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import Counter
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.events.catalogue import event_source
from shared.events.envelope import CloudEvent
from shared.logging import get_logger

log = get_logger(__name__)

ENVIRONMENT_VARIABLE = "MPP_BROKER_IDENTITIES"
SERVICES = ("agency", "mou", "mall", "notify")

EVENTS_UNTRUSTED = Counter(
    "mpp_events_untrusted_total",
    "Events refused (dead-lettered) because their publisher does not own their type.",
    ["type", "reason"],
)


@dataclass(frozen=True)
class BrokerIdentities:
    """Service name to the broker user that alone may publish its events."""

    owners: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: str | None) -> BrokerIdentities:
        """From ``agency=mpp-agency,mou=mpp-mou,...``; raises ``ValueError`` when malformed."""
        owners: dict[str, str] = {}
        for item in (value or "").split(","):
            if not item.strip():
                continue
            service, sep, user = item.partition("=")
            service, user = service.strip(), user.strip()
            if not sep or not service or not user:
                raise ValueError(f"{ENVIRONMENT_VARIABLE}: {item.strip()!r} is not service=user")
            if service in owners:
                raise ValueError(f"{ENVIRONMENT_VARIABLE}: {service!r} is named twice")
            owners[service] = user
        return cls(owners)

    @property
    def enforced(self) -> bool:
        return bool(self.owners)

    def owner_of(self, event_type: str) -> str | None:
        """The broker user that owns ``event_type`` (by its ``<service>.`` prefix)."""
        return self.owners.get(event_type.split(".", 1)[0])

    def __str__(self) -> str:
        return ",".join(f"{service}={user}" for service, user in self.owners.items())


_active = BrokerIdentities()


def configure_identities(value: str | None, *, service: str | None = None) -> BrokerIdentities:
    """Make ``value`` what every consumer of this process checks; warn when it is unset."""
    global _active
    _active = BrokerIdentities.parse(value)
    if not _active.enforced:
        log.warning(
            "broker.publishers_not_authenticated",
            service=service,
            detail=f"{ENVIRONMENT_VARIABLE} is unset: events are believed from any broker user "
            "(development only; run `python -m shared.messaging.provision`)",
        )
    return _active


def active_identities() -> BrokerIdentities:
    return _active


def refusal(event: CloudEvent, user_id: str | None, identities: BrokerIdentities) -> str | None:
    """Why ``event`` published by ``user_id`` must not be believed, or None when it may be."""
    if not identities.enforced:
        return None
    owner = identities.owner_of(event.type)
    if owner is None:
        return f"no service owns the type {event.type!r}"
    if user_id != owner:
        return f"{event.type!r} is published only by {owner!r}, not by {user_id!r}"
    if event.source != event_source(event.type):
        return f"source {event.source!r} is not {event_source(event.type)!r}"
    return None


RELAYED_FROM_HEADER = "x-mpp-publisher"
"""Set by notify when it re-publishes a message on its own exchanges (retry tiers): the
``user_id`` the message first came with. Believed only on a message whose own ``user_id`` is
notify's identity, which may publish on ``notify.*`` exchanges but never on ``mpp.events``."""

RELAYING_SERVICE = "notify"


def publisher_of(message: object, identities: BrokerIdentities | None = None) -> str | None:
    """Who published ``message``'s event: its verified ``user_id``, or, for a copy that notify
    relayed (``user_id`` notify's), the original publisher notify recorded."""
    checked = identities if identities is not None else _active
    user_id = _user_id_of(message)
    relay = checked.owners.get(RELAYING_SERVICE)
    if relay is not None and user_id == relay:
        headers = getattr(message, "headers", None) or {}
        original = headers.get(RELAYED_FROM_HEADER)
        if original:
            return str(original.decode() if isinstance(original, bytes) else original)
    return user_id


def believed(
    event: CloudEvent, message: object, identities: BrokerIdentities | None = None
) -> bool:
    """Whether ``event`` may be believed, without logging or counting (readers of a stream,
    which cannot dead-letter, skip what this refuses)."""
    checked = identities if identities is not None else _active
    return refusal(event, publisher_of(message, checked), checked) is None


def verify_publisher(
    event: CloudEvent,
    message: object,
    identities: BrokerIdentities | None = None,
    *,
    refuse: Callable[[str, Any], Exception] | None = None,
) -> None:
    """Raise unless ``message``'s publisher owns ``event``'s type.

    Args:
        event: the parsed envelope.
        message: the AMQP message it came in (anything with ``user_id``: FastStream's
            ``RabbitMessage`` or aio-pika's ``IncomingMessage``).
        identities: what to check against; the process's configured identities by default.
        refuse: builds the exception to raise from (``"untrusted_publisher"``, reason), e.g. a
            consumer's own "dead-letter this" error; by default a pydantic ``ValidationError``.
    """
    checked = identities if identities is not None else _active
    user_id = publisher_of(message, checked)
    reason = refusal(event, user_id, checked)
    if reason is None:
        return
    kind = "wrong_source" if reason.startswith("source") else "wrong_publisher"
    EVENTS_UNTRUSTED.labels(type=event.type, reason=kind).inc()
    log.warning(
        "event.untrusted_publisher",
        event_id=event.id,
        event_type=event.type,
        source=event.source,
        user_id=user_id,
        reason=reason,
    )
    if refuse is not None:
        raise refuse("untrusted_publisher", reason)
    detail: dict[str, Any] = {"reason": reason}
    raise ValidationError.from_exception_data(
        "CloudEvent",
        [
            InitErrorDetails(
                type=PydanticCustomError("untrusted_publisher", "{reason}", detail),
                loc=("user_id",),
                input=user_id,
            )
        ],
    )


def _user_id_of(message: object) -> str | None:
    user_id = getattr(message, "user_id", None)
    if user_id is None:
        raw = getattr(message, "raw_message", None)
        user_id = getattr(raw, "user_id", None)
    return str(user_id) if user_id else None
