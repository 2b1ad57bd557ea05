"""Webhook secrets are encrypted in notify's store, keys rotate, and no log line holds one."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet

from services.notify.domain import UNREADABLE_SECRET, Subscription
from services.notify.repository import COLLECTION, SubscriptionRepository
from shared.logging import configure_logging, get_logger
from shared.repository import to_document
from shared.secrets import SecretBox
from shared.storage import Storage
from tests.support.catalogue_events import agency_registered, publish
from tests.support.notify import AUTH, running_notify, subscribe
from tests.support.webhooks import WebhookReceiver


def key() -> str:
    return Fernet.generate_key().decode()


def secret_body(secret: str) -> str:
    """The part of a ``whsec_`` secret that is the key itself."""
    return secret.removeprefix("whsec_")


@pytest.mark.broker
async def test_the_store_holds_secrets_encrypted_and_deliveries_still_verify(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    async with WebhookReceiver() as receiver, running_notify(notify_storage) as notify:
        created = await subscribe(notify, receiver, ["agency.registered"])
        rotated = await notify.client.post(
            f"/subscriptions/{created['id']}/rotate-secret", headers=AUTH
        )
        old, new = created["secret"], rotated.json()["secret"]
        receiver.trust(new)
        raw = await notify_storage.db[COLLECTION].find_one({"_id": created["id"]})
        await publish(event)
        [hook] = await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)

    assert raw is not None
    stored = repr(raw)
    for secret in (old, new):
        assert secret_body(secret) not in stored
    assert raw["secret"].startswith("fernet:")
    assert [p["secret"][:7] for p in raw["previous_secrets"]] == ["fernet:"]
    assert hook.verifies_with(old) and hook.verifies_with(new)


@pytest.mark.broker
async def test_keys_rotate_a_new_first_key_re_encrypts_at_start_and_the_old_can_go(
    rabbitmq: str, notify_storage: Storage
) -> None:
    old_key, new_key = key(), key()
    event = agency_registered()
    async with WebhookReceiver() as receiver:
        async with running_notify(notify_storage, mpp_secret_keys=old_key) as notify:
            created = await subscribe(notify, receiver, ["agency.registered"])
        async with running_notify(notify_storage, mpp_secret_keys=f"{new_key},{old_key}"):
            raw = await notify_storage.db[COLLECTION].find_one({"_id": created["id"]})
        async with running_notify(notify_storage, mpp_secret_keys=new_key):
            await publish(event)
            [hook] = await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)

    assert raw is not None
    assert SecretBox([new_key]).decrypt(raw["secret"]) == created["secret"]
    assert hook.verifies_with(created["secret"])


async def test_a_plain_text_secret_from_before_encryption_is_encrypted_at_start(
    notify_storage: Storage,
) -> None:
    box = SecretBox([key()])
    legacy = Subscription.create(url="https://hooks.example.go.id/mpp", event_types=["#"])
    legacy.rotate_secret(timedelta(hours=1))
    await notify_storage.db[COLLECTION].insert_one(to_document(legacy))
    repository = SubscriptionRepository(notify_storage.db, box)

    assert await repository.secure_stored_secrets() == 1
    raw = await notify_storage.db[COLLECTION].find_one({"_id": legacy.id})
    assert raw is not None
    assert secret_body(legacy.secret) not in repr(raw)
    assert secret_body(legacy.previous_secrets[0].secret) not in repr(raw)
    loaded = await repository.get(legacy.id)
    assert loaded.signing_secrets() == legacy.signing_secrets()
    assert await repository.secure_stored_secrets() == 0


async def test_a_secret_no_key_reads_is_kept_as_stored_until_it_is_rotated(
    notify_storage: Storage,
) -> None:
    lost, current = SecretBox([key()]), SecretBox([key()])
    subscription = Subscription.create(url="https://hooks.example.go.id/mpp", event_types=["#"])
    await SubscriptionRepository(notify_storage.db, lost).add(subscription)
    before = await notify_storage.db[COLLECTION].find_one({"_id": subscription.id})
    repository = SubscriptionRepository(notify_storage.db, current)

    unreadable = await repository.get(subscription.id)
    assert unreadable.secret == UNREADABLE_SECRET
    unreadable.disable("the receiver answered 410 Gone")
    await repository.save(unreadable)
    after = await notify_storage.db[COLLECTION].find_one({"_id": subscription.id})
    assert before is not None and after is not None
    assert after["secret"] == before["secret"]  # the right key may come back
    assert after["status"] == "disabled"

    fresh = unreadable.rotate_secret(timedelta(0))
    await repository.save(unreadable)
    assert (await repository.get(subscription.id)).signing_secrets() == [fresh]


@contextmanager
def json_logs() -> Iterator[io.StringIO]:
    """What the service logs, as in production (JSON), while the block runs."""
    captured, real = io.StringIO(), sys.stderr
    sys.stderr = captured
    try:
        configure_logging("notify", level="INFO", fmt="json")
    finally:
        sys.stderr = real
    try:
        yield captured
    finally:
        configure_logging("tests", level="INFO", fmt="console")


@pytest.mark.broker
async def test_no_secret_or_credential_reaches_a_log_line(
    rabbitmq: str, notify_storage: Storage
) -> None:
    event = agency_registered()
    token_url_query = "?token=tok-6d1c9a0e&tenant=7"
    with json_logs() as logs:
        async with WebhookReceiver() as receiver, running_notify(notify_storage) as notify:
            receiver.path = "/hooks/mpp" + token_url_query
            created = await subscribe(notify, receiver, ["agency.registered"])
            rotated = await notify.client.post(
                f"/subscriptions/{created['id']}/rotate-secret", headers=AUTH
            )
            receiver.trust(rotated.json()["secret"])
            refused = await notify.client.post(
                "/subscriptions",
                json={"url": "https://alice:hunter2@hooks.example.go.id/", "event_types": ["#"]},
                headers=AUTH,
            )
            await publish(event)
            await receiver.wait_for(lambda h: h.webhook_id == event.id and h.accepted)
            await notify.client.post(
                f"/subscriptions/{created['id']}/rotate-secret",
                json={"grace_seconds": 0},
                headers=AUTH,
            )
    written = logs.getvalue()

    assert refused.status_code == 422
    assert '"event": "subscription.created"' in written
    assert '"event": "subscription.secret_rotated"' in written
    assert '"event": "delivery.succeeded"' in written
    for leak in (
        secret_body(created["secret"]),
        secret_body(rotated.json()["secret"]),
        "hunter2",
        "tok-6d1c9a0e",
        "fernet:gAAAA",
    ):
        assert leak not in written, leak


def test_log_lines_from_any_library_are_scrubbed_by_the_service_logging() -> None:
    secret = Subscription.create(url="https://hooks.example.go.id/", event_types=["#"]).secret
    with json_logs() as logs:
        logging.getLogger("httpx").warning(
            "HTTP Request: POST https://alice:hunter2@hooks.example.go.id/?sig=s1gn4ture"
        )
        get_logger("services.notify.test").warning("rotated", secret=secret, note=secret)
    written = logs.getvalue()

    assert '"event": "rotated"' in written and "HTTP Request: POST https://" in written
    for leak in ("hunter2", "s1gn4ture", secret_body(secret)):
        assert leak not in written, leak
