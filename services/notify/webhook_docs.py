"""Notify's outgoing webhook described in OpenAPI 3.1's ``webhooks`` section.

Receivers generate their handler (or check ours) from the same document as the API: the POST
carries one CloudEvent (``application/cloudevents+json``; ``type`` says which) with the
Standard Webhooks headers; any 2xx is success, 410 disables the subscription.
"""

# No ``from __future__ import annotations``: FastAPI reads ``WebhookEvent`` at runtime.
from typing import Annotated, Any, Union

from fastapi import APIRouter, Body, Header
from pydantic import Field

from shared.events.catalogue import EVENT_TYPES
from shared.events.envelope import CONTENT_TYPE
from shared.events.wire import event_envelope_model

_EVENT_MODELS: Any = tuple(event_envelope_model(t) for t in EVENT_TYPES)
WebhookEvent: Any = Annotated[Union[_EVENT_MODELS], Field(discriminator="type")]  # noqa: UP007

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Any 2xx: delivered; the same `webhook-id` is not sent again."},
    410: {"description": "Gone: the subscription is disabled and gets nothing more."},
    429: {"description": "Retried later, no sooner than the `Retry-After` it names."},
    500: {"description": "Any other answer or a timeout: retried with backoff and jitter."},
}


webhooks = APIRouter()
"""The ``mpp-event`` webhook, for an app's OpenAPI ``webhooks`` (no route serves it)."""


@webhooks.post(
    "mpp-event", summary="One platform event, to a subscriber's URL", responses=_RESPONSES
)
async def mpp_event(
    event: WebhookEvent = Body(media_type=CONTENT_TYPE),
    webhook_id: str = Header(
        alias="webhook-id", description="The event's id; stable across retries."
    ),
    webhook_timestamp: str = Header(
        alias="webhook-timestamp", pattern=r"^\d+$", description="Unix seconds."
    ),
    webhook_signature: str = Header(
        alias="webhook-signature",
        description='`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, one per'
        " secret, space-separated (two during a secret rotation).",
    ),
    traceparent: str | None = Header(
        None, description="W3C trace context of the delivery, when tracing is on."
    ),
) -> None:
    """Sent for each event matching the subscription's `event_types`, in order per subject."""
