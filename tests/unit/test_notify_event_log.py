"""The event log's entries: decoding stream messages, deduplication, filters and positions.

The log itself is a RabbitMQ stream (integration tests read it); these are the parts that
decide what a reader sees.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.eventlog import (
    EventLogFilter,
    LoggedEvent,
    check_type_patterns,
    parse_position,
)
from shared.errors import RuleViolated
from shared.events.envelope import CloudEvent


def event(  # a type outside the catalogue: its data is not checked
    event_type: str = "mou.noted", subject: str = "mou_1", **kw: object
) -> CloudEvent:
    return CloudEvent.new(
        type=event_type,
        source=f"/mpp/{event_type.split('.')[0]}",
        subject=subject,
        data={"version": 1},
        correlation_id="c-1",
        **kw,  # type: ignore[arg-type]
    )


def entry(e: CloudEvent, position: int = 1) -> LoggedEvent:
    decoded = LoggedEvent.decode(position, e.to_json_bytes(), None)
    assert decoded is not None
    return decoded


def test_an_entry_keeps_the_body_as_published_and_its_position() -> None:
    e = event()
    logged = entry(e, position=42)

    assert logged.position == 42
    assert logged.id == e.id and logged.type == "mou.noted"
    assert logged.body() == e.to_json_bytes()
    assert json.loads(logged.body()) == logged.event


def test_an_entry_is_served_with_the_event_parsed_but_keeps_only_its_bytes() -> None:
    e = event(subject="mou_9")
    logged = entry(e, position=5)

    served = logged.model_dump(mode="json")
    assert served["event"] == json.loads(e.to_json_bytes()) and served["position"] == 5
    assert logged.subject == "mou_9"
    # No parsed copy held between requests: the live ring keeps thousands of entries.
    held = [*vars(logged).values(), *(logged.__pydantic_private__ or {}).values()]
    assert not any(isinstance(value, dict) for value in held)


@pytest.mark.parametrize("body", [b"not json", b"{}", b'{"type": "mou.signed"}', b"\xff\xfe"])
def test_a_body_that_is_not_a_cloudevent_is_no_entry(body: bytes) -> None:
    assert LoggedEvent.decode(7, body, None) is None


def test_a_pretty_printed_body_is_served_compact_so_sse_data_stays_one_line() -> None:
    e = event()
    pretty = json.dumps(json.loads(e.to_json_bytes()), indent=2).encode()
    logged = LoggedEvent.decode(3, pretty, None)

    assert logged is not None and b"\n" not in logged.body()
    assert json.loads(logged.body()) == json.loads(pretty)


def test_filters_match_type_patterns_subject_and_time() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    signed = entry(event("mou.noted", "mou_1", time=at))
    opened = entry(event("mall.noted", "mal_1", time=at + timedelta(hours=1)))

    assert EventLogFilter(types=["mou.*"]).matches(signed)
    assert not EventLogFilter(types=["mou.*"]).matches(opened)
    assert EventLogFilter(subject="mal_1").matches(opened)
    assert not EventLogFilter(subject="mal_1").matches(signed)
    window = EventLogFilter(since=at + timedelta(minutes=1), until=at + timedelta(hours=2))
    assert window.matches(opened) and not window.matches(signed)


@pytest.mark.parametrize("raw", ["0", "41", " 7 ", str(2**62)])
def test_positions_from_clients_are_ascii_digits_within_range(raw: str) -> None:
    assert parse_position(raw, "after") == int(raw)


@pytest.mark.parametrize(
    "raw", ["\u00b2", "\u0663", "-1", "1.5", "", "9" * 5000, str(2**62 + 1), "\uff11"]
)
def test_any_other_position_is_a_422_on_its_field_never_a_500(raw: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        parse_position(raw, "Last-Event-ID")
    assert refused.value.extensions["field"] == "Last-Event-ID"


def test_type_patterns_are_checked_and_bounded() -> None:
    assert check_type_patterns(["mou.*,mall.opened", "#"]) == ["mou.*", "mall.opened", "#"]
    with pytest.raises(RuleViolated):
        check_type_patterns(["Mou.Signed"])
    with pytest.raises(RuleViolated):
        check_type_patterns([",".join(["mou.signed"] * 51)])
    with pytest.raises(RuleViolated):
        check_type_patterns(["a" * 300])
