"""``python -m shared.messaging.dlq``: which broker and vhost it looks at when not told."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from shared.messaging import dlq


@pytest.fixture
def seen_urls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    urls: list[str] = []

    async def depths(url: str, queues: tuple[str, ...] = dlq.DEFAULT_QUEUES) -> dict[str, int]:
        urls.append(url)
        return dict.fromkeys(queues, 0)

    monkeypatch.setattr(dlq, "dead_letter_depths", depths)
    for name in ("OPERATOR_RABBITMQ_URL", "RABBITMQ_URL", "MPP_VHOST"):
        monkeypatch.delenv(name, raising=False)
    return urls


def test_without_a_url_it_looks_in_the_platforms_vhost_never_the_root_one(
    seen_urls: list[str],
) -> None:
    assert dlq.main(["list"]) == 0
    assert urlsplit(seen_urls[0]).path == "/mpp"


def test_it_follows_mpp_vhost_as_scripts_run_does(
    seen_urls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MPP_VHOST", "staging")
    assert dlq.main(["list"]) == 0
    assert urlsplit(seen_urls[0]).path == "/staging"


def test_the_operators_url_from_provisioning_comes_before_a_services_url(
    seen_urls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RABBITMQ_URL", "amqp://mpp-mall:x@127.0.0.1:5672/mpp")
    monkeypatch.setenv("OPERATOR_RABBITMQ_URL", "amqp://mpp-operator:y@127.0.0.1:5672/mpp")
    assert dlq.main(["list"]) == 0
    assert seen_urls == ["amqp://mpp-operator:y@127.0.0.1:5672/mpp"]


def test_an_absent_queue_names_the_vhost_it_was_looked_for_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def depths(url: str, queues: tuple[str, ...] = dlq.DEFAULT_QUEUES) -> dict[str, int]:
        return dict.fromkeys(queues, -1)

    monkeypatch.setattr(dlq, "dead_letter_depths", depths)
    assert dlq.main(["--url", "amqp://guest:guest@127.0.0.1:5672/other", "list"]) == 0
    assert "absent from vhost other" in capsys.readouterr().out


def test_a_broker_it_cannot_open_is_one_clear_line_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "amqp://guest:s3cret@127.0.0.1:9/nowhere"  # nothing listens on the discard port
    with pytest.raises(SystemExit) as exit_:
        dlq.main(["--url", url, "list"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "127.0.0.1:9/nowhere" in err and "s3cret" not in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
