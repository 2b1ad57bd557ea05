"""scripts/_setup.sh: the Python it picks, what it refuses, which broker it would start.

Each case sources the script in a bash of its own and calls one of its functions; interpreters
are stand-ins (shell scripts answering a version), so nothing is installed or started.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ROOT, free_port


def fake_python(directory: Path, name: str, version: str) -> Path:
    """A stand-in interpreter that answers ``version`` to the script's version probe."""
    path = directory / name
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


def setup(
    call: str, tmp_path: Path, path_first: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "RABBITMQ_URL")}
    if path_first is not None:
        base["PATH"] = f"{path_first}{os.pathsep}{base['PATH']}"
    return subprocess.run(
        ["bash", "-c", f"source scripts/_setup.sh && {call}"],
        cwd=ROOT,
        env={**base, "MPP_VENV": str(tmp_path / "venv"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unsupported_python_is_refused_before_anything_is_installed(tmp_path: Path) -> None:
    old = fake_python(tmp_path, "python3.10", "3.10")
    done = setup("ensure_venv", tmp_path, PYTHON=str(old))
    assert done.returncode != 0
    assert f"PYTHON={old} is Python 3.10" in done.stderr
    assert "3.11, 3.12 and 3.13" in done.stderr and "PYTHON=python3.12" in done.stderr
    assert not (tmp_path / "venv").exists(), "nothing was created or installed"


def test_a_python_that_does_not_run_is_named_with_the_fix(tmp_path: Path) -> None:
    done = setup("ensure_venv", tmp_path, PYTHON="python3.77")
    assert done.returncode != 0
    assert "PYTHON=python3.77 does not run" in done.stderr
    assert not (tmp_path / "venv").exists()


def test_when_python3_is_unsupported_a_supported_one_is_picked_and_named(
    tmp_path: Path,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_python(bin_dir, "python3", "3.10")
    fake_python(bin_dir, "python3.13", "3.13")
    done = setup('pick_python && echo "picked $PY $PY_VERSION"', tmp_path, path_first=bin_dir)
    assert done.returncode == 0, done.stderr
    assert "picked python3.13 3.13" in done.stdout
    assert "python3 is Python 3.10" in done.stderr
    assert "using python3.13 (Python 3.13)" in done.stderr


def test_a_supported_python3_is_used_quietly(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_python(bin_dir, "python3", "3.13")
    done = setup('pick_python && echo "picked $PY $PY_VERSION"', tmp_path, path_first=bin_dir)
    assert "picked python3 3.13" in done.stdout
    assert done.stderr == ""


@pytest.mark.parametrize(
    ("url", "state"),
    [
        ("amqp://guest:guest@127.0.0.1:{closed}/", "down remote 127.0.0.1:{closed}"),
        ("amqp://u:secret@rabbit.example:5672/mpp", "down remote rabbit.example:5672"),
        ("amqp://a@127.0.0.1:{closed}/,amqp://b@localhost:5672/x", "remote"),
        ("amqp://guest:guest@localhost:5672/", " local localhost:5672"),
        ("amqp://guest:guest@127.0.0.1/", " local 127.0.0.1:5672"),
    ],
)
def test_only_the_local_default_port_counts_as_ours_to_start(
    tmp_path: Path, url: str, state: str
) -> None:
    closed = str(free_port())
    venv = Path(sys.prefix)
    done = setup(
        "broker_state", tmp_path, MPP_VENV=str(venv), RABBITMQ_URL=url.format(closed=closed)
    )
    assert state.format(closed=closed) in done.stdout
    assert "secret" not in done.stdout + done.stderr


def test_a_broker_elsewhere_is_reported_and_never_started(tmp_path: Path) -> None:
    closed = free_port()
    done = setup(
        "ensure_rabbitmq",
        tmp_path,
        MPP_VENV=sys.prefix,
        RABBITMQ_URL=f"amqp://guest:guest@127.0.0.1:{closed}/",
    )
    assert done.returncode == 1
    assert f"RabbitMQ at RABBITMQ_URL (127.0.0.1:{closed}) is unreachable" in done.stderr
    assert "starting" not in done.stderr
