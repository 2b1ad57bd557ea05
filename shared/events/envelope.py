"""The CloudEvents 1.0 structured-mode envelope every MPP event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.tracing import current_trace_attributes

CONTENT_TYPE = "application/cloudevents+json"
ALWAYS_SENT = ("specversion", "datacontenttype")
"""Attributes with a default in the model that every published event nevertheless carries."""


def _required_on_the_wire(schema: dict[str, Any]) -> None:
    """Schemas say what the wire holds: ``specversion`` (CloudEvents requires it) and
    ``datacontenttype`` are always sent, so a subscriber may rely on them."""
    required = list(schema.get("required", []))
    schema["required"] = required + [name for name in ALWAYS_SENT if name not in required]


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 document, JSON structured mode, with the ``correlationid`` extension.

    The routing key on ``mpp.events`` equals ``type``; ``id`` is also the AMQP ``message_id``.
    """

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        json_schema_extra=_required_on_the_wire,
        # Parsing JSON caches string values by default (16,384 of them, kept until a
        # colliding string replaces them): ids, subjects and times are nearly all unique, so
        # the cache only kept each event's strings alive long after it, one here and one
        # there on whatever pages were free at the time. Field names repeat: those it keeps.
        cache_strings="keys",
    )

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, description="Unique per event; consumers deduplicate on it.")
    type: str = Field(pattern=r"^[a-z]+\.[a-z_]+$", description="e.g. `mou.signed`.")
    source: str = Field(min_length=1, description="`/mpp/<service>`.")
    subject: str = Field(min_length=1, description="The id of the aggregate it is about.")
    time: datetime = Field(description="When it happened, RFC 3339 in UTC.")
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]
    correlationid: str = Field(
        min_length=1, description="The request or event that caused it, carried through every hop."
    )

    @field_validator("time")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a timezone")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 9999-12-31T23:59:59-01:00 is past the last UTC instant
            raise ValueError("time is out of range once converted to UTC") from None

    @classmethod
    def new(
        cls,
        *,
        type: str,
        source: str,
        subject: str,
        data: dict[str, Any],
        correlation_id: str,
        time: datetime | None = None,
    ) -> CloudEvent:
        """A new event with a fresh id, stamped now unless ``time`` is given.

        When a span is recording, its ``traceparent`` (CloudEvents Distributed Tracing
        extension) is stored with the event, so whoever publishes it later continues the trace.
        """
        return cls(
            id=str(uuid.uuid4()),
            type=type,
            source=source,
            subject=subject,
            time=time or datetime.now(UTC),
            data=data,
            correlationid=correlation_id,
            **current_trace_attributes(),
        )

    def to_json_bytes(self) -> bytes:
        """The wire form: RFC 3339 ``time`` with a ``Z`` suffix."""
        return self.model_dump_json().encode()

    def to_wire_dict(self) -> dict[str, Any]:
        """The JSON-compatible dict of the wire form."""
        return self.model_dump(mode="json")
