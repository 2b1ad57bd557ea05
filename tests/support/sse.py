"""A small Server-Sent Events client over an httpx stream, parsed as browsers do (WHATWG).

    async with SseReader(client, "/events/stream", last_event_id="41") as feed:
        [first] = await feed.wait_for(count=1)
        print(first.id, first.event, first.json())

``last_event_id`` follows the spec: any ``id:`` line sets it, also in a frame without data,
so reconnecting with it resumes exactly where the stream was read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.eventually import Arrivals, Recording


@dataclass(frozen=True)
class SseMessage:
    """One dispatched event: ``id`` is the last event id at its dispatch."""

    id: str | None
    event: str
    data: str

    def json(self) -> Any:
        return json.loads(self.data)


class SseParser:
    """Turns lines into messages; comments and the last event id are kept."""

    def __init__(self) -> None:
        self.last_event_id: str | None = None
        self.comments: list[str] = []
        self.retry_ms: int | None = None
        self._data: list[str] = []
        self._event = ""

    def feed(self, line: str) -> SseMessage | None:
        """One line (without its end); returns a message when a blank line dispatches one."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            self.comments.append(line[1:].strip())
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseMessage | None:
        data, event = self._data, self._event
        self._data, self._event = [], ""
        if not data:
            return None
        return SseMessage(id=self.last_event_id, event=event or "message", data="\n".join(data))


class SseReader(Recording[SseMessage]):
    """Reads an SSE response in the background until closed.

    Args:
        client: an httpx client (its base URL and timeouts apply).
        url: the stream's URL.
        last_event_id: sent as ``Last-Event-ID`` to resume.
        params: query parameters (``types``, ``after``).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        last_event_id: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        self._client = client
        self._url = url
        self._params = params
        self._headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            self._headers["Last-Event-ID"] = last_event_id
        self._parser = SseParser()
        self._arrivals: Arrivals[SseMessage] = Arrivals()
        self._response: httpx.Response | None = None
        self._stream: contextlib.AbstractAsyncContextManager[httpx.Response] | None = None
        self._task: asyncio.Task[None] | None = None
        self.messages = self._arrivals.items
        self.arrivals: list[float] = []
        """When each message arrived (monotonic), for latency figures."""
        self.status_code: int | None = None
        self.content_type: str | None = None

    @property
    def last_event_id(self) -> str | None:
        return self._parser.last_event_id

    @property
    def comments(self) -> list[str]:
        return self._parser.comments

    async def __aenter__(self) -> SseReader:
        self._stream = self._client.stream(
            "GET",
            self._url,
            params=self._params,
            headers=self._headers,
            timeout=httpx.Timeout(10.0, read=None),
        )
        self._response = await self._stream.__aenter__()
        self.status_code = self._response.status_code
        self.content_type = self._response.headers.get("content-type")
        if self.status_code == 200:
            self._task = asyncio.create_task(self._read(self._response))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Disconnect (as a client that goes away would)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await self._task
            self._task = None
        if self._stream is not None:
            with contextlib.suppress(Exception):
                await self._stream.__aexit__(None, None, None)
            self._stream = None

    async def body(self) -> bytes:
        """The body of a response that is not a stream (an error)."""
        assert self._response is not None
        return await self._response.aread()

    async def _read(self, response: httpx.Response) -> None:
        async for line in response.aiter_lines():
            message = self._parser.feed(line)
            if message is not None:
                self.arrivals.append(time.monotonic())
            await self._arrivals.add(message)

    async def wait_for_comment(self, timeout: float = 10.0) -> str:
        """Wait for a comment line (a keep-alive) and return it."""
        seen = len(self.comments)
        await self._arrivals.wait_until(lambda: len(self.comments) > seen, timeout)
        return self.comments[-1]

    async def wait_for_id(self, last_event_id: str, timeout: float = 10.0) -> None:
        """Wait until the stream's last event id is ``last_event_id``."""
        await self._arrivals.wait_until(lambda: self.last_event_id == last_event_id, timeout)
