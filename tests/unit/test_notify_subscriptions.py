"""Webhook subscriptions: what may be subscribed, and how their status moves."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notify.domain import Subscription, SubscriptionChanges
from shared.errors import InvalidTransition, RuleViolated


def subscription(**overrides: object) -> Subscription:
    values: dict[str, object] = {
        "url": "https://hooks.example.go.id/mpp",
        "event_types": ["mou.*", "mall.inaugurated"],
        "description": "Dashboard KemenPANRB",
    }
    values.update(overrides)
    return Subscription.create(**values)  # type: ignore[arg-type]


def test_a_new_subscription_is_active_at_version_one_with_its_own_secret() -> None:
    first, second = subscription(), subscription()

    assert first.status == "active"
    assert first.version == 1
    assert first.id.startswith("sub_")
    assert first.secret.startswith("whsec_")
    assert first.secret != second.secret
    assert first.secret not in repr(first)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.go.id/mpp",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "hooks.example.go.id/mpp",
        "https://",
        "http://host:port/x",
        "https://hooks.example.go.id/a b",
        "https://example.go.id/" + "x" * 2100,
    ],
)
def test_only_absolute_http_or_https_urls_are_accepted(url: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        subscription(url=url)
    assert refused.value.field == "url"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hooks", "https://hooks.example.go.id/mpp?token=1"]
)
def test_http_and_https_urls_with_ports_and_queries_are_accepted(url: str) -> None:
    assert subscription(url=url).url == url


@pytest.mark.parametrize(
    ("patterns", "field"),
    [
        ([], "event_types"),
        (["mou.*", "Mall.Inaugurated"], "event_types.1"),
        (["mou..x"], "event_types.0"),
    ],
)
def test_event_types_must_be_topic_patterns(patterns: list[str], field: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        subscription(event_types=patterns)
    assert refused.value.field == field


def test_patterns_match_as_amqp_topics_would() -> None:
    wanted = subscription(event_types=["mou.*", "mall.inaugurated"])
    everything = subscription(event_types=["#"])
    malls = subscription(event_types=["mall.#"])

    assert wanted.wants("mou.signed") and wanted.wants("mall.inaugurated")
    assert not wanted.wants("mall.inauguration_scheduled")
    assert not wanted.wants("agency.registered")
    assert everything.wants("agency.registered")
    assert malls.wants("mall.counter_opened") and not malls.wants("mou.signed")


def test_repeated_patterns_are_kept_once() -> None:
    assert subscription(event_types=["mou.*", "mou.*", "#"]).event_types == ["mou.*", "#"]


def test_pausing_and_resuming_move_the_version_and_nothing_else_does_when_unchanged() -> None:
    sub = subscription()

    assert sub.update(SubscriptionChanges(status="paused")) == ["status"]
    assert (sub.status, sub.version) == ("paused", 2)
    assert sub.update(SubscriptionChanges(status="paused", url=sub.url)) == []
    assert sub.version == 2
    assert sub.update(SubscriptionChanges(status="active")) == ["status"]
    assert (sub.status, sub.version) == ("active", 3)


def test_disabled_cannot_be_set_by_hand() -> None:
    with pytest.raises(ValidationError):
        SubscriptionChanges.model_validate({"status": "disabled"})


@pytest.mark.parametrize("field", ["url", "event_types", "status"])
def test_the_url_patterns_and_status_cannot_be_removed(field: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        subscription().update(SubscriptionChanges.model_validate({field: None}))
    assert refused.value.field == field


def test_the_description_can_be_removed() -> None:
    sub = subscription()
    assert sub.update(SubscriptionChanges(description=None)) == ["description"]
    assert sub.description is None


def test_the_secret_cannot_be_patched() -> None:
    with pytest.raises(ValidationError):
        SubscriptionChanges.model_validate({"secret": "whsec_x"})


def test_disabling_keeps_the_reason_and_re_enabling_clears_it() -> None:
    sub = subscription()

    assert sub.disable("10 messages in a row failed every attempt; the last: HTTP 500")
    assert sub.status == "disabled"
    assert sub.disabled_reason is not None and "10 messages" in sub.disabled_reason
    assert not sub.disable("again")
    assert sub.version == 2

    sub.update(SubscriptionChanges(status="active"))
    assert (sub.status, sub.disabled_reason, sub.disabled_at) == ("active", None, None)


def test_a_disabled_subscription_refuses_replays_and_retries_until_re_enabled() -> None:
    sub = subscription()
    sub.ensure_deliverable()
    sub.disable("the receiver answered 410 Gone")

    with pytest.raises(InvalidTransition) as refused:
        sub.ensure_deliverable()
    assert "410" in refused.value.detail
