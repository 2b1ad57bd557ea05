"""A real HTTP receiver of webhooks for tests: verifies every delivery, records it, answers
as programmed, and can go down and come back on the same port.

    async with WebhookReceiver() as receiver:
        ...create a subscription for receiver.url, then receiver.trust(secret)
        receiver.reply_with(500, 503)            # the next two deliveries fail
        [hook] = await receiver.wait_for(lambda h: h.accepted)
        assert hook.verified and hook.event["type"] == "mou.signed"

Verification uses the ``standardwebhooks`` package's own verifier, not notify's code.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import h11
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notify.settings import NotifySettings
from tests.support.eventually import Arrivals, Recording
from tests.support.ports import Listener
from tests.support.servers import service_settings

TEST_SECRET_KEYS = "fYdSxQ0rIE6PgYxHTVsG7c3lGd9lf0QeMZ9mYk8Mhy4="
"""A fixed Fernet key, so a restarted service still reads the secrets it stored."""
LOOPBACK_ALLOWED = "127.0.0.0/8"
"""The test receivers listen on 127.0.0.1, which the egress policy refuses by default."""


def notify_settings(**overrides: Any) -> NotifySettings:
    """Test settings for the notify service (``service_settings`` plus notify's own).

    Webhooks may reach loopback here (``webhook_allowed_networks=""`` restores the default).
    """
    values: dict[str, Any] = {
        **service_settings().model_dump(),
        "webhook_allowed_networks": LOOPBACK_ALLOWED,
        "mpp_secret_keys": TEST_SECRET_KEYS,
        "webhook_timeout_seconds": 5.0,
        "notify_gauges_seconds": 0.5,
        "subscription_refresh_seconds": 2.0,
    }
    values.update(overrides)
    return NotifySettings(**values)


@dataclass(frozen=True)
class Reply:
    """How the receiver answers one delivery."""

    status: int = 204
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class ReceivedWebhook:
    """One delivery as it arrived, and what the receiver made of it."""

    headers: dict[str, str]
    body: bytes
    verified: bool
    verification_error: str | None
    answered: int
    received_at: float

    @property
    def accepted(self) -> bool:
        """Verified and answered 2xx: what a real subscriber would have processed."""
        return self.verified and 200 <= self.answered < 300

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def signatures(self) -> list[str]:
        return self.headers.get("webhook-signature", "").split()

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    @property
    def type(self) -> str:
        return str(self.event.get("type"))

    def verifies_with(self, secret: str) -> bool:
        return _verify(secret, self.body, self.headers) is None


def _verify(secret: str, body: bytes, headers: dict[str, str]) -> str | None:
    """None if the standardwebhooks verifier accepts the delivery, else why not."""
    try:
        Webhook(secret).verify(body, headers)
    except (WebhookVerificationError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    return None


class WebhookReceiver(Listener, Recording[ReceivedWebhook]):
    """An HTTP/1.1 server on 127.0.0.1 that takes webhooks at ``url``.

    Args:
        secrets: the signing secrets to trust (more with ``trust``).
        default: the answer when no programmed reply is queued.
    """

    def __init__(self, secrets: Iterable[str] = (), default: Reply = Reply()) -> None:
        super().__init__()
        self._secrets = list(secrets)
        self.default = default
        """The answer when no programmed reply applies (tests may change it)."""
        self._replies: list[tuple[Callable[[dict[str, Any]], bool], Reply]] = []
        self._arrivals: Arrivals[ReceivedWebhook] = Arrivals()
        self.path = "/hooks/mpp"
        self.answering = 0
        """Deliveries taken but not recorded yet: they wait out a ``Reply.delay``."""
        self.received = self._arrivals.items

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def trust(self, secret: str) -> None:
        """Also accept deliveries signed with ``secret``."""
        self._secrets.append(secret)

    def distrust_all(self) -> None:
        self._secrets.clear()

    def reply_with(
        self, *replies: Reply | int, to: Callable[[dict[str, Any]], bool] | None = None
    ) -> None:
        """Answer the next deliveries so, in order (an int is a bare status).

        Args:
            to: only deliveries whose event (the parsed CloudEvent) matches take these
                replies; others get the next unconditional reply or the default.
        """
        match = to or (lambda _: True)
        self._replies.extend((match, Reply(r) if isinstance(r, int) else r) for r in replies)

    async def __aenter__(self) -> WebhookReceiver:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def accepted(self) -> list[ReceivedWebhook]:
        return [r for r in self.received if r.accepted]

    # --- HTTP -------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        body = bytearray()
        try:
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Request):
                    request, body = event, bytearray()
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage) and request is not None:
                    reply = await self._answer(request, bytes(body))
                    # UTF-8, so a test can send what a misbehaving receiver would (``²``).
                    headers = [(k.encode(), v.encode()) for k, v in reply.headers.items()]
                    payload = reply.body.encode()
                    headers.append((b"content-length", str(len(payload)).encode()))
                    writer.write(
                        connection.send(h11.Response(status_code=reply.status, headers=headers))
                        or b""
                    )
                    writer.write(connection.send(h11.Data(data=payload)) or b"")
                    writer.write(connection.send(h11.EndOfMessage()) or b"")
                    await writer.drain()
                    if connection.our_state is h11.MUST_CLOSE:
                        break
                    connection.start_next_cycle()
                else:
                    break
        except (h11.ProtocolError, ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def _next_reply(self, body: bytes) -> Reply:
        try:
            event = json.loads(body)
        except ValueError:
            event = {}
        for i, (match, reply) in enumerate(self._replies):
            if match(event):
                del self._replies[i]
                return reply
        return self.default

    async def _answer(self, request: h11.Request, body: bytes) -> Reply:
        headers = {k.decode().lower(): v.decode() for k, v in request.headers}
        errors = [_verify(secret, body, headers) for secret in self._secrets] or ["no secret"]
        verified = any(error is None for error in errors)
        reply = self._next_reply(body)
        if not verified:
            reply = Reply(401, "signature not verified")
        if reply.delay:
            self.answering += 1
            try:
                await asyncio.sleep(reply.delay)
            finally:
                self.answering -= 1
        await self._arrivals.add(
            ReceivedWebhook(
                headers=headers,
                body=body,
                verified=verified,
                verification_error=None if verified else "; ".join(e or "" for e in errors),
                answered=reply.status,
                received_at=time.monotonic(),
            )
        )
        return reply
