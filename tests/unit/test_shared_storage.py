"""The in-process store answers queries by ``_id`` as MongoDB does, without a scan."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from shared.storage import Collection, _ids_asked_for, connect


@pytest.fixture
async def things() -> AsyncIterator[Collection]:
    collection = connect(None, "mpp_storage_test").db["things"]
    await collection.insert_many(
        [{"_id": f"t{i}", "n": i, "version": 1} for i in range(50)] + [{"_id": 7, "n": -7}]
    )
    yield collection
    await collection.drop()


async def test_a_query_by_id_still_applies_the_rest_of_its_conditions(things: Collection) -> None:
    assert await things.find_one({"_id": "t3"}) == {"_id": "t3", "n": 3, "version": 1}
    assert await things.find_one({"_id": "t3", "n": 4}) is None
    assert await things.find_one({"_id": "missing"}) is None
    assert await things.find_one({"_id": 7}) == {"_id": 7, "n": -7}


async def test_in_finds_each_named_document_once_and_skips_missing_ones(
    things: Collection,
) -> None:
    found = await things.find({"_id": {"$in": ["t1", "t2", "t1", "nope"]}}).to_list(None)
    even = await things.find({"_id": {"$in": ["t1", "t2"]}, "n": {"$gt": 1}}).to_list(None)

    assert sorted(d["_id"] for d in found) == ["t1", "t2"]
    assert [d["_id"] for d in even] == ["t2"]


async def test_a_versioned_update_by_id_touches_only_the_matching_version(
    things: Collection,
) -> None:
    stale = await things.update_one({"_id": "t5", "version": 0}, {"$set": {"n": 0}})
    fresh = await things.update_one({"_id": "t5", "version": 1}, {"$set": {"version": 2}})
    leased = await things.update_many({"_id": {"$in": ["t6", "t7"]}}, {"$set": {"lease": 1}})

    assert (stale.matched_count, fresh.modified_count, leased.modified_count) == (0, 1, 2)
    assert await things.count_documents({"lease": 1}) == 2


async def test_queries_without_plain_ids_still_scan(things: Collection) -> None:
    assert await things.count_documents({"n": {"$gte": 45}}) == 5
    assert await things.count_documents({"_id": {"$gte": "t48", "$lt": "t5"}}) == 2
    assert await things.count_documents({"_id": {"$nin": ["t1"]}}) == 50


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({"_id": "a"}, ["a"]),
        ({"_id": {"$in": ["a", "b", "a"]}}, ["a", "b"]),
        ({"_id": 3, "x": 1}, [3]),
        ({"_id": {"$gte": "a"}}, None),
        ({"_id": {"$in": ["a"], "$ne": "b"}}, None),
        ({"_id": {"a": 1}}, None),
        ({"_id": True}, None),
        ({"x": 1}, None),
    ],
)
def test_only_ids_named_outright_take_the_direct_path(
    query: dict[str, object], ids: list[object] | None
) -> None:
    assert _ids_asked_for(query) == ids


def test_dates_are_normalised_as_mongomock_does_wherever_they_are_nested() -> None:
    from collections import OrderedDict
    from datetime import UTC, datetime, timedelta, timezone

    from mongomock import helpers

    connect(None, "mpp_storage_test")  # installs the quick path
    jakarta = timezone(timedelta(hours=7))
    document = {
        "at": datetime(2026, 11, 29, 13, 0, 1, 123456, tzinfo=jakarta),
        "plain": ["a", 1, 2.5, True, None, b"x"],
        "nested": {"list": [{"t": datetime(2026, 1, 1, 0, 0, 0, 999999, tzinfo=UTC)}]},
        "tuple": (datetime(2026, 1, 1, 0, 0, 0, 1500),),
        "ordered": OrderedDict(z=datetime(2026, 1, 1, tzinfo=UTC)),
    }

    normalised = helpers.patch_datetime_awareness_in_document(document)

    assert getattr(helpers.patch_datetime_awareness_in_document, "quick", False)
    assert normalised == {
        "at": datetime(2026, 11, 29, 6, 0, 1, 123000),
        "plain": ["a", 1, 2.5, True, None, b"x"],
        "nested": {"list": [{"t": datetime(2026, 1, 1, 0, 0, 0, 999000)}]},
        "tuple": [datetime(2026, 1, 1, 0, 0, 0, 1000)],
        "ordered": OrderedDict(z=datetime(2026, 1, 1)),
    }
    assert type(normalised["ordered"]) is OrderedDict
