"""What the AsyncAPI document says about an event, made to match what is published.

FastStream derives the document from the broker; three things it cannot know are set here:
each channel's envelope names its own ``type`` and ``source`` as constants, messages are
``application/cloudevents+json``, and the AMQP binding's ``vhost`` is the vhost's name
(``interop``), not the URL's path (``/interop``).
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import BaseModel, create_model

from shared.events.catalogue import EVENT_TYPES, event_source
from shared.events.envelope import CONTENT_TYPE, CloudEvent


def event_envelope_model(event_type: str) -> type[BaseModel]:
    """The CloudEvent of ``event_type``: its ``type`` and ``source`` constants, its ``data``."""
    model = EVENT_TYPES[event_type]
    type_constant: Any = Literal[event_type]
    source_constant: Any = Literal[event_source(event_type)]
    return create_model(
        f"{model.__name__}Event",
        __base__=CloudEvent,
        type=(type_constant, ...),
        source=(source_constant, ...),
        data=(model, ...),
    )


def vhost_of(url: str) -> str:
    """The vhost an AMQP URL names: ``amqp://h/interop`` -> ``interop``; none -> ``/``."""
    path = urlparse(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def match_the_wire(spec: dict[str, Any], amqp_url: str) -> dict[str, Any]:
    """Correct FastStream's AsyncAPI 3.0 document in place to what the services publish."""
    spec["defaultContentType"] = CONTENT_TYPE
    for message in spec.get("components", {}).get("messages", {}).values():
        message["contentType"] = CONTENT_TYPE
    vhost = vhost_of(amqp_url)
    for channel in spec.get("channels", {}).values():
        amqp = channel.get("bindings", {}).get("amqp", {})
        for part in ("exchange", "queue"):
            if part in amqp:
                amqp[part]["vhost"] = vhost
    return spec
