"""The whole system as an operator runs it: each service its own ``python -m`` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pymongo import MongoClient

from tests.support.eventually import eventually_blocking
from tests.support.ports import free_port
from tests.support.servers import API_KEY, RABBITMQ_URL
from tests.support.webhooks import LOOPBACK_ALLOWED, TEST_SECRET_KEYS

SERVICES = ("agency", "mou", "mall", "notify")
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class System:
    """The four services, running; ``urls`` by service name."""

    services: dict[str, ServiceProcess] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.services[name].url

    @property
    def env(self) -> dict[str, str]:
        """What a client (mppctl) needs to find this system."""
        return {
            **{f"MPP_{n.upper()}_URL": s.url for n, s in self.services.items()},
            "MPP_API_KEY": API_KEY,
        }


def _wait_ready(service: ServiceProcess, timeout: float = 60.0) -> None:
    def ready() -> bool:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.name} exited during start-up:\n{service.log()[-3000:]}")
        try:
            return httpx.get(f"{service.url}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        eventually_blocking(ready, timeout=timeout, what=f"{service.name} ready")
    except AssertionError as error:
        raise TimeoutError(f"{error}:\n{service.log()[-3000:]}") from None


@contextmanager
def running_system(log_dir: Path, **extra_env: str) -> Iterator[System]:
    """Start all four services as processes; stop them with SIGTERM and check they exit 0."""
    system = System()
    run = uuid.uuid4().hex[:8]
    databases = {name: f"e2e_{run}_{name}" for name in SERVICES}
    base_env = {
        **os.environ,
        "RABBITMQ_URL": RABBITMQ_URL,
        "MPP_API_KEY": API_KEY,
        "MPP_SECRET_KEYS": TEST_SECRET_KEYS,
        "WEBHOOK_ALLOWED_NETWORKS": LOOPBACK_ALLOWED,  # the tests' receivers are on loopback
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "OUTBOX_POLL_SECONDS": "0.5",
        "PYTHONUNBUFFERED": "1",
        **extra_env,
    }
    ports = {name: free_port() for name in SERVICES}
    # Each service knows where the others are (the mall dashboard relays notify's feed).
    base_env.update({f"MPP_{n.upper()}_URL": f"http://127.0.0.1:{p}" for n, p in ports.items()})
    try:
        for name in SERVICES:
            port = ports[name]
            log_path = log_dir / f"{name}.log"
            with log_path.open("wb") as log_file:
                process = subprocess.Popen(
                    [sys.executable, "-m", f"services.{name}"],
                    cwd=ROOT,
                    # Each run its own databases: on a real MongoDB nothing carries over.
                    env={**base_env, "PORT": str(port), "MONGODB_DATABASE": databases[name]},
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            system.services[name] = ServiceProcess(name, port, process, log_path)
        for service in system.services.values():
            _wait_ready(service)
        yield system
    finally:
        for service in reversed(list(system.services.values())):
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in system.services.values():
            try:
                service.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                service.process.kill()
                service.process.wait()
        _drop_databases(base_env.get("MONGODB_URL"), databases.values())


def _drop_databases(url: str | None, names: Iterable[str]) -> None:
    if not url:
        return  # in-process stores vanish with their processes
    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=5000)
    with client:
        for name in names:
            client.drop_database(name)


def exit_codes(system: System) -> dict[str, int | None]:
    return {name: s.process.returncode for name, s in system.services.items()}
