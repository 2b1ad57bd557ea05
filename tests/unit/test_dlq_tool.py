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


OPERATOR_URL = "amqp://mpp-operator:y@127.0.0.1:5672/mpp"


@pytest.mark.parametrize(
    ("environment", "looked_at"),
    [
        pytest.param({}, "/mpp", id="the platform's vhost, never the root one, by default"),
        pytest.param({"MPP_VHOST": "staging"}, "/staging", id="MPP_VHOST as scripts/run does"),
        pytest.param(
            {
                "RABBITMQ_URL": "amqp://mpp-mall:x@127.0.0.1:5672/mpp",
                "OPERATOR_RABBITMQ_URL": OPERATOR_URL,
            },
            OPERATOR_URL,
            id="the operator's URL from provisioning before a service's",
        ),
    ],
)
def test_without_a_url_it_finds_the_broker_and_vhost_from_the_environment(
    seen_urls: list[str],
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    looked_at: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert dlq.main(["list"]) == 0
    [url] = seen_urls
    # A whole URL where the test names one, else the vhost path it must have chosen.
    assert (url if "://" in looked_at else urlsplit(url).path) == looked_at


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
