"""The MoU's rules, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.mou.domain import Mou, MouChanges
from shared.errors import Conflict, InvalidTransition, PreconditionFailed, RuleViolated
from shared.events.catalogue import EVENT_TYPES, AgencyStatus
from shared.projections.agencies import KnownAgency


def _known(agency_id: str, code: str, name: str, status: AgencyStatus = "active") -> KnownAgency:
    """An agency as the MoU service's projection knows it."""
    return KnownAgency(agency_id=agency_id, version=1, code=code, name=name, status=status)


PANRB = _known("agc_panrb", "KEMENPANRB", "Kementerian PANRB")
DAGRI = _known("agc_dagri", "KEMENDAGRI", "Kementerian Dalam Negeri")
POLRI = _known("agc_polri", "POLRI", "Kepolisian Negara Republik Indonesia")
PLN = _known("agc_pln", "PLN", "PT PLN (Persero)")
GONE = _known("agc_gone", "GONE", "Badan yang dibubarkan", status="inactive")
DIRECTORY = {a.agency_id: a for a in (PANRB, DAGRI, POLRI, PLN, GONE)}
NOW = datetime(2022, 6, 28, 5, 0, tzinfo=UTC)
TITLE = "Nota Kesepahaman tentang Penyelenggaraan Pelayanan Publik pada Mal Pelayanan Publik"


def _loaded(mou: Mou) -> Mou:
    mou.collect_events()
    mou.mark_loaded()
    return mou


def _draft(*parties: KnownAgency, **overrides: object) -> Mou:
    values: dict[str, object] = {
        "title": TITLE,
        "parties": [p.agency_id for p in (parties or (PANRB, DAGRI, POLRI))],
        "agencies": DIRECTORY,
    }
    values.update(overrides)
    return _loaded(Mou.draft(**values))  # type: ignore[arg-type]


def _sign(mou: Mou, party: KnownAgency, at: datetime | None = None, **overrides: object) -> None:
    values: dict[str, object] = {
        "signatory_name": f"Penandatangan {party.code}",
        "signatory_title": "Pejabat yang berwenang",
        "agency": DIRECTORY.get(party.agency_id, party),
        "signed_at": at,
        "now": NOW,
    }
    values.update(overrides)
    mou.sign(party.agency_id, **values)  # type: ignore[arg-type]


def _signed(*parties: KnownAgency, **overrides: object) -> Mou:
    mou = _draft(*parties, **overrides)
    for party in parties or (PANRB, DAGRI, POLRI):
        _sign(mou, party, NOW - timedelta(hours=1))
    return _loaded(mou)


# --- drafting ---------------------------------------------------------------------------------


def test_drafting_records_mou_drafted_with_each_party_resolved_to_code_and_name() -> None:
    mou = Mou.draft(
        title=TITLE, parties=[PANRB.agency_id, DAGRI.agency_id], agencies=DIRECTORY, number="1/2022"
    )
    [event] = mou.collect_events()
    assert event.type == "mou.drafted"
    assert isinstance(event.data, EVENT_TYPES["mou.drafted"])
    data = event.data.model_dump(mode="json")
    assert data["mou_id"] == mou.id
    assert data["version"] == 1
    assert data["status"] == "draft"
    assert data["parties"] == [
        {"agency_id": "agc_panrb", "code": "KEMENPANRB", "name": "Kementerian PANRB"},
        {"agency_id": "agc_dagri", "code": "KEMENDAGRI", "name": "Kementerian Dalam Negeri"},
    ]
    assert mou.id.startswith("mou_")
    assert mou.status == "draft"
    assert all(p.signed_at is None and p.signatory_name is None for p in mou.parties)


def test_an_mou_needs_at_least_two_parties() -> None:
    with pytest.raises(RuleViolated) as refused:
        Mou.draft(title=TITLE, parties=[PANRB.agency_id], agencies=DIRECTORY)
    assert refused.value.field == "parties"


def test_a_party_named_twice_is_refused_naming_the_second_mention() -> None:
    with pytest.raises(RuleViolated) as refused:
        Mou.draft(
            title=TITLE,
            parties=[PANRB.agency_id, DAGRI.agency_id, PANRB.agency_id],
            agencies=DIRECTORY,
        )
    assert refused.value.field == "parties.2.agency_id"


def test_an_agency_unknown_to_the_projection_is_refused_naming_its_id() -> None:
    with pytest.raises(RuleViolated) as refused:
        Mou.draft(title=TITLE, parties=[PANRB.agency_id, "agc_nobody"], agencies=DIRECTORY)
    assert refused.value.field == "parties.1.agency_id"
    assert "agc_nobody" in refused.value.detail
    assert refused.value.extensions["agency_id"] == "agc_nobody"


def test_an_inactive_agency_cannot_become_a_party() -> None:
    with pytest.raises(RuleViolated) as refused:
        Mou.draft(title=TITLE, parties=[GONE.agency_id, PANRB.agency_id], agencies=DIRECTORY)
    assert refused.value.field == "parties.0.agency_id"
    assert "inactive" in refused.value.detail


def test_valid_until_must_come_after_valid_from() -> None:
    with pytest.raises(RuleViolated) as refused:
        _draft(valid_from=date(2022, 7, 1), valid_until=date(2022, 7, 1))
    assert refused.value.field == "valid_until"


def test_a_blank_title_is_refused() -> None:
    with pytest.raises(RuleViolated) as refused:
        _draft(title="   ")
    assert refused.value.field == "title"


# --- revising a draft -------------------------------------------------------------------------


def test_a_draft_can_change_its_parties_keeping_those_who_stay() -> None:
    mou = _draft(PANRB, DAGRI)
    changed = mou.revise(
        MouChanges(parties=[PANRB.agency_id, PLN.agency_id, POLRI.agency_id]), DIRECTORY
    )
    assert changed == ["parties"]
    assert [p.code for p in mou.parties] == ["KEMENPANRB", "PLN", "POLRI"]
    assert mou.version == 2
    assert mou.collect_events() == []


def test_revising_a_draft_applies_the_same_rules_to_the_new_parties() -> None:
    mou = _draft(PANRB, DAGRI)
    with pytest.raises(RuleViolated) as refused:
        mou.revise(MouChanges(parties=[PANRB.agency_id, GONE.agency_id]), DIRECTORY)
    assert refused.value.field == "parties.1.agency_id"
    with pytest.raises(RuleViolated):
        mou.revise(MouChanges(parties=[PANRB.agency_id]), DIRECTORY)
    assert [p.code for p in mou.parties] == ["KEMENPANRB", "KEMENDAGRI"]
    assert mou.version == 1


def test_revising_with_what_is_already_there_changes_nothing() -> None:
    mou = _draft(PANRB, DAGRI)
    assert mou.revise(MouChanges(title=TITLE, parties=[PANRB.agency_id, DAGRI.agency_id]), {}) == []
    assert mou.version == 1


def test_the_term_is_checked_against_the_values_after_the_change() -> None:
    mou = _draft(valid_from=date(2022, 7, 1))
    with pytest.raises(RuleViolated) as refused:
        mou.revise(MouChanges(valid_until=date(2022, 6, 30)), DIRECTORY)
    assert refused.value.field == "valid_until"


def test_a_revision_cannot_remove_the_title_or_the_parties_but_may_remove_the_number() -> None:
    mou = _draft(PANRB, DAGRI, number="1/NK/2022")
    for removed in ("title", "parties"):
        with pytest.raises(RuleViolated) as refused:
            mou.revise(MouChanges.model_validate({removed: None}), DIRECTORY)
        assert refused.value.field == removed
    assert mou.revise(MouChanges(number=None), DIRECTORY) == ["number"]
    assert mou.number is None


def test_parties_are_locked_once_the_first_party_has_signed() -> None:
    mou = _draft()
    _sign(mou, PANRB)
    assert mou.status == "signing"
    with pytest.raises(InvalidTransition) as refused:
        mou.revise(MouChanges(parties=[PANRB.agency_id, DAGRI.agency_id]), DIRECTORY)
    assert refused.value.extensions["current_state"] == "signing"


def test_a_party_with_working_team_members_cannot_be_dropped_from_the_draft() -> None:
    mou = _draft(PANRB, DAGRI, POLRI)
    mou.appoint_team_member(POLRI.agency_id, name="Kombes A", role="Anggota", agency=POLRI)
    with pytest.raises(Conflict):
        mou.revise(MouChanges(parties=[PANRB.agency_id, DAGRI.agency_id]), DIRECTORY)


# --- scheduling -------------------------------------------------------------------------------


def test_scheduling_the_signing_records_the_date_and_moving_it_records_again() -> None:
    mou = _draft()
    first = datetime(2022, 6, 28, 3, tzinfo=UTC)
    assert mou.schedule_signing(first) is True
    assert mou.schedule_signing(first) is False
    assert mou.schedule_signing(first + timedelta(days=1)) is True
    events = mou.collect_events()
    assert [e.type for e in events] == ["mou.signing_scheduled"] * 2
    assert [e.data.version for e in events] == [2, 3]
    assert mou.status == "draft"


# --- signing ----------------------------------------------------------------------------------


def test_the_first_signature_moves_the_draft_to_signing_and_records_who_signed() -> None:
    mou = _draft()
    _sign(mou, DAGRI, datetime(2022, 6, 28, 3, tzinfo=UTC), signatory_name="Bapak X")
    [event] = mou.collect_events()
    assert mou.status == "signing"
    assert event.type == "mou.party_signed"
    data = event.data.model_dump(mode="json")
    assert data["party"]["agency_id"] == DAGRI.agency_id
    assert data["party"]["code"] == "KEMENDAGRI"
    assert data["party"]["signatory_name"] == "Bapak X"
    assert data["party"]["signed_at"] == "2022-06-28T03:00:00Z"
    assert (data["signed_count"], data["party_count"]) == (1, 3)
    party = next(p for p in mou.parties if p.agency_id == DAGRI.agency_id)
    assert party.signatory_title == "Pejabat yang berwenang"


def test_the_last_signature_puts_the_mou_in_force_from_the_signing_day() -> None:
    mou = _draft(PANRB, DAGRI, valid_until=date(2027, 6, 28))
    _sign(mou, PANRB, datetime(2022, 6, 28, 2, tzinfo=UTC))
    _sign(mou, DAGRI, datetime(2022, 6, 28, 4, tzinfo=UTC))
    events = mou.collect_events()
    assert [(e.type, e.data.version) for e in events] == [
        ("mou.party_signed", 2),
        ("mou.party_signed", 3),
        ("mou.signed", 4),
    ]
    assert mou.status == "signed"
    assert mou.version == 4
    assert mou.valid_from == date(2022, 6, 28)
    assert mou.signed_at == datetime(2022, 6, 28, 4, tzinfo=UTC)
    signed = events[-1].data.model_dump(mode="json")
    assert signed["valid_from"] == "2022-06-28"
    assert signed["valid_until"] == "2027-06-28"
    assert [p["code"] for p in signed["parties"]] == ["KEMENPANRB", "KEMENDAGRI"]
    assert all(p["signatory_name"] and p["signed_at"] for p in signed["parties"])


def test_the_mou_is_in_force_from_the_latest_signature_whatever_the_order_of_requests() -> None:
    mou = _draft(PANRB, DAGRI)
    _sign(mou, PANRB, datetime(2022, 6, 28, 2, tzinfo=UTC))
    _sign(mou, DAGRI, datetime(2022, 6, 27, 2, tzinfo=UTC))
    assert mou.signed_at == datetime(2022, 6, 28, 2, tzinfo=UTC)
    assert mou.valid_from == date(2022, 6, 28)


def test_a_valid_from_given_at_drafting_is_kept_when_the_mou_is_signed() -> None:
    mou = _signed(PANRB, DAGRI, valid_from=date(2022, 7, 1))
    assert mou.valid_from == date(2022, 7, 1)


def test_only_a_party_may_sign() -> None:
    mou = _draft(PANRB, DAGRI)
    with pytest.raises(RuleViolated) as refused:
        _sign(mou, PLN)
    assert refused.value.field == "agency_id"
    assert "agc_pln" in refused.value.detail


def test_a_second_signature_by_the_same_party_is_refused() -> None:
    mou = _draft()
    _sign(mou, PANRB)
    mou.collect_events()
    with pytest.raises(Conflict):
        _sign(mou, PANRB, signatory_name="Someone else")
    assert mou.collect_events() == []
    assert next(p for p in mou.parties if p.code == "KEMENPANRB").signatory_name == (
        "Penandatangan KEMENPANRB"
    )


def test_a_signature_dated_in_the_future_is_refused() -> None:
    mou = _draft()
    with pytest.raises(RuleViolated) as refused:
        _sign(mou, PANRB, NOW + timedelta(days=1))
    assert refused.value.field == "signed_at"
    assert mou.status == "draft"


def test_a_signature_without_a_date_is_dated_now() -> None:
    mou = _draft()
    _sign(mou, PANRB)
    assert mou.parties[0].signed_at == NOW


def test_a_deactivated_party_can_no_longer_sign() -> None:
    mou = _draft(PANRB, DAGRI)
    with pytest.raises(Conflict) as refused:
        _sign(mou, DAGRI, agency=_known(DAGRI.agency_id, DAGRI.code, DAGRI.name, "inactive"))
    assert "deactivated" in refused.value.detail
    assert mou.parties[1].signed_at is None


def test_the_last_signature_is_refused_when_valid_until_would_fall_before_the_term_starts() -> None:
    mou = _draft(PANRB, DAGRI, valid_until=date(2022, 6, 28))
    _sign(mou, PANRB, datetime(2022, 6, 27, tzinfo=UTC))
    with pytest.raises(Conflict) as refused:
        _sign(mou, DAGRI, datetime(2022, 6, 28, 3, tzinfo=UTC))
    assert refused.value.extensions["field"] == "valid_until"
    assert mou.status == "signing"


@pytest.mark.parametrize("end", ["terminate", "expire"])
def test_signing_a_terminated_or_expired_mou_is_refused(end: str) -> None:
    mou = _draft(PANRB, DAGRI, POLRI, valid_until=date(2023, 6, 28))
    _sign(mou, PANRB, NOW - timedelta(days=1))
    _sign(mou, DAGRI, NOW - timedelta(days=1))
    if end == "terminate":
        mou.terminate("Dibatalkan")
    else:
        _sign(mou, POLRI, NOW - timedelta(days=1))
        mou.expire(date(2023, 6, 29))
    with pytest.raises(InvalidTransition) as refused:
        _sign(mou, POLRI)
    assert refused.value.extensions["current_state"] == mou.status


# --- the working team -------------------------------------------------------------------------


def test_a_working_team_member_comes_from_a_party_and_is_recorded_with_its_agency() -> None:
    mou = _signed(PANRB, DAGRI)
    mou.appoint_team_member(
        DAGRI.agency_id, name="Dirjen Dukcapil", role="Anggota", agency=DAGRI, at=NOW
    )
    [event] = mou.collect_events()
    assert event.type == "mou.team_member_added"
    assert event.data.model_dump()["member"] == {
        "agency_id": "agc_dagri",
        "agency_code": "KEMENDAGRI",
        "agency_name": "Kementerian Dalam Negeri",
        "name": "Dirjen Dukcapil",
        "role": "Anggota",
    }
    assert [(m.name, m.role, m.appointed_at) for m in mou.team] == [
        ("Dirjen Dukcapil", "Anggota", NOW)
    ]


def test_a_working_team_member_from_an_agency_that_is_not_a_party_is_refused() -> None:
    mou = _signed(PANRB, DAGRI)
    with pytest.raises(RuleViolated) as refused:
        mou.appoint_team_member(PLN.agency_id, name="X", role="Anggota", agency=PLN)
    assert refused.value.field == "agency_id"
    assert mou.team == []


def test_the_same_person_of_the_same_agency_is_appointed_once() -> None:
    mou = _signed(PANRB, DAGRI)
    mou.appoint_team_member(PANRB.agency_id, name="Deputi A", role="Ketua", agency=PANRB)
    with pytest.raises(Conflict):
        mou.appoint_team_member(PANRB.agency_id, name="deputi a", role="Anggota", agency=PANRB)
    assert len(mou.team) == 1


# --- termination and expiry -------------------------------------------------------------------


def test_terminating_records_the_reason_and_the_parties() -> None:
    mou = _signed(PANRB, DAGRI)
    mou.terminate("Digantikan oleh Nota Kesepahaman baru", at=NOW)
    [event] = mou.collect_events()
    assert mou.status == "terminated"
    assert mou.termination_reason == "Digantikan oleh Nota Kesepahaman baru"
    assert mou.terminated_at == NOW
    data = event.data.model_dump(mode="json")
    assert event.type == "mou.terminated"
    assert data["reason"] == "Digantikan oleh Nota Kesepahaman baru"
    assert [p["code"] for p in data["parties"]] == ["KEMENPANRB", "KEMENDAGRI"]


def test_a_termination_needs_a_reason_and_happens_once() -> None:
    mou = _signed(PANRB, DAGRI)
    with pytest.raises(RuleViolated):
        mou.terminate(" ")
    mou.terminate("Selesai")
    with pytest.raises(InvalidTransition):
        mou.terminate("Lagi")


def test_an_mou_in_force_expires_only_after_its_last_valid_day() -> None:
    mou = _signed(PANRB, DAGRI, valid_until=date(2027, 6, 28))
    assert not mou.is_due_to_expire(date(2027, 6, 28))
    with pytest.raises(InvalidTransition):
        mou.expire(date(2027, 6, 28))
    assert mou.is_due_to_expire(date(2027, 6, 29))
    mou.expire(date(2027, 6, 29), at=NOW)
    [event] = mou.collect_events()
    assert mou.status == "expired"
    assert event.type == "mou.expired"
    assert event.data.model_dump(mode="json")["valid_until"] == "2027-06-28"


def test_an_mou_without_an_end_or_not_yet_in_force_never_expires() -> None:
    assert not _signed(PANRB, DAGRI).is_due_to_expire(date(2100, 1, 1))
    draft = _draft(PANRB, DAGRI, valid_until=date(2022, 12, 31))
    assert not draft.is_due_to_expire(date(2100, 1, 1))


def test_a_change_based_on_a_stale_version_is_refused() -> None:
    mou = _signed(PANRB, DAGRI)
    with pytest.raises(PreconditionFailed):
        mou.ensure_version(1)
    mou.ensure_version(mou.version)
