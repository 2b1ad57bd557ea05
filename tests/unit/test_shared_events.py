"""The envelope, the catalogue, topic patterns and event parsing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from shared.domain import Aggregate, new_timestamps
from shared.events.catalogue import (
    EVENT_MODELS,
    EVENT_TYPE_DESCRIPTIONS,
    EVENT_TYPES,
    AgencyDeactivated,
    EventData,
    event_source,
)
from shared.events.envelope import CloudEvent
from shared.events.patterns import is_valid_pattern, topic_matches
from shared.events.schema import event_schema
from shared.messaging.consumer import MessageRejected, parse_event

CONTRACT_TYPES = {
    "agency.registered", "agency.updated", "agency.service_added", "agency.service_removed",
    "agency.deactivated", "mou.drafted", "mou.signing_scheduled", "mou.party_signed",
    "mou.signed", "mou.team_member_added", "mou.terminated", "mou.expired", "mall.planned",
    "mall.opened", "mall.inauguration_scheduled", "mall.inaugurated", "mall.counter_opened",
    "mall.counter_closed", "mall.closed",
}  # fmt: skip


def test_the_catalogue_has_a_model_for_every_type_in_the_contract() -> None:
    assert set(EVENT_TYPES) >= CONTRACT_TYPES
    assert set(EVENT_TYPE_DESCRIPTIONS) == set(EVENT_TYPES)


def _models_naming_a_type(base: type[EventData]) -> list[type[EventData]]:
    found = [base] if "type" in vars(base) else []
    for subclass in base.__subclasses__():
        found += _models_naming_a_type(subclass)
    return found


def test_each_event_class_names_one_type_and_the_catalogue_holds_every_such_class() -> None:
    assert sorted(_models_naming_a_type(EventData), key=str) == sorted(EVENT_MODELS, key=str)
    assert len({model.type for model in EVENT_MODELS}) == len(EVENT_MODELS)
    assert all(EVENT_TYPES[model.type] is model for model in EVENT_MODELS)


def test_the_type_a_class_names_stays_out_of_its_data() -> None:
    data = AgencyDeactivated(agency_id="agc_1", version=2, code="KEMENPANRB", name="KemenPANRB")
    assert "type" not in data.model_dump(mode="json")
    assert "type" not in AgencyDeactivated.model_json_schema()["properties"]


def test_an_aggregate_records_the_type_its_event_class_names() -> None:
    aggregate = Aggregate(id="agc_1", **new_timestamps())
    aggregate.record(
        AgencyDeactivated(agency_id="agc_1", version=2, code="KEMENPANRB", name="KemenPANRB")
    )
    [recorded] = aggregate.collect_events()
    assert recorded.type == "agency.deactivated"


def test_every_event_type_has_a_json_schema_fixing_type_and_source() -> None:
    for event_type in EVENT_TYPES:
        schema = event_schema(event_type)
        assert schema["properties"]["type"] == {"const": event_type}
        assert schema["properties"]["source"] == {"const": event_source(event_type)}
        assert "version" in schema["properties"]["data"]["properties"]


def test_an_event_serialises_as_structured_cloudevents_json_in_utc() -> None:
    jakarta = timezone(timedelta(hours=7))
    event = CloudEvent.new(
        type="agency.registered",
        source="/mpp/agency",
        subject="agc_1",
        data={"agency_id": "agc_1", "version": 1},
        correlation_id="req-1",
        time=datetime(2022, 6, 28, 10, 0, tzinfo=jakarta),
    )
    wire = json.loads(event.to_json_bytes())
    assert wire["specversion"] == "1.0"
    assert wire["datacontenttype"] == "application/json"
    assert wire["time"] == "2022-06-28T03:00:00Z"
    assert wire["correlationid"] == "req-1"


def test_an_event_without_a_timezone_is_refused() -> None:
    with pytest.raises(ValidationError):
        CloudEvent(
            id="1", type="a.b", source="/x", subject="s", time=datetime(2022, 1, 1),
            data={}, correlationid="c",
        )  # fmt: skip


def _event(**overrides: object) -> bytes:
    body: dict[str, object] = {
        "specversion": "1.0", "id": "e1", "type": "agency.deactivated", "source": "/mpp/agency",
        "subject": "agc_1", "time": datetime.now(UTC).isoformat(), "datacontenttype":
        "application/json", "correlationid": "c1",
        "data": {"agency_id": "agc_1", "version": 2, "code": "BNN", "name": "BNN"},
    }  # fmt: skip
    body.update(overrides)
    return json.dumps(body).encode()


def test_parsing_accepts_a_well_formed_event() -> None:
    assert parse_event(_event()).type == "agency.deactivated"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"{}",
        _event(specversion="0.3"),
        _event(correlationid=""),
        _event(data={"agency_id": "agc_1"}),  # data breaks the catalogue model
    ],
)
def test_parsing_refuses_what_is_not_a_valid_mpp_event(body: bytes) -> None:
    with pytest.raises(MessageRejected):
        parse_event(body)


def test_parsing_lets_an_unknown_type_through_for_forward_compatibility() -> None:
    assert parse_event(_event(type="agency.renamed", data={"x": 1})).type == "agency.renamed"


def test_parsing_keeps_no_event_s_values_alive_after_it() -> None:
    """pydantic caches the strings it parses from JSON unless told not to: each event's id
    and subject would then live on in the cache (one of 16,384), long after the event."""
    body = _event(id="an-event-id")

    first, second = parse_event(body), parse_event(body)

    assert first.id == second.id and first.id is not second.id
    assert first.subject is not second.subject
    assert first.data["name"] is not second.data["name"]


@pytest.mark.parametrize(
    ("pattern", "routing_key", "expected"),
    [
        ("#", "mou.signed", True),
        ("mou.*", "mou.signed", True),
        ("mou.*", "mall.opened", False),
        ("mall.#", "mall.counter_opened", True),
        ("mall.#", "mall", True),
        ("*.signed", "mou.signed", True),
        ("mall.inaugurated", "mall.inaugurated", True),
        ("mall.inaugurated", "mall.inauguration_scheduled", False),
        ("a.#.z", "a.z", True),
        ("a.#.z", "a.b.c.z", True),
        ("*", "mou.signed", False),
    ],
)
def test_topic_patterns_match_as_rabbitmq_routes(
    pattern: str, routing_key: str, expected: bool
) -> None:
    assert topic_matches(pattern, routing_key) is expected


@pytest.mark.parametrize("pattern", ["mou.*", "#", "mall.#", "agency.registered"])
def test_well_formed_patterns_are_valid(pattern: str) -> None:
    assert is_valid_pattern(pattern)


@pytest.mark.parametrize("pattern", ["", "mou.", "mou..x", "MOU.*", "mou.s*"])
def test_malformed_patterns_are_invalid(pattern: str) -> None:
    assert not is_valid_pattern(pattern)


def test_every_event_type_has_an_example_that_fits_its_model() -> None:
    from shared.events.examples import EXAMPLES

    assert set(EXAMPLES) == set(EVENT_TYPES)
    for event_type, example in EXAMPLES.items():
        EVENT_TYPES[event_type].model_validate(example)


def test_the_published_event_catalogue_is_generated_from_the_current_code() -> None:
    from pathlib import Path

    from shared.events.docs import render

    path = Path(__file__).resolve().parents[2] / "docs" / "events.md"
    assert path.read_text() == render(), "run: python -m shared.events.docs"
