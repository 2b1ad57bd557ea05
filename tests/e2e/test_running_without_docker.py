"""The README's run command for machines without Docker: ``python -m services``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.support.eventually import eventually_blocking
from tests.support.processes import ROOT, free_port
from tests.support.servers import API_KEY, RABBITMQ_URL

pytestmark = pytest.mark.broker


def test_one_command_runs_all_four_services_and_ctrl_c_stops_them_cleanly() -> None:
    ports = {name: free_port() for name in ("agency", "mou", "mall", "notify")}
    env = {
        **os.environ,
        "RABBITMQ_URL": RABBITMQ_URL,
        "MPP_API_KEY": API_KEY,
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    runner = subprocess.Popen(
        [sys.executable, "-m", "services"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        ready: set[str] = set()

        def all_ready() -> bool:
            assert runner.poll() is None, runner.stdout.read() if runner.stdout else ""
            for name, port in ports.items():
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                        ready.add(name)
            return ready == set(ports)

        eventually_blocking(all_ready, timeout=60, every=0.3, what="every service ready")
    finally:
        runner.send_signal(signal.SIGINT)
        output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0, output
    for name in ports:
        assert f"{name:>6} | " in output, f"{name}'s log lines are prefixed with its name"
        stopped = [
            line
            for line in output.splitlines()
            if line.startswith(f"{name:>6} | ") and "service.stopped" in line
        ]
        assert stopped, f"{name} shut down gracefully"
    assert "runner | stopping (graceful)" in output
