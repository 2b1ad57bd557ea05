"""Who may publish which event: the rules ``verify_publisher`` applies, without a broker."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pydantic import ValidationError

from shared.events.envelope import CloudEvent
from shared.messaging.identity import (
    RELAYED_FROM_HEADER,
    BrokerIdentities,
    believed,
    refusal,
    verify_publisher,
)
from shared.messaging.publisher import amqp_user

pytestmark = pytest.mark.security

IDENTITIES = BrokerIdentities.parse("agency=mpp-agency,mou=mpp-mou,mall=mpp-mall,notify=mpp-notify")


@dataclass
class Message:
    user_id: str | None
    headers: dict[str, object] = field(default_factory=dict)


def _event(event_type: str, source: str | None = None) -> CloudEvent:
    return CloudEvent.new(
        type=event_type,
        source=source or f"/mpp/{event_type.split('.')[0]}",
        subject="s",
        data={"version": 1},
        correlation_id="c",
    )


def test_an_event_from_its_owner_with_its_source_is_believed() -> None:
    assert refusal(_event("mou.signed"), "mpp-mou", IDENTITIES) is None
    verify_publisher(_event("mall.planned"), Message("mpp-mall"), IDENTITIES)


@pytest.mark.parametrize(
    ("event_type", "source", "user_id"),
    [
        ("mou.signed", None, "mpp-mall"),
        ("mou.signed", None, None),
        ("mou.signed", None, "guest"),
        ("mou.signed", "/attacker/mou", "mpp-mou"),
        ("mou.signed", "/mpp/mall", "mpp-mou"),
        ("billing.charged", None, "mpp-mou"),
    ],
)
def test_anything_else_is_refused_as_a_validation_error_naming_user_id(
    event_type: str, source: str | None, user_id: str | None
) -> None:
    with pytest.raises(ValidationError) as refused:
        verify_publisher(_event(event_type, source), Message(user_id), IDENTITIES)
    [error] = refused.value.errors()
    assert error["type"] == "untrusted_publisher"
    assert error["loc"] == ("user_id",)


def test_without_identities_every_publisher_is_believed() -> None:
    verify_publisher(_event("mou.signed", "/attacker"), Message(None), BrokerIdentities())


@pytest.mark.parametrize("value", ["agency", "agency=", "=mpp-agency", "mou=a,mou=b"])
def test_a_malformed_identities_setting_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="MPP_BROKER_IDENTITIES"):
        BrokerIdentities.parse(value)


def test_the_publisher_user_id_is_the_urls_user_decoded() -> None:
    assert amqp_user("amqp://mpp-mou:s3cret@rabbitmq:5672/mpp") == "mpp-mou"
    assert amqp_user("amqp://a%40b:x@h/") == "a@b"
    assert amqp_user("amqp://h/") == "guest"


def test_a_copy_notify_relayed_is_checked_against_the_publisher_it_recorded() -> None:
    relayed = Message("mpp-notify", {RELAYED_FROM_HEADER: "mpp-mou"})
    assert believed(_event("mou.signed"), relayed, IDENTITIES)
    forged_relay = Message("mpp-notify", {RELAYED_FROM_HEADER: "mpp-mall"})
    assert not believed(_event("mou.signed"), forged_relay, IDENTITIES)


def test_only_notify_can_vouch_for_an_original_publisher() -> None:
    claimed = Message("mpp-mall", {RELAYED_FROM_HEADER: "mpp-mou"})
    assert not believed(_event("mou.signed"), claimed, IDENTITIES)
    with pytest.raises(ValidationError):
        verify_publisher(_event("mou.signed"), claimed, IDENTITIES)


def test_a_consumer_may_have_the_refusal_raised_as_its_own_error() -> None:
    class Rejected(ValueError):
        def __init__(self, reason: str, detail: object = None) -> None:
            super().__init__(reason)
            self.reason, self.detail = reason, detail

    with pytest.raises(Rejected) as refused:
        verify_publisher(_event("mou.signed"), Message("mpp-mall"), IDENTITIES, refuse=Rejected)
    assert refused.value.reason == "untrusted_publisher"
    assert "mpp-mou" in str(refused.value.detail)
