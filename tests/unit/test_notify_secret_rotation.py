"""Rotating a subscription's signing secret: grace periods, and revoking after a leak."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.domain import (
    UNREADABLE_SECRET,
    PreviousSecret,
    SecretUnavailable,
    Subscription,
)

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def subscription() -> Subscription:
    return Subscription.create(url="https://hooks.example.go.id/mpp", event_types=["#"])


def test_during_the_grace_period_the_old_and_the_new_secret_both_sign() -> None:
    sub = subscription()
    first = sub.secret
    second = sub.rotate_secret(24 * HOUR, at=T0)

    assert sub.signing_secrets(T0 + HOUR) == [second, first]
    assert sub.signing_secrets(T0 + 25 * HOUR) == [second]


def test_rotating_with_no_grace_revokes_every_earlier_secret() -> None:
    sub = subscription()
    first = sub.secret
    sub.rotate_secret(24 * HOUR, at=T0)
    sub.rotate_secret(24 * HOUR, at=T0 + HOUR)
    newest = sub.rotate_secret(timedelta(0), at=T0 + 2 * HOUR)

    assert sub.signing_secrets(T0 + 2 * HOUR) == [newest]
    assert sub.previous_secrets == []
    assert first not in sub.signing_secrets(T0 + 2 * HOUR)


def test_no_earlier_secret_outlives_the_latest_rotations_grace() -> None:
    sub = subscription()
    first = sub.secret
    second = sub.rotate_secret(72 * HOUR, at=T0)
    third = sub.rotate_secret(HOUR, at=T0 + HOUR)

    assert sub.signing_secrets(T0 + 90 * timedelta(minutes=1)) == [third, second, first]
    assert sub.signing_secrets(T0 + 2 * HOUR + timedelta(seconds=1)) == [third]


def test_an_unreadable_secret_fails_signing_clearly_and_a_rotation_replaces_it() -> None:
    sub = subscription()
    sub.secret = UNREADABLE_SECRET
    sub.previous_secrets = [PreviousSecret(secret=UNREADABLE_SECRET, expires_at=T0 + HOUR)]

    with pytest.raises(SecretUnavailable, match="MPP_SECRET_KEYS"):
        sub.signing_secrets(T0)
    fresh = sub.rotate_secret(24 * HOUR, at=T0)
    assert sub.signing_secrets(T0) == [fresh]
    assert sub.previous_secrets == []
