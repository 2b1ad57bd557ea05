"""Standard Webhooks signatures, checked with the ``standardwebhooks`` package's own code."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.notify.domain import Subscription
from services.notify.signing import (
    MIN_SECRET_BYTES,
    new_secret,
    secret_key,
    sign,
    signature_header,
    webhook_headers,
)

# The example of the Standard Webhooks specification (and of its reference libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

CLOUDEVENT = json.dumps(
    {
        "specversion": "1.0",
        "id": "0b5e0c8e-7d0a-4a43-9c55-2f0c3d1c6c11",
        "type": "mall.inaugurated",
        "source": "/mpp/mall",
        "subject": "mal_01",
        "time": "2022-05-24T02:00:00Z",
        "datacontenttype": "application/json",
        "data": {"mall_id": "mal_01", "name": "MPP Kabupaten Sanggau", "version": 5},
        "correlationid": "req-1",
    },
    separators=(",", ":"),
    ensure_ascii=False,
).encode()


def test_the_specification_example_gets_the_specified_signature() -> None:
    assert sign(SPEC_SECRET, SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_BODY) == SPEC_SIGNATURE
    reference = Webhook(SPEC_SECRET).sign(
        SPEC_MSG_ID, datetime.fromtimestamp(SPEC_TIMESTAMP, tz=UTC), SPEC_BODY.decode()
    )
    assert reference == SPEC_SIGNATURE


@pytest.mark.parametrize(
    ("msg_id", "body"),
    [
        ("evt-1", CLOUDEVENT),
        ("0b5e0c8e-7d0a-4a43-9c55-2f0c3d1c6c11", b"{}"),
        ("evt-unicode", '{"name":"Kantor Imigrasi Kelas II Non TPI Sanggau — gerai"}'.encode()),
        ("evt.with.dots", b'{"a":"x.y.z"}'),
    ],
)
def test_signatures_match_the_reference_library_for_the_same_inputs(
    msg_id: str, body: bytes
) -> None:
    secret = new_secret()
    timestamp = 1653357600
    ours = sign(secret, msg_id, timestamp, body)
    reference = Webhook(secret).sign(
        msg_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode()
    )
    assert ours == reference


def test_headers_for_a_delivery_pass_the_standardwebhooks_verifier() -> None:
    secret = new_secret()
    headers = webhook_headers([secret], "evt-1", int(time.time()), CLOUDEVENT)

    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert headers["webhook-id"] == "evt-1"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(CLOUDEVENT, headers)["type"] == "mall.inaugurated"


def test_the_verifier_refuses_a_changed_body_id_timestamp_or_secret() -> None:
    secret = new_secret()
    now = int(time.time())
    headers = webhook_headers([secret], "evt-1", now, CLOUDEVENT)
    tampered_body = CLOUDEVENT.replace(b"Sanggau", b"Sangga_")

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered_body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(CLOUDEVENT, {**headers, "webhook-id": "evt-2"})
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(CLOUDEVENT, {**headers, "webhook-timestamp": str(now - 1)})
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(CLOUDEVENT, headers)


def test_new_secrets_are_whsec_and_base64_of_at_least_24_random_bytes() -> None:
    secrets = {new_secret() for _ in range(50)}

    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        raw = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        assert len(raw) >= MIN_SECRET_BYTES
        assert secret_key(secret) == raw


@pytest.mark.parametrize(
    "secret",
    ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_" + "QUJD" * 2, "whsec_"],
)
def test_a_secret_that_is_not_whsec_and_24_bytes_of_base64_is_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        secret_key(secret)


def test_nothing_is_signed_without_a_secret() -> None:
    with pytest.raises(ValueError, match="unsigned"):
        signature_header([], "evt-1", 1, b"{}")


def test_during_a_rotation_both_signatures_are_sent_and_each_verifies_alone() -> None:
    subscription = Subscription.create(url="https://hooks.example.go.id/mpp", event_types=["#"])
    old = subscription.secret
    new = subscription.rotate_secret(timedelta(hours=24))
    now = datetime.now(UTC)

    assert new != old
    assert subscription.signing_secrets(now) == [new, old]
    headers = webhook_headers(
        subscription.signing_secrets(now), "evt-1", int(now.timestamp()), CLOUDEVENT
    )
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2
    assert all(s.startswith("v1,") for s in signatures)
    assert Webhook(old).verify(CLOUDEVENT, headers)
    assert Webhook(new).verify(CLOUDEVENT, headers)


def test_after_the_grace_period_only_the_new_secret_signs() -> None:
    subscription = Subscription.create(url="https://hooks.example.go.id/mpp", event_types=["#"])
    old = subscription.secret
    new = subscription.rotate_secret(timedelta(hours=24))
    later = datetime.now(UTC) + timedelta(hours=24, seconds=1)

    assert subscription.signing_secrets(later) == [new]
    headers = webhook_headers(
        subscription.signing_secrets(later), "evt-1", int(time.time()), CLOUDEVENT
    )
    assert Webhook(new).verify(CLOUDEVENT, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(CLOUDEVENT, headers)


def test_a_rotation_without_grace_stops_the_old_secret_at_once() -> None:
    subscription = Subscription.create(url="https://hooks.example.go.id/mpp", event_types=["#"])
    new = subscription.rotate_secret(timedelta(0))

    assert subscription.signing_secrets() == [new]
    assert subscription.previous_secrets == []
