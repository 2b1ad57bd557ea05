"""The agency's rules, without I/O."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.agency.domain import Agency, AgencyChanges
from shared.errors import Conflict, InvalidTransition, NotFound, PreconditionFailed, RuleViolated
from shared.events.catalogue import AgencyService


def _registered(**overrides: object) -> Agency:
    values: dict[str, object] = {
        "code": "KEMENKUMHAM",
        "name": "Kementerian Hukum dan HAM",
        "kind": "ministry",
        "services": [AgencyService(code="PASPOR", name="Permohonan paspor")],
    }
    values.update(overrides)
    agency = Agency.register(**values)  # type: ignore[arg-type]
    agency.collect_events()
    agency.mark_loaded()
    return agency


def test_registering_records_agency_registered_with_the_whole_agency() -> None:
    agency = Agency.register(code="BPOM", name="Badan POM", kind="agency", acronym="BPOM")
    [event] = agency.collect_events()
    assert event.type == "agency.registered"
    data = event.data.model_dump()
    assert data["agency_id"] == agency.id
    assert data["version"] == 1
    assert data["code"] == "BPOM"
    assert data["status"] == "active"
    assert agency.id.startswith("agc_")


@pytest.mark.parametrize("code", ["kemenpanrb", "Kemen", "1ABC", "A", "KEMEN PANRB", "KEMEN-PANRB"])
def test_a_code_that_is_not_upper_case_letters_digits_or_underscores_is_refused(code: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        Agency.register(code=code, name="X", kind="agency")
    assert refused.value.field == "code"


def test_service_codes_listed_twice_at_registration_are_refused_naming_the_second() -> None:
    services = [AgencyService(code="SKCK", name="SKCK"), AgencyService(code="SKCK", name="again")]
    with pytest.raises(RuleViolated) as refused:
        Agency.register(code="POLRI", name="Polri", kind="agency", services=services)
    assert refused.value.field == "services.1.code"


def test_adding_a_service_bumps_the_version_and_lists_all_services() -> None:
    agency = _registered()
    agency.add_service(AgencyService(code="VISA", name="Izin tinggal"))
    [event] = agency.collect_events()
    assert agency.version == 2
    assert event.type == "agency.service_added"
    assert [s["code"] for s in event.data.model_dump()["services"]] == ["PASPOR", "VISA"]


def test_a_service_code_is_unique_within_an_agency() -> None:
    agency = _registered()
    with pytest.raises(Conflict):
        agency.add_service(AgencyService(code="PASPOR", name="Paspor lagi"))
    assert agency.version == 1
    assert agency.collect_events() == []


def test_removing_a_service_it_does_not_offer_is_not_found() -> None:
    with pytest.raises(NotFound):
        _registered().remove_service("NOPE")


def test_removing_a_service_records_it_and_what_remains() -> None:
    agency = _registered()
    agency.remove_service("PASPOR")
    [event] = agency.collect_events()
    assert event.type == "agency.service_removed"
    assert event.data.model_dump()["service"]["code"] == "PASPOR"
    assert event.data.model_dump()["services"] == []


def test_an_update_records_only_the_fields_that_changed() -> None:
    agency = _registered()
    changed = agency.update(AgencyChanges(name="Kementerian Hukum", kind="ministry"))
    assert changed == ["name"]
    [event] = agency.collect_events()
    assert event.type == "agency.updated"
    assert event.data.model_dump()["changed"] == ["name"]
    assert agency.version == 2


def test_an_update_that_changes_nothing_records_nothing_and_keeps_the_version() -> None:
    agency = _registered()
    assert agency.update(AgencyChanges(name=agency.name)) == []
    assert agency.collect_events() == []
    assert agency.version == 1


def test_an_update_cannot_blank_the_name_or_remove_the_kind() -> None:
    agency = _registered()
    with pytest.raises(RuleViolated) as blank:
        agency.update(AgencyChanges(name=None))
    assert blank.value.field == "name"
    with pytest.raises(RuleViolated) as kind:
        agency.update(AgencyChanges(kind=None))
    assert kind.value.field == "kind"


def test_the_changes_of_an_update_name_only_known_fields_and_kinds() -> None:
    with pytest.raises(ValidationError):
        AgencyChanges.model_validate({"kind": "club"})
    with pytest.raises(ValidationError):
        AgencyChanges.model_validate({"code": "OTHER"})


def test_an_acronym_given_as_none_is_removed_and_one_not_given_is_kept() -> None:
    agency = _registered(acronym="KUMHAM")
    assert agency.update(AgencyChanges(name="Kementerian Hukum")) == ["name"]
    assert agency.acronym == "KUMHAM"
    assert agency.update(AgencyChanges(acronym=None)) == ["acronym"]
    assert agency.acronym is None


def test_a_deactivated_agency_cannot_be_deactivated_again_or_offer_new_services() -> None:
    agency = _registered()
    agency.deactivate("merged")
    [event] = agency.collect_events()
    assert event.type == "agency.deactivated"
    assert agency.status == "inactive"
    with pytest.raises(InvalidTransition) as again:
        agency.deactivate()
    assert again.value.extensions["current_state"] == "inactive"
    with pytest.raises(InvalidTransition):
        agency.add_service(AgencyService(code="NEW", name="New"))


def test_a_change_based_on_a_stale_version_is_refused() -> None:
    agency = _registered()
    agency.ensure_version(1)
    with pytest.raises(PreconditionFailed):
        agency.ensure_version(0)
