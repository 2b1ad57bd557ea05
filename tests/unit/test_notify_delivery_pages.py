"""The deliveries view pages in the store: by first attempt, each delivery once, reading only
what a page shows (services/notify/delivery_pages.py), on the in-process store."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pytest

from services.notify import delivery_pages
from services.notify.deliveries import (
    Attempt,
    AttemptLog,
    AttemptOutcome,
    AttemptRecord,
    Delivery,
    DeliveryStatus,
    Origin,
    delivery_id,
)
from shared.clock import utcnow
from shared.errors import RuleViolated
from shared.pagination import PageRequest, encode_cursor
from shared.storage import Collection, connect

SUB = "sub_pages"


def _attempt(
    event_id: str,
    number: int = 1,
    outcome: AttemptOutcome = "succeeded",
    *,
    origin: Origin = "live",
    replay_id: str | None = None,
    subscription_id: str = SUB,
) -> AttemptRecord:
    return AttemptRecord(
        delivery_id=delivery_id(subscription_id, event_id, replay_id),
        subscription_id=subscription_id,
        event_id=event_id,
        event_type="agency.registered",
        subject=f"agency/{event_id}",
        origin="replay" if replay_id else origin,
        replay_id=replay_id,
        attempt=Attempt(number=number, at=utcnow(), duration_ms=1.0, outcome=outcome),
    )


async def _log_of(records: list[AttemptRecord]) -> AttemptLog:
    log = AttemptLog(connect(None, "mpp_notify").db, timedelta(days=1), ttl_index=False)
    await log.ensure_indexes()
    for record in records:
        await log.append(record)
    await log.flush()
    return log


async def _every_page(
    log: AttemptLog, limit: int, status: DeliveryStatus | None = None
) -> list[list[Delivery]]:
    pages: list[list[Delivery]] = []
    cursor: str | None = None
    while True:
        page = await log.list(SUB, status, PageRequest(limit=limit, cursor=cursor))
        assert len(page.items) <= limit
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 1000, "the cursor does not move on"


def _flat(pages: list[list[Delivery]]) -> list[Delivery]:
    return [delivery for page in pages for delivery in page]


async def test_pages_follow_first_attempts_across_pages_listing_each_delivery_once() -> None:
    records = [
        _attempt(f"evt_{n}", outcome="failed" if n in (1, 3) else "succeeded") for n in range(6)
    ]
    records += [
        _attempt("evt_1", 2, "failed"),  # a scheduled retry, after later deliveries began
        _attempt("evt_2"),  # attempt 1 again: the broker redelivered it after a crash
        _attempt("evt_3", 2, "succeeded", origin="retry"),  # POST /deliveries/{id}/retry
        _attempt("evt_0", replay_id="rpl_1"),  # a replay is a delivery of its own
    ]
    records += [_attempt(f"evt_{n}") for n in range(6, 12)]
    records.append(_attempt("evt_1", 3, "succeeded"))
    log = await _log_of(records)

    pages = await _every_page(log, limit=5)
    listed = _flat(pages)

    expected = [*(f"evt_{n}" for n in range(6)), "evt_0", *(f"evt_{n}" for n in range(6, 12))]
    assert [d.event_id for d in listed] == expected
    assert [len(page) for page in pages] == [5, 5, 3]
    assert len({d.id for d in listed}) == 13
    by_id = {d.id: d for d in listed}
    retried = by_id[delivery_id(SUB, "evt_1", None)]
    assert (retried.attempt_count, retried.status) == (3, "succeeded")
    assert [a.number for a in retried.attempts] == [1, 2, 3]
    assert by_id[delivery_id(SUB, "evt_3", None)].status == "succeeded"
    assert len(by_id[delivery_id(SUB, "evt_2", None)].attempts) == 2
    assert by_id[delivery_id(SUB, "evt_0", "rpl_1")].origin == "replay"
    await log.close()


async def test_first_attempts_written_in_the_same_millisecond_keep_their_write_order() -> None:
    log = await _log_of([])
    now = utcnow().timestamp()
    documents = [
        {**_attempt(f"evt_{n}").model_dump(), "seq": now, "recorded_at": utcnow()} for n in range(7)
    ]
    await log.collection.insert_many(documents)

    pages = await _every_page(log, limit=2)

    assert [d.event_id for d in _flat(pages)] == [f"evt_{n}" for n in range(7)]
    assert [len(page) for page in pages] == [2, 2, 2, 1]


def _mixed_history() -> tuple[list[AttemptRecord], dict[str, DeliveryStatus]]:
    """60 deliveries: every 7th dead, every 3rd still failing, a few failing then succeeding,
    the rest succeeded; with each one's final status by event id."""
    records: list[AttemptRecord] = []
    final: dict[str, DeliveryStatus] = {}
    for n in range(60):
        event = f"evt_{n:02}"
        if n % 7 == 0:
            records += [_attempt(event, 1, "failed"), _attempt(event, 2, "dead")]
            final[event] = "dead"
        elif n % 3 == 0:
            records.append(_attempt(event, 1, "failed"))
            final[event] = "failed"
        elif n % 5 == 0:
            records += [_attempt(event, 1, "failed"), _attempt(event, 2, "succeeded")]
            final[event] = "succeeded"
        else:
            records.append(_attempt(event))
            final[event] = "succeeded"
    return records, final


@pytest.mark.parametrize("status", ["dead", "failed", "succeeded"])
async def test_a_status_filter_over_many_pages_returns_exactly_the_matching_deliveries(
    status: DeliveryStatus,
) -> None:
    records, final = _mixed_history()
    log = await _log_of(records)

    pages = await _every_page(log, limit=3, status=status)

    assert [d.event_id for d in _flat(pages)] == [
        e for e, s in sorted(final.items()) if s == status
    ]
    assert all(d.status == status for d in _flat(pages))
    assert len(pages) > 1
    await log.close()


async def test_a_filter_that_matches_little_comes_back_short_with_a_cursor_to_go_on() -> None:
    records = [_attempt(f"evt_{n:02}") for n in range(45)]
    records.append(_attempt("evt_45", 1, "dead"))
    log = await _log_of(records)

    first = await log.list(SUB, "dead", PageRequest(limit=2, cursor=None))
    pages = await _every_page(log, limit=2, status="dead")

    assert first.items == [] and first.next_cursor is not None
    scanned = 2 * delivery_pages.SCAN_BUDGET  # first attempts per page: 20, 20, then the last 6
    assert [len(page) for page in pages] == [0] * (45 // scanned) + [1]
    assert [d.event_id for d in _flat(pages)] == ["evt_45"]
    await log.close()


class CountingCollection:
    """The attempts collection, counting the documents each ``find`` hands back."""

    def __init__(self, inner: Collection) -> None:
        self.inner = inner
        self.fetched = 0
        self.queries: list[dict[str, Any]] = []

    def find(self, query: dict[str, Any], *args: Any, **kwargs: Any) -> CountingCursor:
        self.queries.append(query)
        return CountingCursor(self, self.inner.find(query, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class CountingCursor:
    def __init__(self, owner: CountingCollection, inner: Any) -> None:
        self.owner = owner
        self.inner = inner

    def sort(self, *args: Any, **kwargs: Any) -> CountingCursor:
        self.inner = self.inner.sort(*args, **kwargs)
        return self

    def limit(self, count: int) -> CountingCursor:
        self.inner = self.inner.limit(count)
        return self

    async def to_list(self, length: int | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.inner.to_list(length)
        self.owner.fetched += len(found)
        return found


async def test_a_page_reads_its_deliveries_attempts_and_not_the_whole_history() -> None:
    records = [_attempt(f"evt_{n:02}", 1, "failed") for n in range(40)]
    records += [_attempt(f"evt_{n:02}", 2, "failed") for n in range(40)]
    records += [_attempt(f"evt_{n:02}", 3, "succeeded") for n in range(40)]
    log = await _log_of(records)
    counting = CountingCollection(log.collection)
    log.collection = cast(Collection, counting)

    first = await log.list(SUB, None, PageRequest(limit=5, cursor=None))
    second = await log.list(SUB, None, PageRequest(limit=5, cursor=first.next_cursor))

    assert [d.event_id for d in first.items + second.items] == [f"evt_{n:02}" for n in range(10)]
    assert counting.fetched == 2 * (6 + 5 * 3)  # 5 + 1 first attempts, 3 attempts of each of 5
    in_queries = [q["delivery_id"]["$in"] for q in counting.queries if "delivery_id" in q]
    assert in_queries == [[d.id for d in first.items], [d.id for d in second.items]]
    await log.close()


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        encode_cursor("5"),  # the offset the view used to page by
        encode_cursor("agc_0190abc"),
        encode_cursor("1.5 dlv_0123456789abcdef01234567"),
        encode_cursor("nan 0123456789abcdef01234567"),
        encode_cursor("1e999999 0123456789abcdef01234567"),
    ],
)
@pytest.mark.parametrize("status", [None, "dead", "pending"])
async def test_a_cursor_this_service_did_not_issue_is_refused_naming_the_cursor(
    cursor: str, status: DeliveryStatus | None
) -> None:
    log = await _log_of([_attempt("evt_0")])

    with pytest.raises(RuleViolated) as refused:
        await log.list(SUB, status, PageRequest(limit=5, cursor=cursor))

    assert refused.value.field == "cursor"
    await log.close()


async def test_pending_deliveries_are_never_listed_and_nothing_is_scanned_for_them() -> None:
    log = await _log_of([_attempt(f"evt_{n}") for n in range(5)])
    counting = CountingCollection(log.collection)
    log.collection = cast(Collection, counting)

    page = await log.list(SUB, "pending", PageRequest(limit=5, cursor=None))

    assert (page.items, page.next_cursor, counting.fetched) == ([], None, 0)
    await log.close()


async def test_another_subscriptions_deliveries_stay_out_of_the_pages() -> None:
    records = [_attempt(f"evt_{n}", subscription_id="sub_other") for n in range(4)]
    records.insert(2, _attempt("evt_mine"))
    log = await _log_of(records)

    assert [d.event_id for d in _flat(await _every_page(log, limit=1))] == ["evt_mine"]
    await log.close()
