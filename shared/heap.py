"""Memory a burst of connections leaves behind, given back once they are gone.

After 200 live-feed clients left, notify's RSS stayed about 10 MiB above its baseline, and
stayed there. Two things held it (measured):

- Cyclic garbage: each closed SSE stream leaves ~160 objects (its task group's tasks, the
  connection, the response) in reference cycles through the ``CancelledError`` tracebacks
  anyio's task group keeps while it cancels its tasks. Only the collector's full pass frees
  them, and an idle process rarely runs one.
- Free pages the allocator keeps: pymalloc holds 1 MiB arenas while any object in them
  lives, so even after a full pass most of it stays. Under ``PYTHONMALLOC=malloc`` (the
  image's setting) the pages are glibc's, and ``malloc_trim(0)`` returns them.

So after a burst of closes: the interpreter's type cache emptied, one full pass, then a
trim. The full pass is cheap because the objects built at start-up (modules, schemas, the
app) are frozen out of it first. The event loop's free lists are filled at start-up too, so
that what they keep is not spread over a burst's pages.
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import gc
import sys
import time
from collections.abc import Callable

from shared.logging import get_logger

log = get_logger(__name__)

Trim = Callable[[int], int]


def _libc_malloc_trim() -> Trim | None:
    """glibc's ``malloc_trim``, looked up in the running process; None elsewhere."""
    try:
        process = ctypes.CDLL(None)
    except OSError:
        return None
    trim = getattr(process, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


MALLOC_TRIM = _libc_malloc_trim()


LOOP_FREE_LIST_DEPTH = 256
"""At least the longest of the event loop's free lists: CPython's ``_asyncio`` keeps up to 255
future iterators, uvloop up to 250 callback handles and 250 timer handles."""


def fill_loop_free_lists(
    loop: asyncio.AbstractEventLoop, depth: int = LOOP_FREE_LIST_DEPTH
) -> None:
    """Fill the event loop's free lists now, among the objects made at start-up.

    Those lists keep what they cache for the life of the process. Filled at the peak of a
    burst of connections (200 live-feed clients, each awaiting a future, with a ping timer
    and a wake-up callback), they held ~650 objects, nearly each on a page of its own among
    the burst's freed memory, and kept those pages resident (measured: 200 clients left
    notify 2.9 MiB above its baseline, 1.9 with the lists filled here). Filled at start-up, a
    burst takes its objects from them and gives them back.

    Args:
        loop: the running loop; uvloop's handles are its own types.
        depth: objects of each kind made and let go at once.
    """
    futures = [loop.create_future() for _ in range(depth)]
    iterators = [future.__await__() for future in futures]
    timers = [loop.call_later(3600, _nothing) for _ in range(depth)]
    for timer in timers:
        timer.cancel()
    callbacks = [loop.call_soon(_nothing) for _ in range(depth)]
    # Each goes to its free list as its last reference goes; the callbacks once they have run.
    del iterators, futures, timers, callbacks


def _nothing() -> None:
    """The callback of the handles that only fill a free list."""


def freeze_startup_objects() -> None:
    """Move what exists now (after imports and building the app) out of the collector's way.

    It lives as long as the process anyway; the collector's full passes, and so their
    pauses, then cover only what was made since.
    """
    gc.collect()
    gc.freeze()


def clear_type_cache() -> None:
    """Empty the interpreter's attribute-lookup cache (it refills on the next lookups).

    Each of its 4,096 entries keeps the name string of the last lookup it served. Names made
    at run time are a new string each time (pamqp's message properties, ``utcoffset`` called
    from C), so after a burst the cache held ~1,000 such strings, scattered over the
    burst's pages: half of what 200 live-feed clients still left resident (measured).
    """
    clear: Callable[[], None] = getattr(sys, "_clear_internal_caches", sys._clear_type_cache)
    clear()


class HeapTrimmer:
    """One full collection and trim ``delay`` seconds after the first of a run of asks.

    Callers ask whenever something that held memory went away (a stream closed); the asks
    of a burst are coalesced into one pass, once its objects are unreachable too.

    Args:
        delay: seconds from the first ask to the pass: at most one pass per ``delay``.
        trim: gives free heap pages back (``malloc_trim``); None where there is none.
    """

    def __init__(self, delay: float = 1.0, trim: Trim | None = MALLOC_TRIM) -> None:
        self._delay = delay
        self._trim = trim
        self._pending: asyncio.TimerHandle | None = None
        self.passes = 0

    def soon(self) -> None:
        """Collect and trim in ``delay`` seconds, unless that is already due."""
        if self._pending is not None:
            return
        loop = asyncio.get_running_loop()
        # A context of its own: not the correlation id of the request that happened to ask.
        self._pending = loop.call_later(self._delay, self._run, context=contextvars.Context())

    def _run(self) -> None:
        self._pending = None
        started = time.perf_counter()
        clear_type_cache()
        collected = gc.collect()
        released = bool(self._trim(0)) if self._trim is not None else False
        self.passes += 1
        log.debug(
            "heap.trimmed",
            collected=collected,
            released=released,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )
