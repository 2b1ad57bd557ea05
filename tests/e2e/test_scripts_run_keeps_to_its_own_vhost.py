"""``scripts/run`` provisions the broker in a vhost of its own, and never falls back to ``/``.

Each test gives ``scripts/run`` a service name that does not exist, so it stops right after
choosing the broker (``python -m services`` refuses the name, exit 2) and never connects a
service anywhere: what it printed and its exit code say what it would have done.
"""

from __future__ import annotations

import os
import subprocess
from urllib.parse import unquote, urlsplit

import aio_pika
import pytest

from shared.messaging.provision import deprovision
from tests.support.processes import ROOT
from tests.support.servers import RABBITMQ_URL
from tests.support.vhost import BASE_RABBITMQ_URL

pytestmark = pytest.mark.broker

NO_SUCH_SERVICE = "no-such-service"


def _run(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RABBITMQ_URL", "MPP_BROKER_IDENTITIES", "MPP_VHOST")
        and not k.startswith("MPP_BROKER_USER")
    }
    env.update(MPP_API_KEY="k" * 32, **variables)
    return subprocess.run(
        ["scripts/run", NO_SUCH_SERVICE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _admin_url_with_password(password: str) -> str:
    parts = urlsplit(BASE_RABBITMQ_URL)
    user = unquote(parts.username or "guest")
    return f"amqp://{user}:{password}@{parts.hostname or '127.0.0.1'}:{parts.port or 5672}/"


def test_when_provisioning_fails_and_no_broker_url_is_given_it_refuses_to_start() -> None:
    run = _run(RABBITMQ_ADMIN_URL=_admin_url_with_password("not-the-password"))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "unknown service" not in run.stdout, "it went on to start the services"
    assert "RABBITMQ_URL" in run.stderr and "/" in run.stderr


def test_when_provisioning_fails_it_never_falls_back_to_the_root_vhost() -> None:
    root = BASE_RABBITMQ_URL.rstrip("/") + "/"
    run = _run(RABBITMQ_ADMIN_URL=_admin_url_with_password("not-the-password"), RABBITMQ_URL=root)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "unknown service" not in run.stdout


def test_when_provisioning_fails_an_explicit_vhost_url_is_used_as_it_is() -> None:
    run = _run(
        RABBITMQ_ADMIN_URL=_admin_url_with_password("not-the-password"), RABBITMQ_URL=RABBITMQ_URL
    )
    assert run.returncode == 2, run.stdout + run.stderr  # python -m services was reached
    assert "unknown service" in run.stdout


def test_users_are_named_after_the_vhost_so_two_runs_never_rotate_each_others() -> None:
    vhost = urlsplit(RABBITMQ_URL).path.lstrip("/") or "unused"
    try:
        run = _run(MPP_VHOST=vhost, RABBITMQ_ADMIN_URL=BASE_RABBITMQ_URL)
        assert run.returncode == 2, run.stdout + run.stderr
        assert f"agency={vhost}-agency" in run.stderr
    finally:
        deprovision(BASE_RABBITMQ_URL, prefix=f"{vhost}-")
        (ROOT / ".run" / f"broker-{vhost}.env").unlink(missing_ok=True)


async def test_the_operator_can_replay_dead_letters_with_the_urls_run_leaves_for_them() -> None:
    vhost = urlsplit(RABBITMQ_URL).path.lstrip("/") or "unused"
    env_file = ROOT / ".run" / f"broker-{vhost}.env"
    try:
        run = _run(MPP_VHOST=vhost, RABBITMQ_ADMIN_URL=BASE_RABBITMQ_URL)
        assert run.returncode == 2, run.stdout + run.stderr
        assert str(env_file.relative_to(ROOT)) in run.stderr
        assert env_file.stat().st_mode & 0o777 == 0o600, "passwords: the owner's eyes only"
        lines = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
        assert lines["MPP_BROKER_IDENTITIES"] == (
            f"agency={vhost}-agency,mou={vhost}-mou,mall={vhost}-mall,notify={vhost}-notify"
        )
        operator = await aio_pika.connect(lines["OPERATOR_RABBITMQ_URL"])
        async with operator:  # the impersonator may publish as the agency's identity
            channel = await operator.channel(publisher_confirms=True)
            queue = await channel.declare_queue(exclusive=True)
            await channel.default_exchange.publish(
                aio_pika.Message(b"{}", user_id=f"{vhost}-agency"), routing_key=queue.name
            )
    finally:
        deprovision(BASE_RABBITMQ_URL, prefix=f"{vhost}-")
        env_file.unlink(missing_ok=True)
