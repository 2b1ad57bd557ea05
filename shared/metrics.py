"""Prometheus metrics that every service exposes at ``/metrics``.

Services add their own beside these (e.g. notify's delivery metrics); all carry a
``service`` label first, so one registry serves several apps in a test process: declare them
with ``counter``, ``gauge`` and ``histogram``, which add it.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram


def counter(name: str, documentation: str, *labels: str) -> Counter:
    """A counter labelled ``service`` and then ``labels``."""
    return Counter(name, documentation, ["service", *labels])


def gauge(name: str, documentation: str, *labels: str) -> Gauge:
    """A gauge labelled ``service`` and then ``labels``."""
    return Gauge(name, documentation, ["service", *labels])


def histogram(name: str, documentation: str, *labels: str) -> Histogram:
    """A histogram labelled ``service`` and then ``labels``."""
    return Histogram(name, documentation, ["service", *labels])


HTTP_REQUESTS = counter(
    "mpp_http_requests_total", "HTTP requests answered.", "method", "route", "status"
)
HTTP_LATENCY = histogram(
    "mpp_http_request_duration_seconds", "Time to answer an HTTP request.", "method", "route"
)
EVENTS_PUBLISHED = counter("mpp_events_published_total", "Events the broker confirmed.", "type")
OUTBOX_PENDING = gauge(
    "mpp_outbox_pending_events",
    "Events stored but not yet confirmed by the broker, as of the relay's last full pass"
    " (less those it published since).",
)
OUTBOX_PUBLISH_FAILURES = counter(
    "mpp_outbox_publish_failures_total",
    "Relay passes that stopped because the broker did not take an event.",
)
EVENTS_CONSUMED = counter(
    "mpp_events_consumed_total",
    "Events taken from a queue, by outcome (processed, duplicate, ignored, failed, rejected).",
    "queue",
    "type",
    "outcome",
)
EVENTS_REJECTED = counter(
    "mpp_events_rejected_total",
    "Messages a consumer dead-lettered, by reason (undecodable, invalid_envelope,"
    " invalid_data, delivery_limit).",
    "queue",
    "reason",
)
CONSUMER_OLDEST_UNACKED = gauge(
    "mpp_consumer_oldest_unacked_seconds",
    "Age of the oldest message delivered to a consumer and not yet settled (0 when idle).",
    "queue",
)
