"""Routes answer views, not stored aggregates: each view shows exactly the resource's fields."""

from __future__ import annotations

from typing import Any

from services.agency import views as agency_views
from services.agency.domain import Agency
from services.mall import views as mall_views
from services.mall.domain import Mall
from services.mou import views as mou_views
from services.mou.domain import Mou
from shared.domain import Aggregate
from shared.http.views import ResourceView, page_of
from shared.pagination import Page

STAMPS = {"id": "x_1", "version": 3, "created_at": "2022-06-01T00:00:00Z"}
STAMPS["updated_at"] = "2022-06-28T05:00:00Z"
AGENCY: dict[str, Any] = {
    **STAMPS,
    "code": "KEMENPANRB",
    "name": "Kementerian PANRB",
    "acronym": "PANRB",
    "kind": "ministry",
    "contact": {"email": "humas@menpan.go.id", "phone": None, "website": None, "address": None},
    "services": [{"code": "PASPOR", "name": "Paspor"}],
    "status": "inactive",
    "deactivated_at": "2022-06-28T05:00:00Z",
    "deactivation_reason": "merged",
}
MOU: dict[str, Any] = {
    **STAMPS,
    "number": "01/NK/2022",
    "title": "Nota Kesepahaman",
    "parties": [
        {
            "agency_id": "agc_1",
            "code": "KEMENPANRB",
            "name": "Kementerian PANRB",
            "signed_at": "2022-06-28T05:00:00Z",
            "signatory_name": "Tjahjo Kumolo",
            "signatory_title": "Menteri",
        }
    ],
    "status": "signed",
    "signing_at": "2022-06-28T05:00:00Z",
    "signed_at": "2022-06-28T05:00:00Z",
    "valid_from": "2022-06-28",
    "valid_until": "2027-06-27",
    "team": [
        {
            "agency_id": "agc_1",
            "agency_code": "KEMENPANRB",
            "agency_name": "Kementerian PANRB",
            "name": "Dewi",
            "role": "Ketua",
            "appointed_at": "2022-06-28T05:00:00Z",
        }
    ],
    "terminated_at": None,
    "termination_reason": None,
    "expired_at": None,
}
MALL: dict[str, Any] = {
    **STAMPS,
    "name": "MPP Kabupaten Sanggau",
    "region": {
        "province_code": "61",
        "province_name": "Kalimantan Barat",
        "regency_code": "61.03",
        "regency_name": "Kabupaten Sanggau",
    },
    "address": "Jl. Jenderal Sudirman",
    "status": "inaugurated",
    "opened_at": "2022-06-01T00:00:00Z",
    "inauguration_scheduled_for": "2022-06-28T05:00:00Z",
    "inaugurated_at": "2022-06-28T05:00:00Z",
    "inaugurated_by": "Menteri PANRB",
    "closed_at": None,
    "closure_reason": None,
    "counters": [
        {
            "agency_id": "agc_1",
            "code": "KEMENPANRB",
            "name": "Kementerian PANRB",
            "services": ["PASPOR"],
            "opened_at": "2022-06-01T00:00:00Z",
            "flagged": True,
            "flag_reason": "party to no MoU in force",
        }
    ],
}
CASES: list[tuple[type[Aggregate], type[ResourceView], dict[str, Any]]] = [
    (Agency, agency_views.Agency, AGENCY),
    (Mou, mou_views.Mou, MOU),
    (Mall, mall_views.Mall, MALL),
]


def test_each_view_shows_the_resource_fields_as_the_api_always_has() -> None:
    for aggregate_class, view, shown in CASES:
        aggregate = aggregate_class.model_validate(shown)
        assert aggregate.model_dump(mode="json") == shown  # what the routes answered before
        assert view.from_aggregate(aggregate).model_dump(mode="json") == shown, view.__name__


def test_a_field_only_the_aggregate_has_stays_out_of_the_answer() -> None:
    for aggregate_class, view, shown in CASES:

        class Grown(aggregate_class):  # type: ignore[valid-type,misc]
            relay_lease: str = "internal"

        answer = view.from_aggregate(Grown.model_validate(shown)).model_dump(mode="json")
        assert "relay_lease" not in answer, view.__name__


def test_a_page_of_aggregates_is_answered_as_a_page_of_views() -> None:
    agency = Agency.model_validate(AGENCY)
    page = page_of(agency_views.Agency, Page[Agency](items=[agency], next_cursor="abc"))
    assert page.model_dump(mode="json") == {"items": [AGENCY], "next_cursor": "abc"}
