"""The CloudEvents envelope and the catalogue of MPP event types."""

from shared.events.catalogue import EVENT_TYPES, EventData, data_model_for, event_source
from shared.events.envelope import CONTENT_TYPE, CloudEvent

__all__ = [
    "CONTENT_TYPE",
    "EVENT_TYPES",
    "CloudEvent",
    "EventData",
    "data_model_for",
    "event_source",
]
