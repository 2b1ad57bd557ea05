"""Start-up against a broker that refuses us: one line naming the URL (no password) and why.

Before: a wrong password was retried for 64 s; a missing vhost ended in ``InvalidFrameError``
and 419 log lines; an unreachable broker in a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from shared.messaging.provision import NOTHING, BrokerUser
from tests.support.processes import ROOT, free_port
from tests.support.vhost import credentials, management, vhost_of

pytestmark = pytest.mark.broker

SECRET = "n0t-the-Password"


def _with(url: str, *, user: str | None = None, password: str, vhost: str | None = None) -> str:
    parts = urlsplit(url)
    name = user or parts.username or "guest"
    path = "/" + quote(vhost, safe="") if vhost is not None else parts.path
    netloc = f"{quote(name, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def _start_agency(rabbitmq_url: str, timeout: float = 60) -> tuple[int, list[str], float]:
    """Run ``python -m services.agency`` until it exits; its exit code, log lines, seconds."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "services.agency"],
        cwd=ROOT,
        env={
            **os.environ,
            "RABBITMQ_URL": rabbitmq_url,
            "PORT": str(free_port()),
            "LOG_FORMAT": "json",
            "MPP_API_KEY": "k",
            "BROKER_CONNECT_TIMEOUT_SECONDS": "3",
        },
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = (result.stdout + result.stderr).splitlines()
    return result.returncode, lines, time.monotonic() - started


def _failure_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if '"level": "error"' in line or "Traceback" in line]


def test_a_wrong_password_ends_start_up_at_once_with_one_line(rabbitmq: str) -> None:
    code, lines, seconds = _start_agency(_with(rabbitmq, password=SECRET))
    assert code == 1
    assert seconds < 20, f"took {seconds:.0f} s"
    [line] = _failure_lines(lines)
    assert "ACCESS_REFUSED" in line and "check the user name and password" in line
    assert ":***@" in line
    assert not any(SECRET in line for line in lines)
    assert len(lines) <= 4, lines


def test_a_missing_vhost_ends_start_up_at_once_with_one_line_naming_it(rabbitmq: str) -> None:
    user, password = credentials(rabbitmq)
    vhost = f"mpp-absent-{uuid.uuid4().hex[:8]}"
    code, lines, seconds = _start_agency(_with(rabbitmq, password=password, vhost=vhost))
    assert code == 1
    assert seconds < 20, f"took {seconds:.0f} s"
    [line] = _failure_lines(lines)
    assert f"virtual host '{vhost}'" in line and "NOT_ALLOWED" in line
    assert f"{user}:***@" in line
    assert len(lines) <= 4, lines


def test_a_user_without_permissions_on_the_vhost_is_refused_at_once(rabbitmq: str) -> None:
    user = f"mpp-test-noperm-{uuid.uuid4().hex[:8]}"
    nothing = BrokerUser("noperm", user, configure=NOTHING, write=NOTHING, read=NOTHING,
                         topic_write=NOTHING)  # fmt: skip
    api = management()
    api.put_user(nothing, SECRET)  # no permissions are put anywhere
    try:
        code, lines, seconds = _start_agency(_with(rabbitmq, user=user, password=SECRET))
    finally:
        api.delete_user(user)
        api.close()
    assert code == 1
    assert seconds < 20, f"took {seconds:.0f} s"
    [line] = _failure_lines(lines)
    assert f"virtual host '{vhost_of(rabbitmq)}'" in line and f"user '{user}'" in line
    assert SECRET not in "\n".join(lines)


def test_an_unreachable_broker_is_retried_then_one_line_says_what_was_tried(
    rabbitmq: str,
) -> None:
    _, password = credentials(rabbitmq)
    dead = [f"amqp://guest:{password}@127.0.0.1:{free_port()}/" for _ in range(2)]
    code, lines, seconds = _start_agency(",".join(dead))
    assert code == 1
    assert 3 <= seconds < 30
    [line] = _failure_lines(lines)
    assert "RabbitMQ unreachable: tried" in line and "BROKER_CONNECT_TIMEOUT_SECONDS=3" in line
    assert all(url.replace(f":{password}@", ":***@") in line for url in dead)
    retries = [line for line in lines if "broker.unreachable" in line]
    assert retries, "each retry is logged as a warning"


def test_dlq_replay_of_an_unknown_queue_is_one_line_and_a_non_zero_exit(rabbitmq: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "shared.messaging.dlq", "replay", "nosuchqueue"],
        cwd=ROOT,
        env={**os.environ, "RABBITMQ_URL": rabbitmq},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert "no dead-letter queue nosuchqueue.dlq" in result.stderr
