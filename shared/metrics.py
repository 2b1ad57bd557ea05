"""Prometheus metrics that every service exposes at ``/metrics``.

Services add their own beside these (e.g. notify's delivery metrics); all carry a
``service`` label so one registry serves several apps in a test process.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "mpp_http_requests_total",
    "HTTP requests answered.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "mpp_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["service", "method", "route"],
)
EVENTS_PUBLISHED = Counter(
    "mpp_events_published_total",
    "Events the broker confirmed.",
    ["service", "type"],
)
OUTBOX_PENDING = Gauge(
    "mpp_outbox_pending_events",
    "Events stored but not yet confirmed by the broker, as of the relay's last full pass"
    " (less those it published since).",
    ["service"],
)
OUTBOX_PUBLISH_FAILURES = Counter(
    "mpp_outbox_publish_failures_total",
    "Relay passes that stopped because the broker did not take an event.",
    ["service"],
)
EVENTS_CONSUMED = Counter(
    "mpp_events_consumed_total",
    "Events taken from a queue, by outcome (processed, duplicate, ignored, failed, rejected).",
    ["service", "queue", "type", "outcome"],
)
EVENTS_REJECTED = Counter(
    "mpp_events_rejected_total",
    "Messages a consumer dead-lettered, by reason (undecodable, invalid_envelope,"
    " invalid_data, delivery_limit).",
    ["service", "queue", "reason"],
)
CONSUMER_OLDEST_UNACKED = Gauge(
    "mpp_consumer_oldest_unacked_seconds",
    "Age of the oldest message delivered to a consumer and not yet settled (0 when idle).",
    ["service", "queue"],
)
