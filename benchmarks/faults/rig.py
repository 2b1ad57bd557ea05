"""The system under fault: agency and notify as ``python -m`` processes, a webhook subscriber.

A stream is a series of agency registrations over HTTP; each is one ``agency.registered``
event that travels agency -> outbox -> RabbitMQ -> notify -> a signed webhook. What the
subscriber accepts is what counts, so every fault is measured end to end, through public
contracts only (HTTP, the broker, webhooks).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.faults.report import CaseResult
from services.notify.topology import subscription_queue_name
from tests.support.eventually import eventually
from tests.support.processes import ROOT, free_port
from tests.support.servers import API_KEY
from tests.support.webhooks import WebhookReceiver

AUTH = {"Authorization": f"Bearer {API_KEY}"}
NOTIFY_ENV = {
    "WEBHOOK_RETRY_SCHEDULE": "0,0.5,1,2,2,2,2,2",
    "WEBHOOK_JITTER_RATIO": "0",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",  # the receivers are on loopback (egress policy)
}


@dataclass
class ServiceProcess:
    """One service as its own process, restartable on the same port."""

    name: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.name}"],
                cwd=ROOT,
                env={**self.env, "PORT": str(self.port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until ``/readyz`` answers 200."""
        started = time.monotonic()

        async def ready(client: httpx.AsyncClient) -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                return (await client.get(f"{self.url}/readyz")).status_code == 200
            return False

        async with httpx.AsyncClient(timeout=2) as client:
            try:
                await eventually(lambda: ready(client), timeout=timeout, every=0.2)
            except AssertionError:
                message = f"{self.name} not ready in {timeout} s:\n{self.log_tail()}"
                raise TimeoutError(message) from None
        return time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    async def terminate(self, timeout: float = 30) -> int | None:
        """SIGTERM and wait for the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        process = self.process
        with contextlib.suppress(AssertionError):
            await eventually(lambda: process.poll() is not None, timeout=timeout, every=0.1)
        if process.poll() is None:
            self.kill()
        return process.returncode

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


@dataclass
class Pipeline:
    """agency and notify running, a receiver subscribed to every ``agency.*`` event."""

    agency: ServiceProcess
    notify: ServiceProcess
    receiver: WebhookReceiver
    client: httpx.AsyncClient
    subscription_id: str
    others: list[ServiceProcess] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    @property
    def subscription_queue(self) -> str:
        """The receiver's queue in notify (a quorum queue, one per subscription)."""
        return subscription_queue_name(self.subscription_id)

    @property
    def services(self) -> list[ServiceProcess]:
        return [self.agency, self.notify, *self.others]

    async def register(self) -> str | None:
        """Register one agency; its id when the service acknowledged it (HTTP 201)."""
        agency_id = await self._register_one()
        if agency_id is not None:
            self.sent.append(agency_id)
        return agency_id

    async def _register_one(self) -> str | None:
        code = "F" + uuid.uuid4().hex[:12].upper()
        body = {"code": code, "name": f"Fault {code}", "kind": "agency"}
        try:
            answer = await self.client.post(f"{self.agency.url}/agencies", json=body, headers=AUTH)
        except httpx.HTTPError:
            return None
        return str(answer.json()["id"]) if answer.status_code == 201 else None

    async def stream(
        self,
        count: int,
        every: float = 0.05,
        at: dict[int, Callable[[], Awaitable[object]]] | None = None,
    ) -> None:
        """Write ``count`` events, ``every`` seconds apart; run ``at[i]`` before the i-th."""
        for i in range(count):
            if at and i in at:
                await at[i]()
            await self.register()
            await asyncio.sleep(every)

    async def forgotten(self) -> int:
        """How many acknowledged agencies the agency service no longer knows (HTTP 404)."""
        gone = 0
        for agency_id in self.sent:
            answer = await self.client.get(f"{self.agency.url}/agencies/{agency_id}")
            gone += answer.status_code == 404
        return gone

    def delivered(self, agency_id: str) -> bool:
        return any(h.event.get("subject") == agency_id for h in self.receiver.accepted)

    async def probe(self, since: float, timeout: float = 60, whole: bool = True) -> float | None:
        """Seconds from ``since`` until a new event and every one before it has arrived.

        Writes one event (retrying while the service refuses), then waits for the whole
        backlog: a fault's cost is when the subscriber is whole again, not the first arrival.
        ``whole=False`` waits for the new event only (where earlier ones may be lost by design).
        """
        deadline = time.monotonic() + timeout
        try:
            await eventually(self.register, timeout=timeout, every=0.2)
            waited_for = self.sent if whole else self.sent[-1:]
            await self._all_delivered(waited_for, deadline - time.monotonic(), every=0.1)
        except AssertionError:
            return None
        return time.monotonic() - since

    async def settle(self, timeout: float = 60) -> None:
        """Wait until every sent event arrived (or ``timeout``), then for any duplicate.

        A marker event written after them comes last: the subscription's deliveries go in
        order, so a duplicate still queued arrives before the marker does.
        """
        with contextlib.suppress(AssertionError):
            await self._all_delivered(self.sent, timeout)
            marker = await eventually(self._register_one, timeout=timeout, every=0.2)
            assert marker is not None
            await self._all_delivered([marker], timeout)

    async def _all_delivered(self, ids: list[str], timeout: float, every: float = 0.2) -> None:
        await eventually(
            lambda: all(self.delivered(s) for s in ids), timeout=max(timeout, 0), every=every
        )

    def result(self, case: str, recover: float | None, note: str = "") -> CaseResult:
        sent = set(self.sent)
        hooks = [h for h in self.receiver.accepted if h.event.get("subject") in sent]
        received = {h.event["id"] for h in hooks}
        return CaseResult(
            case=case,
            sent=len(sent),
            received=len({h.event["subject"] for h in hooks}),
            duplicated=len(hooks) - len(received),
            recover_seconds=recover,
            note=note,
        )


def service_env(broker_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "RABBITMQ_URL": broker_url,
        "MPP_API_KEY": API_KEY,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "OUTBOX_POLL_SECONDS": "0.2",
        "BROKER_RECONNECT_SECONDS": "0.5",
        "BROKER_CONNECT_TIMEOUT_SECONDS": "60",
        "SHUTDOWN_GRACE_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@asynccontextmanager
async def pipeline(
    broker_url: str,
    log_dir: Path,
    notify_env: dict[str, str] | None = None,
    others: tuple[str, ...] = (),
) -> AsyncIterator[Pipeline]:
    """Start agency and notify on ``broker_url``; subscribe a receiver; stop all at the end.

    Args:
        others: more services to run beside them (``mou``, ``mall``: consumers of agency events).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    env = service_env(broker_url)
    agency = ServiceProcess("agency", env, log_dir / "agency.log")
    notify = ServiceProcess(
        "notify", {**env, **NOTIFY_ENV, **(notify_env or {})}, log_dir / "notify.log"
    )
    extra = [ServiceProcess(name, env, log_dir / f"{name}.log") for name in others]
    everyone = [agency, notify, *extra]
    async with WebhookReceiver() as receiver, httpx.AsyncClient(timeout=10) as client:
        try:
            for service in everyone:
                service.start()
            await asyncio.gather(*(s.wait_ready() for s in everyone))
            answer = await client.post(
                f"{notify.url}/subscriptions",
                json={"url": receiver.url, "event_types": ["agency.*"]},
                headers=AUTH,
            )
            answer.raise_for_status()
            receiver.trust(answer.json()["secret"])
            yield Pipeline(agency, notify, receiver, client, answer.json()["id"], extra)
        finally:
            await asyncio.gather(*(s.terminate() for s in everyone))
