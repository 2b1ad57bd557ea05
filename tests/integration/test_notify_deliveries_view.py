"""``GET /subscriptions/{id}/deliveries`` over HTTP: keyset pages read from the store, short
filtered pages that carry on, and a foreign cursor refused as a problem. Attempts are written
straight into the service's attempt log, so no broker is needed (``notify_in_process``)."""

from __future__ import annotations

from typing import Any

from services.notify.container import NotifyContainer
from services.notify.deliveries import Attempt, AttemptOutcome, AttemptRecord, delivery_id
from shared.clock import utcnow
from shared.pagination import encode_cursor
from shared.storage import Storage
from tests.support.notify import AUTH, deliveries
from tests.support.notify_in_process import notify_in_process
from tests.support.servers import RunningService


async def _subscription(notify: RunningService) -> str:
    created = await notify.client.post(
        "/subscriptions",
        json={"url": "https://hooks.example.go.id/mpp", "event_types": ["#"]},
        headers=AUTH,
    )
    assert created.status_code == 201, created.text
    subscription_id: str = created.json()["id"]
    return subscription_id


async def _attempted(
    notify: RunningService,
    subscription_id: str,
    event_id: str,
    *outcomes: AttemptOutcome,
    first: int = 1,
) -> None:
    """Attempts ``first``, ``first`` + 1, ... of a live delivery, one per outcome."""
    attempts = notify.container(NotifyContainer).attempts
    for number, outcome in enumerate(outcomes, start=first):
        await attempts.append(
            AttemptRecord(
                delivery_id=delivery_id(subscription_id, event_id, None),
                subscription_id=subscription_id,
                event_id=event_id,
                event_type="agency.registered",
                subject=f"agency/{event_id}",
                origin="live",
                attempt=Attempt(number=number, at=utcnow(), duration_ms=1.0, outcome=outcome),
            )
        )


async def _pages(
    notify: RunningService, subscription_id: str, **params: Any
) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    cursor = None
    while cursor is not None or not pages:
        answer = await notify.client.get(
            f"/subscriptions/{subscription_id}/deliveries",
            params={**params, **({"cursor": cursor} if cursor else {})},
            headers=AUTH,
        )
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = pages[-1]["next_cursor"]
    return pages


async def test_the_deliveries_view_pages_by_first_attempt_with_each_delivery_once(
    notify_storage: Storage,
) -> None:
    async with notify_in_process(notify_storage) as notify:
        subscription_id = await _subscription(notify)
        for n in range(7):
            await _attempted(notify, subscription_id, f"evt_{n}", "failed")
        for n in range(7):  # the retries come after every first attempt
            await _attempted(notify, subscription_id, f"evt_{n}", "succeeded", first=2)
        pages = await _pages(notify, subscription_id, limit=3)
        followed = await deliveries(notify, subscription_id)

    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    listed = [d for page in pages for d in page["items"]]
    assert [d["event_id"] for d in listed] == [f"evt_{n}" for n in range(7)]
    assert all(d["status"] == "succeeded" and d["attempt_count"] == 2 for d in listed)
    assert [d["id"] for d in followed] == [d["id"] for d in listed]


async def test_a_filtered_page_may_be_short_and_still_lead_on_to_the_rest(
    notify_storage: Storage,
) -> None:
    async with notify_in_process(notify_storage) as notify:
        subscription_id = await _subscription(notify)
        for n in range(25):
            await _attempted(notify, subscription_id, f"evt_{n:02}", "succeeded")
        await _attempted(notify, subscription_id, "evt_25", "failed", "dead")
        pages = await _pages(notify, subscription_id, limit=1, status="dead")

    assert pages[0]["items"] == [] and pages[0]["next_cursor"] is not None
    assert [d["event_id"] for page in pages for d in page["items"]] == ["evt_25"]


async def test_a_cursor_the_service_did_not_issue_is_a_422_problem_naming_the_cursor(
    notify_storage: Storage,
) -> None:
    async with notify_in_process(notify_storage) as notify:
        subscription_id = await _subscription(notify)
        await _attempted(notify, subscription_id, "evt_0", "succeeded")
        answers = [
            await notify.client.get(
                f"/subscriptions/{subscription_id}/deliveries",
                params={"cursor": cursor},
                headers=AUTH,
            )
            for cursor in ("%%%", encode_cursor("50"), encode_cursor("1.5 not-an-id"))
        ]

    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["field"] == "cursor"
