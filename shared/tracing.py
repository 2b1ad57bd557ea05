"""OpenTelemetry traces across every hop, configured by the standard ``OTEL_*`` variables.

Off unless an OTLP endpoint is set (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``; ``OTEL_SDK_DISABLED=true`` or
``OTEL_TRACES_EXPORTER=none`` turn it off again). When on: FastAPI's instrumentation opens a
span per request, FastStream's ``RabbitTelemetryMiddleware`` one per publish and per consumed
message (W3C ``traceparent`` in the AMQP headers), httpx's one per webhook POST. The context of
the span that records an event travels inside the event (CloudEvents ``traceparent``
extension), so the outbox relay and notify's dispatcher, which run later and elsewhere,
continue the same trace rather than starting new ones.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import context, propagate, trace

TRACE_ATTRIBUTES = ("traceparent", "tracestate")
"""CloudEvents Distributed Tracing extension attributes (W3C Trace Context)."""

_provider: Any = None
"""The process's TracerProvider once tracing is on (one per process, whatever it serves)."""
_environment_read = False
"""Whether ``OTEL_*`` were read: once per process, not on every message of a hot path."""


def tracing_configured(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return bool(
        environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def tracer_provider(service: str) -> Any:
    """The provider to instrument with, created on first use from ``OTEL_*`` (read once, as
    the process starts using it); None when off."""
    global _provider, _environment_read
    if _provider is None and not _environment_read:
        _environment_read = True
        if not tracing_configured():
            return None
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        name = os.environ.get("OTEL_SERVICE_NAME") or f"mpp-{service}"
        provider = TracerProvider(resource=Resource.create({"service.name": name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        use_tracer_provider(provider)
    return _provider


def use_tracer_provider(provider: Any) -> None:
    """Trace with ``provider`` (tests pass one with an in-memory exporter); None turns off.

    Services built afterwards are instrumented; httpx is instrumented process-wide.
    """
    global _provider
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()
    _provider = provider
    if provider is not None:
        instrumentor.instrument(tracer_provider=provider)


def broker_middlewares(service: str) -> tuple[Any, ...]:
    """FastStream's telemetry middleware for a service's broker, or nothing when off."""
    provider = tracer_provider(service)
    if provider is None:
        return ()
    from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware

    return (RabbitTelemetryMiddleware(tracer_provider=provider),)


def instrument_app(app: Any, service: str) -> None:
    """A server span per request (health and metrics excluded), when tracing is on."""
    provider = tracer_provider(service)
    if provider is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, tracer_provider=provider, excluded_urls="healthz,readyz,metrics"
    )


def label_consumer_span(service: str, queue: str) -> None:
    """Name the queue and service on the consumer span (FastStream's names the exchange only)."""
    span = trace.get_current_span()
    if span.is_recording():
        span.set_attribute("messaging.consumer.group.name", queue)
        span.set_attribute("mpp.service", service)


@contextmanager
def consumer_span(
    service: str, queue: str, event: Mapping[str, Any] | Any | None
) -> Iterator[None]:
    """A consumer span for a message taken from ``queue`` outside FastStream (notify's own
    aio-pika consumers), in the trace the event was recorded in; only that trace when off."""
    with continued_trace(event):
        provider = tracer_provider(service)
        if provider is None:
            yield
            return
        tracer = provider.get_tracer("mpp." + service)
        attributes = {
            "messaging.system": "rabbitmq",
            "messaging.operation": "process",
            "messaging.consumer.group.name": queue,
            "mpp.service": service,
        }
        with tracer.start_as_current_span(
            f"{queue} process", kind=trace.SpanKind.CONSUMER, attributes=attributes
        ):
            yield


def current_trace_attributes() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span; empty when none is recording."""
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {key: value for key, value in carrier.items() if key in TRACE_ATTRIBUTES}


@contextmanager
def continued_trace(event: Mapping[str, Any] | Any | None) -> Iterator[None]:
    """Make the trace an event was recorded in current, so spans opened here join it."""
    carrier = _trace_attributes_of(event)
    if not carrier:
        yield
        return
    token = context.attach(propagate.extract(carrier))
    try:
        yield
    finally:
        context.detach(token)


def _trace_attributes_of(event: Mapping[str, Any] | Any | None) -> dict[str, str]:
    if event is None:
        return {}
    if isinstance(event, Mapping):
        source: Mapping[str, Any] = event
    else:
        source = getattr(event, "model_extra", None) or {}
    return {key: str(source[key]) for key in TRACE_ATTRIBUTES if source.get(key)}


def client_span(provider: Any, service: str, url: str) -> Any:
    """The span of one outgoing POST, as httpx's instrumentation would open it (no query
    string: a receiver's URL may carry a token in it)."""
    parts = urlsplit(url)
    return provider.get_tracer("mpp." + service).start_as_current_span(
        "POST",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "http.request.method": "POST",
            "url.full": f"{parts.scheme}://{parts.netloc}{parts.path}",
            "server.address": parts.hostname or "",
            "server.port": parts.port or (443 if parts.scheme == "https" else 80),
        },
    )
