"""Webhook receivers in a process of their own, reporting what they accepted to the benchmark.

The burst and steady benchmarks used to run their receivers in the benchmark's own event
loop, beside the publisher and the tallies: a delivery's answer then waited for whatever that
loop was doing, and every delivery's round trip (one at a time per subscription) grew by it.
Receivers are separate services in production; here they are one process (``spawn``) on
uvloop running ``LeanReceiver``s (each delivery verified with ``standardwebhooks``), which
sends each arrival's id, verdict and ``time.monotonic()`` (one clock for all processes on
Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import uvloop

from benchmarks._lean_receiver import LeanReceiver

REPORT_SECONDS = 0.02


@dataclass(frozen=True)
class Arrival:
    """One delivery as a receiver judged it."""

    webhook_id: str
    accepted: bool
    verified: bool
    received_at: float


class RemoteReceiver:
    """One receiver of the process, as the benchmark sees it (what ``Tally`` reads)."""

    def __init__(self, group: ReceiverProcess, index: int, url: str) -> None:
        self._group = group
        self.index = index
        self.url = url
        self.arrivals: list[Arrival] = []

    def trust(self, secret: str) -> None:
        self._group.send("trust", self.index, secret)

    @property
    def received(self) -> list[Arrival]:
        self._group.drain()
        return self.arrivals


class ReceiverProcess:
    """``count`` receivers on 127.0.0.1 in one child process."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._commands, child = context.Pipe()
        self._reports: multiprocessing.Queue[list[tuple[int, tuple[Any, ...]]]] = context.Queue()
        self._process = context.Process(
            target=_run, args=(count, child, self._reports), name="bench-receivers", daemon=True
        )
        self.receivers: list[RemoteReceiver] = []

    @property
    def pid(self) -> int:
        return self._process.pid or 0

    async def start(self) -> list[RemoteReceiver]:
        self._process.start()
        urls: list[str] = await asyncio.to_thread(self._commands.recv)
        self.receivers = [RemoteReceiver(self, i, url) for i, url in enumerate(urls)]
        return self.receivers

    def send(self, *command: Any) -> None:
        self._commands.send(command)

    def drain(self) -> None:
        while True:
            try:
                batch = self._reports.get_nowait()
            except queue.Empty:
                return
            for index, arrival in batch:
                self.receivers[index].arrivals.append(Arrival(*arrival))

    async def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.send("stop")
        await asyncio.to_thread(self._process.join, 10)
        if self._process.is_alive():
            self._process.terminate()


def _run(count: int, commands: Connection, reports: multiprocessing.Queue[Any]) -> None:
    uvloop.run(_serve(count, commands, reports))


async def _serve(count: int, commands: Connection, reports: multiprocessing.Queue[Any]) -> None:
    receivers = [LeanReceiver() for _ in range(count)]
    for receiver in receivers:
        await receiver.start()
    commands.send([receiver.url for receiver in receivers])
    stop = asyncio.Event()

    def on_command() -> None:
        while commands.poll():
            command = commands.recv()
            if command[0] == "trust":
                receivers[command[1]].trust(command[2])
            else:
                stop.set()

    asyncio.get_running_loop().add_reader(commands.fileno(), on_command)
    reported = [0] * count
    while True:
        batch: list[tuple[int, tuple[Any, ...]]] = []
        for index, receiver in enumerate(receivers):
            fresh = receiver.received[reported[index] :]
            reported[index] += len(fresh)
            batch.extend((index, arrival) for arrival in fresh)
        if batch:
            reports.put(batch)
        if stop.is_set():
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), REPORT_SECONDS)
    for receiver in receivers:
        await receiver.stop()
