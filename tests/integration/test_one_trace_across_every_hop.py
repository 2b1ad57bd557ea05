"""One OpenTelemetry trace from an agency request to notify's webhook, through MoU and mall.

The four services run in this process with an in-memory span exporter; the agency request's
trace must reach: the event stored with it (CloudEvents ``traceparent``), the AMQP message
(``traceparent`` header from FastStream's middleware), the MoU, mall and notify consumers,
and the webhook POST (``traceparent`` header from httpx's instrumentation).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared.storage import Storage
from shared.tracing import tracing_configured, use_tracer_provider
from tests.support.broker import EventTap
from tests.support.notify import subscribe
from tests.support.scenario import running_platform
from tests.support.webhooks import WebhookReceiver

pytestmark = pytest.mark.broker


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for services built in this test, off again afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_tracer_provider(provider)
    try:
        yield exporter
    finally:
        use_tracer_provider(None)
        provider.shutdown()


def _trace_id(traceparent: str) -> int:
    return int(traceparent.split("-")[1], 16)


def _consumed_from(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    return str(attributes.get("messaging.consumer.group.name"))


async def test_an_agency_request_and_everything_it_causes_share_one_trace(
    rabbitmq: str,
    agency_storage: Storage,
    mou_storage: Storage,
    mall_storage: Storage,
    notify_storage: Storage,
    spans: InMemorySpanExporter,
) -> None:
    storages = {"agency": agency_storage, "mou": mou_storage, "mall": mall_storage,
                "notify": notify_storage}  # fmt: skip
    async with (
        running_platform(storages) as platform,
        WebhookReceiver() as receiver,
        EventTap(["agency.registered"]) as tap,
    ):
        await subscribe(platform.notify, receiver, ["agency.registered"])
        answer = await platform.agency.client.post(
            "/agencies",
            headers=platform.agency.headers,
            json={"code": "BNN", "name": "Badan Narkotika Nasional", "kind": "agency"},
        )
        assert answer.status_code == 201, answer.text
        agency_id = answer.json()["id"]
        [webhook] = await receiver.wait_for(lambda r: r.event["subject"] == agency_id, timeout=30)
        [published] = await tap.wait_for(lambda r: r.event["subject"] == agency_id)

    request_span = next(
        s for s in spans.get_finished_spans()
        if s.kind == SpanKind.SERVER and (s.attributes or {}).get("http.route") == "/agencies"
    )  # fmt: skip
    trace_id = request_span.context.trace_id
    # The event carries the trace (body extension and AMQP header), and so does the webhook.
    assert _trace_id(published.event["traceparent"]) == trace_id
    headers = published.message.headers or {}
    assert _trace_id(str(headers["traceparent"])) == trace_id
    assert _trace_id(webhook.headers["traceparent"]) == trace_id
    assert _trace_id(webhook.event["traceparent"]) == trace_id

    in_trace = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    kinds = {s.kind for s in in_trace}
    assert {SpanKind.SERVER, SpanKind.PRODUCER, SpanKind.CONSUMER, SpanKind.CLIENT} <= kinds
    consumed = " ".join(_consumed_from(s) for s in in_trace if s.kind == SpanKind.CONSUMER)
    for queue in ("mou.agencies", "mall.agencies", "notify.subscription."):
        assert queue in consumed, (queue, consumed)
    webhook_posts = [
        s for s in in_trace
        if s.kind == SpanKind.CLIENT and receiver.url in str((s.attributes or {}).get("url.full")
                                                              or (s.attributes or {}).get("http.url"))
    ]  # fmt: skip
    assert webhook_posts, [(s.name, s.attributes) for s in in_trace]


def test_tracing_is_off_unless_an_otlp_endpoint_is_set() -> None:
    assert not tracing_configured({})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318"})
    assert tracing_configured({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://j:4318/v1/traces"})
    assert not tracing_configured(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318", "OTEL_SDK_DISABLED": "true"}
    )
    assert not tracing_configured(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318", "OTEL_TRACES_EXPORTER": "none"}
    )
