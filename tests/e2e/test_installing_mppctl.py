"""``mppctl`` installed on its own, outside the repository, as an operator installs it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from mppctl import __version__
from tests.support.processes import ROOT, free_port


def run(*args: str | Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_built_package_gives_a_working_mppctl_outside_the_repository(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    built = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        wheels,
        ROOT,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("mpp_platform-*.whl")
    assert wheel.name.startswith(f"mpp_platform-{__version__}-")

    target = tmp_path / "operator-venv"
    venv.create(target)  # no pip of its own: this run's pip installs into it
    # The dependencies come from this run's own environment (no network in tests): only the
    # package itself is installed into the new virtualenv, so its code must come from the wheel.
    purelib = run(
        target / "bin/python",
        "-c",
        "import sysconfig; print(sysconfig.get_path('purelib'))",
        cwd=tmp_path,
    ).stdout.strip()
    (Path(purelib) / "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    installed = run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        target / "bin/python",
        "install",
        "--quiet",
        "--no-deps",
        wheel,
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stderr

    mppctl = target / "bin/mppctl"
    version = run(mppctl, "--version", cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith(f"mppctl {__version__} (Python ")

    where = run(
        target / "bin/python", "-c", "import mppctl; print(mppctl.__file__)", cwd=tmp_path
    ).stdout
    assert where.startswith(str(target)), "mppctl is imported from the new virtualenv"

    nobody = f"http://127.0.0.1:{free_port()}"
    health = run(
        mppctl,
        "health",
        cwd=tmp_path,
        **{f"MPP_{s}_URL": nobody for s in ("AGENCY", "MOU", "MALL", "NOTIFY")},
    )
    assert health.returncode == 3, "a working CLI reports the unreachable services with exit 3"
    assert "agency" in health.stdout + health.stderr
