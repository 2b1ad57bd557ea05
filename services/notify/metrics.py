"""Notify's Prometheus metrics, beside the ones every service has (``shared.metrics``)."""

from __future__ import annotations

from functools import cache
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from services.notify import SERVICE

EVENTS_LOGGED = Counter(
    "mpp_notify_events_logged_total",
    "Events this replica read off the event log stream (each id once within the window).",
    ["service", "type"],
)
DELIVERIES = Counter(
    "mpp_webhook_deliveries_total",
    "Webhook delivery attempts, by outcome: succeeded, failed (will retry), dead (no retry"
    " left, or 410).",
    ["service", "outcome"],
)
DELIVERY_SECONDS = Histogram(
    "mpp_webhook_delivery_seconds",
    "Time a receiver took to answer one delivery attempt (or to fail).",
    ["service"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0),
)
RETRY_BACKLOG = Gauge(
    "mpp_webhook_retry_backlog",
    "Retries waiting: messages in the delay tiers (all subscriptions), and those back from a"
    " tier that this replica has taken but not settled.",
    ["service"],
)
PENDING_DELIVERIES = Gauge(
    "mpp_webhook_pending_deliveries",
    "Messages ready in the subscription queues (paused subscriptions hold theirs here).",
    ["service"],
)
DISABLED_SUBSCRIPTIONS = Gauge(
    "mpp_webhook_disabled_subscriptions",
    "Subscriptions the service disabled (410 or too many failed messages).",
    ["service"],
)
OPEN_STREAMS = Gauge(
    "mpp_notify_open_streams",
    "Clients connected to /events/stream on this replica.",
    ["service"],
)
LOG_SKIPPED = Counter(
    "mpp_notify_log_skipped_total",
    "Stream entries the live feed skipped: invalid bodies, events from a publisher that does"
    " not own their type, and duplicate ids within the window.",
    ["service", "reason"],
)
SSE_REFUSED = Counter(
    "mpp_notify_streams_refused_total",
    "Connections to /events/stream refused because the replica's cap was reached.",
    ["service"],
)


def count_attempt(outcome: str, seconds: float) -> None:
    """Count one webhook attempt and its time (the labelled series looked up once each)."""
    _attempts_ending(outcome).inc()
    _attempt_seconds().observe(seconds)


@cache
def _attempts_ending(outcome: str) -> Any:
    return DELIVERIES.labels(service=SERVICE, outcome=outcome)


@cache
def _attempt_seconds() -> Any:
    return DELIVERY_SECONDS.labels(service=SERVICE)
