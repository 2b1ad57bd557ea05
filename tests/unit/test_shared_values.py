"""Shared value rules: date-times, cursors, If-Match, ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.clock import UtcDateTime, new_id
from shared.errors import RuleViolated
from shared.http.concurrency import if_match_version
from shared.pagination import decode_cursor, encode_cursor

DATETIME = TypeAdapter(UtcDateTime)


def test_a_date_time_with_an_offset_is_kept_as_the_same_instant_in_utc() -> None:
    assert DATETIME.validate_python("2022-06-28T10:00:00+07:00") == datetime(
        2022, 6, 28, 3, tzinfo=UTC
    )


def test_a_date_time_without_an_offset_is_taken_as_utc() -> None:
    assert DATETIME.validate_python("2022-05-24T02:00:00").tzinfo == UTC


@pytest.mark.parametrize("value", [0, 0.5, "0.5", "1656385200", " 12 "])
def test_numbers_are_not_taken_for_unix_times(value: object) -> None:
    with pytest.raises(ValidationError, match="RFC 3339"):
        DATETIME.validate_python(value)


def test_cursors_round_trip_and_a_foreign_one_names_the_cursor_field() -> None:
    assert decode_cursor(encode_cursor("agc_0190abc")) == "agc_0190abc"
    for foreign in ("%%%", "", "K"):
        with pytest.raises(RuleViolated) as refused:
            decode_cursor(foreign)
        assert refused.value.field == "cursor"


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("*", None), ("3", 3), ('"3"', 3), ('W/"12"', frozenset())],
)
async def test_if_match_names_a_version_or_nothing(
    header: str | None, version: int | frozenset[int] | None
) -> None:
    assert await if_match_version(header) == version


def test_ids_sort_by_creation() -> None:
    ids = [new_id("agc") for _ in range(50)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50
