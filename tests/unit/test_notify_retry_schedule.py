"""The retry schedule: Standard Webhooks' delays, jitter within bounds, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pydantic import ValidationError

from services.notify.retry import RetryPolicy, parse_retry_after, pick_tier
from services.notify.settings import NotifySettings, parse_schedule

STANDARD = (0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def test_the_default_schedule_is_that_of_standard_webhooks() -> None:
    settings = NotifySettings()

    assert settings.retry_schedule == STANDARD
    assert RetryPolicy(settings.retry_schedule).attempts == 10


def test_without_jitter_each_failure_waits_the_next_delay_of_the_schedule() -> None:
    policy = RetryPolicy(STANDARD, jitter=0)

    assert policy.first_delay() == 0
    assert [policy.delay_after(n) for n in range(1, 10)] == list(STANDARD[1:])


def test_the_message_is_dead_once_the_last_scheduled_attempt_failed() -> None:
    policy = RetryPolicy((0, 0.2, 0.4), jitter=0)

    assert policy.delay_after(2) == 0.4
    assert policy.delay_after(3) is None
    assert policy.delay_after(4) is None


def test_jitter_keeps_every_delay_within_ten_percent_and_varies_it() -> None:
    policy = RetryPolicy(STANDARD, jitter=0.1, rng=random.Random(7))

    for failed in range(1, 10):
        delays = [policy.delay_after(failed) for _ in range(200)]
        nominal = STANDARD[failed]
        assert all(d is not None and nominal * 0.9 <= d <= nominal * 1.1 for d in delays)
        assert len(set(delays)) > 100  # really spread, not a constant


def test_an_immediate_first_attempt_is_not_jittered() -> None:
    assert RetryPolicy(STANDARD, jitter=0.1).first_delay() == 0


def test_retry_after_replaces_the_scheduled_delay_but_is_capped() -> None:
    policy = RetryPolicy(STANDARD, jitter=0.1, retry_after_max=3600)

    assert policy.delay_after(1, retry_after=120) == 120
    assert policy.delay_after(1, retry_after=7 * 86400) == 3600
    assert policy.delay_after(1, retry_after=0) == 0


def test_retry_after_gives_no_attempt_beyond_the_schedule() -> None:
    assert RetryPolicy((0, 5), jitter=0).delay_after(2, retry_after=1) is None


def test_retry_after_in_seconds_is_read() -> None:
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 0 ") == 0


def test_retry_after_as_an_http_date_is_the_time_until_then() -> None:
    now = datetime(2022, 5, 24, 9, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(minutes=5), usegmt=True)

    assert later.endswith("GMT")
    assert parse_retry_after(later, now) == 300


def test_retry_after_in_the_past_means_at_once() -> None:
    now = datetime(2022, 5, 24, 9, 0, tzinfo=UTC)
    assert parse_retry_after("Tue, 24 May 2022 08:00:00 GMT", now) == 0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Tue, 99 Foo 2022"])
def test_a_missing_or_unreadable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value) is None


@pytest.mark.parametrize("raw", ["", "5,x", "0,-1", ",,"])
def test_a_schedule_that_is_not_a_list_of_seconds_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(raw)
    with pytest.raises(ValidationError):
        NotifySettings(webhook_retry_schedule=raw)


def test_a_schedule_can_be_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "0, 1.5, 30")

    assert NotifySettings().retry_schedule == (0, 1.5, 30)


@pytest.mark.parametrize("value", ["\u00b2", "\u0663", "9" * 5000, "1" * 30, "\uff11\uff10"])
def test_a_retry_after_of_odd_digits_or_absurd_length_is_ignored_not_an_error(value: str) -> None:
    assert parse_retry_after(value) is None


def test_a_huge_but_readable_retry_after_is_capped_not_an_error() -> None:
    assert parse_retry_after("99999999999") is not None
    assert RetryPolicy((0, 5), retry_after_max=60).delay_after(1, 1e12) == 60


def test_a_delay_picks_the_shortest_tier_no_earlier_than_it() -> None:
    tiers = [5000, 300000, 1800000]

    assert pick_tier(tiers, 0) == 5000
    assert pick_tier(tiers, 5) == 5000
    assert pick_tier(tiers, 5.001) == 300000
    assert pick_tier(tiers, 120) == 300000
    assert pick_tier(tiers, 86400) == 1800000  # the longest; the message carries when it is due
