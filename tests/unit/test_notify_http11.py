"""The webhook transport's HTTP/1.1 framing: what it writes, and how it reads answers."""

from __future__ import annotations

import asyncio

import pytest

from services.notify.http11 import BadAnswer, read_body, read_head, request_bytes


def _reader(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=65536)
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


async def _answer(
    data: bytes, keep: int = 4096, method: bytes = b"POST"
) -> tuple[int, bytes, bool, bool]:
    reader = _reader(data)
    head = await read_head(reader)
    body, ended = await read_body(reader, head, method, keep)
    return head.status, body, ended, head.keep_alive


def test_a_request_is_one_piece_with_its_headers_and_body() -> None:
    sent = request_bytes(b"POST", b"/hooks?x=1", [(b"host", b"a.test"), (b"x-a", b"1")], b"{}")
    assert sent == b"POST /hooks?x=1 HTTP/1.1\r\nhost: a.test\r\nx-a: 1\r\n\r\n{}"


@pytest.mark.parametrize(
    "header",
    [(b"x-a", b"1\r\nx-b: 2"), (b"x-a", b"1\n"), (b"x-a", b"\0"), (b"x a", b"1"), (b"", b"1")],
)
def test_a_header_that_could_split_the_request_is_refused(header: tuple[bytes, bytes]) -> None:
    with pytest.raises(ValueError, match="cannot be sent"):
        request_bytes(b"POST", b"/", [header], b"")


async def test_content_length_framing_keeps_the_connection() -> None:
    data = b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 4\r\n\r\nbusyNEXT"
    assert await _answer(data) == (503, b"busy", True, True)


async def test_chunked_framing_with_trailers() -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nx-trailer: 1\r\n\r\n"
    )
    assert await _answer(data) == (200, b"abcde", True, True)


async def test_no_length_reads_to_the_end_and_spends_the_connection() -> None:
    data = b"HTTP/1.0 200 OK\r\n\r\nall of it"
    assert await _answer(data) == (200, b"all of it", False, False)


async def test_informational_answers_are_skipped_and_204_has_no_body() -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"
    assert await _answer(data) == (204, b"", True, False)


async def test_a_long_answer_is_cut_at_what_is_kept_and_spends_the_connection() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000
    status, body, ended, _ = await _answer(data, keep=10)
    assert (status, ended) == (200, False)
    assert 10 <= len(body) <= 10 + 65536


@pytest.mark.parametrize(
    "data",
    [
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
async def test_what_is_not_an_http_answer_is_refused(data: bytes) -> None:
    with pytest.raises(BadAnswer):
        await _answer(data)


async def test_an_answer_cut_short_is_an_incomplete_read() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        await _answer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
