"""The fault cases: each disturbs a running pipeline and returns what reached the subscriber.

Cases are grouped by what they need, so one start-up serves several: the run's vhost on the
shared broker (webhook and service faults), a TCP proxy in front of it (a cut connection), and
a RabbitMQ node of the suite's own (stopped and killed; the shared broker never is).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aio_pika

from benchmarks.faults.report import CaseResult
from benchmarks.faults.rig import Pipeline, pipeline
from services.notify.topology import SUBSCRIPTIONS_DLQ
from tests.support.broker import TcpProxy, publish_raw
from tests.support.rabbit_nodes import RabbitCluster, RabbitNode
from tests.support.webhooks import Reply

IN_PROCESS_STORE = (
    "{gone} of {sent} agencies gone after the restart: the in-process store (MONGODB_URL unset)"
    " dies with the process by design, and so would events not yet published; MongoDB keeps both"
)
AT_LEAST_ONCE = "at least once: the receiver answered after notify gave up; dedupe by webhook-id"


async def _outage(
    pipe: Pipeline,
    case: str,
    start: Callable[[], Awaitable[object]],
    end: Callable[[], Awaitable[object]],
    *,
    note: str = "",
    count: int = 30,
) -> CaseResult:
    """Stream a third, ``start()`` the fault, stream a third, ``end()`` it, probe, stream."""
    pipe.sent = []
    third = count // 3
    await pipe.stream(third)
    await start()
    await pipe.stream(third)
    await end()
    ended = time.monotonic()
    recover = await pipe.probe(ended)
    await pipe.stream(count - 2 * third)
    await pipe.settle()
    return pipe.result(case, recover, note)


async def webhook_and_poison_cases(broker_url: str, log_dir: Path) -> list[CaseResult]:
    """Poison messages; a receiver that fails, hangs, then answers 410 (last: it disables)."""
    results = []
    async with pipeline(broker_url, log_dir / "webhooks") as pipe:
        results.append(await _poison(pipe, broker_url))
        receiver = pipe.receiver

        async def fail() -> None:
            receiver.default = Reply(500)

        async def hang() -> None:
            receiver.default = Reply(204, delay=4.0)

        async def heal() -> None:
            receiver.default = Reply(204)

        results.append(await _outage(pipe, "receiver answers 500 for a while", fail, heal))
        results.append(
            await _outage(
                pipe, "receiver hangs past notify's 2 s timeout", hang, heal, note=AT_LEAST_ONCE
            )
        )
        results.append(await _gone(pipe))
    return results


async def _poison(pipe: Pipeline, broker_url: str) -> CaseResult:
    """Valid events interleaved with poison; every valid one must arrive, each poison be DLQ'd."""
    pipe.sent = []
    poisons = [
        b"{not json",
        json.dumps({"specversion": "1.0", "type": "agency.registered"}).encode(),
        json.dumps(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "type": "agency.registered",
                "source": "/mpp/agency",
                "subject": "x",
                "time": "2024-01-01T00:00:00Z",
                "data": {"agency_id": 42},
            }
        ).encode(),
    ]
    # other runs' tests may have left dead letters there: count only this case's
    dead_before = await _depth(broker_url, SUBSCRIPTIONS_DLQ)
    for body in poisons:
        await publish_raw(body, "agency.registered", url=broker_url)
        await pipe.stream(3)
    last_poison = time.monotonic()
    recover = await pipe.probe(last_poison)
    await pipe.settle()
    dead = await _depth(broker_url, SUBSCRIPTIONS_DLQ) - max(dead_before, 0)
    return pipe.result(
        "poison messages (3) among valid events",
        recover,
        f"{dead} poison message(s) in {SUBSCRIPTIONS_DLQ}",
    )


async def _gone(pipe: Pipeline) -> CaseResult:
    pipe.sent = []
    await pipe.stream(5)
    pipe.receiver.default = Reply(410)
    await pipe.stream(5)
    await pipe.settle(timeout=10)
    return pipe.result(
        "receiver answers 410 Gone",
        None,
        "by contract: 410 disables the subscription; later events are not delivered",
    )


async def service_cases(broker_url: str, log_dir: Path) -> list[CaseResult]:
    """agency SIGTERMed mid-flight and restarted; agency SIGKILLed and restarted."""
    results = []
    async with pipeline(broker_url, log_dir / "services") as pipe:
        results.append(await _restart(pipe, "agency SIGTERMed mid-flight, restarted", kill=False))
        results.append(await _restart(pipe, "agency SIGKILLed mid-stream, restarted", kill=True))
    return results


async def _restart(pipe: Pipeline, case: str, *, kill: bool) -> CaseResult:
    pipe.sent = []
    writing = asyncio.create_task(pipe.stream(60, every=0.01))
    await asyncio.sleep(1.0)
    note = ""
    if kill:
        pipe.agency.kill()
    else:
        code = await pipe.agency.terminate()
        graceful = '"service.stopped"' in pipe.agency.log_tail(20000)
        note = "stopped gracefully; " if graceful else f"no graceful stop (exit code {code}); "
    await writing
    restarted = time.monotonic()
    pipe.agency.start()
    await pipe.agency.wait_ready()
    recover = await pipe.probe(restarted, whole=not kill)
    await pipe.settle(timeout=30)
    result = pipe.result(case, recover)
    gone = await pipe.forgotten()
    result.note = note + IN_PROCESS_STORE.format(gone=gone, sent=result.sent)
    return result


async def broker_cut_case(broker_url: str, log_dir: Path) -> list[CaseResult]:
    proxy = TcpProxy(broker_url)
    await proxy.start()
    try:
        async with pipeline(proxy.url, log_dir / "cut") as pipe:
            return [
                await _outage(
                    pipe, "broker connection cut (TCP proxy) mid-stream", proxy.cut, proxy.restore
                )
            ]
    finally:
        await proxy.cut()


async def own_broker_cases(log_dir: Path) -> list[CaseResult]:
    """A RabbitMQ node of our own, stopped gracefully, then killed, mid-stream."""
    with RabbitCluster.started(size=1) as cluster:
        node = cluster.nodes[0]
        async with pipeline(node.url, log_dir / "own-broker") as pipe:
            stopped = await _outage(
                pipe,
                "broker stopped (rabbitmqctl stop_app, start_app) mid-stream",
                lambda: asyncio.to_thread(node.stop_app),
                lambda: asyncio.to_thread(node.start_app),
            )
            killed = await _outage(
                pipe,
                "broker killed (SIGKILL) mid-stream",
                lambda: asyncio.to_thread(node.kill),
                lambda: _restart_node(node),
            )
    return [stopped, killed]


async def _restart_node(node: RabbitNode) -> None:
    node.start()
    await asyncio.to_thread(node.wait_started)


async def _depth(url: str, queue: str) -> int:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0
