"""HTTP/1.1 on the wire for webhooks: a request written in one piece, an answer read with limits.

The webhook transport (``services.notify.webhook_client``) sends only what notify builds, so
writing is a join of validated lines; reading follows RFC 9112's message framing (no body for
1xx, 204, 304 and HEAD; chunked; Content-Length; else until the connection closes). h11 did
the same in about 10 % of notify's CPU per delivery, most of it state-machine bookkeeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

Header = tuple[bytes, bytes]
READ_CHUNK = 65536
"""Also the most a response head may hold (the reader's limit)."""
_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def header_value(headers: Sequence[Header], name: bytes) -> bytes | None:
    """The first value of header ``name`` (given in lower case, as heads store names)."""
    for key, value in headers:
        if key == name:
            return value
    return None


class BadAnswer(Exception):
    """The receiver's bytes are not an HTTP/1.1 answer."""


@dataclass
class Head:
    """Status line and headers of an answer (names in lower case)."""

    status: int
    reason: bytes
    headers: list[Header]
    keep_alive: bool

    def get(self, name: bytes) -> bytes | None:
        return header_value(self.headers, name)


def request_bytes(method: bytes, target: bytes, headers: Sequence[Header], body: bytes) -> bytes:
    """The whole request; ValueError for a header that could split it (CR, LF, NUL)."""
    lines = [b"%s %s HTTP/1.1" % (method, target)]
    for name, value in headers:
        if not name or not _TOKEN.issuperset(name) or b"\r" in value or b"\n" in value:
            raise ValueError(f"header {name!r} cannot be sent")
        if b"\0" in value:
            raise ValueError(f"header {name!r} cannot be sent")
        lines.append(b"%s: %s" % (name, value))
    if b" " in target or b"\r" in target or b"\n" in target:
        raise ValueError("the request target cannot be sent")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def read_head(reader: asyncio.StreamReader) -> Head:
    """The final answer's head (informational 1xx answers are skipped)."""
    while True:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except asyncio.LimitOverrunError as error:
            raise BadAnswer("the answer's head is too large") from error
        head = _parse_head(raw)
        if not 100 <= head.status < 200 or head.status == 101:
            return head


def _parse_head(raw: bytes) -> Head:
    status_line, *lines = raw[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise BadAnswer(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
    headers: list[Header] = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise BadAnswer(f"not a header line: {line[:80]!r}")
        headers.append((name.lower(), value.strip(b" \t")))
    head = Head(int(code), reason, headers, keep_alive=version == b"HTTP/1.1")
    if b"close" in (head.get(b"connection") or b"").lower():
        head.keep_alive = False
    return head


async def read_body(
    reader: asyncio.StreamReader, head: Head, method: bytes, keep: int
) -> tuple[bytes, bool]:
    """Up to ``keep`` bytes of the body, and whether the answer was read to its end (only
    then may the connection carry another request)."""
    if method == b"HEAD" or head.status in (204, 304) or head.status < 200:
        return b"", True
    kept = bytearray()
    coding = head.get(b"transfer-encoding")
    if coding is not None:
        if not coding.lower().rstrip().endswith(b"chunked"):
            await _take(reader, None, kept, keep)
            return bytes(kept), False  # delimited by the connection's end
        ended = await _chunks(reader, kept, keep)
        return bytes(kept), ended
    length = head.get(b"content-length")
    if length is None:
        await _take(reader, None, kept, keep)
        return bytes(kept), False
    if not length.isdigit() or len(length) > 18:
        raise BadAnswer(f"Content-Length {length[:20]!r} is not a length")
    ended = await _take(reader, int(length), kept, keep)
    return bytes(kept), ended


async def _chunks(reader: asyncio.StreamReader, kept: bytearray, keep: int) -> bool:
    while True:
        line = await reader.readuntil(b"\r\n")
        size_text = line.split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadAnswer(f"not a chunk size: {size_text[:20]!r}") from None
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailer fields, ignored
            return True
        if not await _take(reader, size, kept, keep):
            return False
        if await reader.readexactly(2) != b"\r\n":
            raise BadAnswer("a chunk does not end with CRLF")


async def _take(reader: asyncio.StreamReader, size: int | None, kept: bytearray, keep: int) -> bool:
    """Read ``size`` bytes (None: to the end) into ``kept``; False when it stopped at ``keep``
    first (the rest stays unread and the connection is spent)."""
    left = size
    while left is None or left > 0:
        if len(kept) >= keep:
            return False
        piece = await reader.read(READ_CHUNK if left is None else min(left, READ_CHUNK))
        if not piece:
            if left is None:
                return True
            raise asyncio.IncompleteReadError(bytes(kept), left)
        kept += piece
        if left is not None:
            left -= len(piece)
    return True
