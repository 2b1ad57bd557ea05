"""Entity-tag lists and their comparisons, as RFC 9110 section 8.8.3 and 13.1 define them."""

from __future__ import annotations

import pytest

from shared.errors import PreconditionFailed, RuleViolated
from shared.http.concurrency import if_match_version
from shared.http.etags import Condition, EntityTag, parse_condition, parse_etag


def test_a_list_of_strong_and_weak_tags_is_read_in_order() -> None:
    condition = parse_condition('"3", W/"4" ,"x,y"')
    assert condition == Condition(
        any=False, tags=(EntityTag("3"), EntityTag("4", weak=True), EntityTag("x,y"))
    )


def test_a_star_and_a_bare_version_are_conditions_too() -> None:
    assert parse_condition(" * ") == Condition(any=True)
    assert parse_condition("7") == Condition(any=False, tags=(EntityTag("7"),))


@pytest.mark.parametrize("value", ["", "3, 4", '"3', 'W/"3", *', "abc", '"3" "4"'])
def test_a_malformed_condition_is_refused(value: str) -> None:
    assert parse_condition(value) is None


def test_strong_comparison_never_matches_a_weak_tag() -> None:
    weak = parse_condition('W/"3"')
    assert weak is not None
    assert not weak.matches_strongly(EntityTag("3"))
    assert weak.matches_weakly(EntityTag("3"))


def test_weak_comparison_ignores_weakness_on_either_side() -> None:
    condition = parse_condition('"2", "3"')
    assert condition is not None
    assert condition.matches_weakly(EntityTag("3", weak=True))
    assert not condition.matches_weakly(EntityTag("4"))


def test_a_response_etag_is_parsed() -> None:
    assert parse_etag('"12"') == EntityTag("12")
    assert parse_etag('W/"12"') == EntityTag("12", weak=True)
    assert parse_etag("12") is None


async def test_if_match_names_the_strong_versions_it_accepts() -> None:
    assert await if_match_version('"3"') == 3
    assert await if_match_version("3") == 3
    assert await if_match_version('"3", "5"') == frozenset({3, 5})
    assert await if_match_version("*") is None
    assert await if_match_version(None) is None


async def test_if_match_with_only_weak_tags_accepts_no_version() -> None:
    assert await if_match_version('W/"3"') == frozenset()
    assert await if_match_version('W/"3", "abc"') == frozenset()


async def test_a_malformed_if_match_is_a_validation_error_naming_the_header() -> None:
    with pytest.raises(RuleViolated) as raised:
        await if_match_version('"3')
    assert raised.value.field == "If-Match"


def test_an_aggregate_accepts_any_version_of_a_list_and_refuses_an_empty_one() -> None:
    from datetime import UTC, datetime

    from shared.domain import Aggregate

    now = datetime(2026, 1, 1, tzinfo=UTC)
    aggregate = Aggregate(id="a1", version=4, created_at=now, updated_at=now)
    aggregate.ensure_version(frozenset({3, 4}))
    aggregate.ensure_version(4)
    with pytest.raises(PreconditionFailed):
        aggregate.ensure_version(frozenset())
    with pytest.raises(PreconditionFailed):
        aggregate.ensure_version(frozenset({2, 3}))
