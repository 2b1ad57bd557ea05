"""A RabbitMQ virtual host of the test run's own, so the suite never touches a live system.

Every run creates ``mpp-test-<random>`` on the broker named by ``RABBITMQ_URL`` (through the
management HTTP API, or ``rabbitmqctl`` on this machine when the API is not enabled), grants
the URL's user full permissions there, points every test at it and deletes it at the end.
Nothing the suite declares, purges or deletes can then reach the queues of a system running on
the same broker (``scripts/run`` or a Compose stack).

``MPP_TEST_RABBITMQ_URL`` names a vhost URL to use as it is (a child process of the run, or a
developer who wants to inspect what a run left behind); that vhost is not deleted.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import socket
import subprocess
import uuid
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from shared.messaging.provision import ManagementApi

logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines outlive pytest's streams

BASE_RABBITMQ_URL = os.environ.get("RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _with_vhost(amqp_url: str, vhost: str) -> str:
    parts = urlsplit(amqp_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, ""))


def credentials(amqp_url: str) -> tuple[str, str]:
    """The user name and password of an AMQP URL (``guest`` by default)."""
    parts = urlsplit(amqp_url)
    return unquote(parts.username or "guest"), unquote(parts.password or "guest")


def management() -> ManagementApi:
    """The platform's own management API client, as the run's user."""
    return ManagementApi.for_admin_url(
        BASE_RABBITMQ_URL, os.environ.get("RABBITMQ_MANAGEMENT_URL") or None
    )


def _via_rabbitmqctl(*args: str) -> None:
    if shutil.which("rabbitmqctl") is None:
        raise RuntimeError(
            "cannot create the test run's vhost: the RabbitMQ management API is not reachable "
            "(rabbitmq-plugins enable rabbitmq_management) and rabbitmqctl is not installed"
        )
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


def create_vhost(name: str) -> str:
    """Create ``name`` with full permissions for the run's user; return its AMQP URL.

    Through the management API, or ``rabbitmqctl`` when the API is not there (plugin off).
    """
    user, _ = credentials(BASE_RABBITMQ_URL)
    api = management()
    try:
        api.put_vhost(name)
        api.grant_all(name, user)
    except httpx.TransportError:
        _via_rabbitmqctl("add_vhost", name)
        _via_rabbitmqctl("set_permissions", "-p", name, user, ".*", ".*", ".*")
    finally:
        api.close()
    return _with_vhost(BASE_RABBITMQ_URL, name)


def delete_vhost(name: str) -> None:
    """Delete ``name`` and everything in it (queues, exchanges, messages)."""
    api = management()
    try:
        api.delete_vhost(name)
    except httpx.TransportError:
        _via_rabbitmqctl("delete_vhost", name)
    finally:
        api.close()


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def new_run_vhost_name() -> str:
    return f"mpp-test-{uuid.uuid4().hex[:12]}"


def broker_reachable(amqp_url: str = BASE_RABBITMQ_URL) -> bool:
    """Whether the broker of ``amqp_url`` accepts TCP connections now."""
    parts = urlsplit(amqp_url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 2):
            return True
    except OSError:
        return False


def run_vhost_url() -> str:
    """The run's vhost URL: created once per process tree, deleted when the creator exits.

    With the broker down it answers the base URL, so broker-free tests still run and the
    ``rabbitmq`` fixture fails loudly for the tests that need it.
    """
    given = os.environ.get("MPP_TEST_RABBITMQ_URL")
    if given:
        return given
    if not broker_reachable():
        return BASE_RABBITMQ_URL
    name = new_run_vhost_name()
    url = create_vhost(name)
    os.environ["MPP_TEST_RABBITMQ_URL"] = url
    atexit.register(delete_vhost, name)
    return url
