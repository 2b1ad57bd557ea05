"""The Compose deployment has no default secret, publishes infrastructure on loopback only,
and loads broker definitions that match what ``shared.messaging.provision`` grants."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from shared.messaging.provision import compose_passwords, definitions_template

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = (ROOT / "docker-compose.yml").read_text()
TEMPLATE = ROOT / "deploy" / "rabbitmq" / "definitions.template.json"
REQUIRED = [
    "MPP_API_KEY",
    "MPP_SECRET_KEYS",
    "MONGODB_ROOT_PASSWORD",
    "MONGODB_PASSWORD",
    *compose_passwords(),
]


def test_the_committed_definitions_template_is_what_provision_generates() -> None:
    assert json.loads(TEMPLATE.read_text()) == definitions_template()


@pytest.mark.parametrize("variable", REQUIRED)
def test_compose_requires_every_secret_with_a_message_and_never_defaults_it(
    variable: str,
) -> None:
    assert re.search(r"\$\{" + variable + r":\?[^}]*\b" + variable + r"\b", COMPOSE), variable
    assert not re.search(r"\$\{" + variable + r":-", COMPOSE), f"{variable} has a default"


def test_broker_management_and_database_ports_are_published_on_loopback_only() -> None:
    for port in ("5672", "15672", "27017"):
        published = re.findall(r'- "([^"]*:' + port + r')"', COMPOSE)
        assert published, port
        assert all(p.startswith("127.0.0.1:") for p in published), published


def test_images_are_pinned_to_exact_versions() -> None:
    for image in re.findall(r"^\s+image: (\S+)$", COMPOSE, flags=re.M):
        if image.startswith("mpp-platform"):
            continue  # built here
        assert re.search(r":v?\d+\.\d+\.\d+", image), image
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"^FROM python:(\S+)", dockerfile, flags=re.M) == ["3.11.10-slim"]


def test_the_images_install_only_hashed_locks_and_run_as_an_unprivileged_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install [^\n]*-r requirements[-\w]*\.lock", dockerfile)
    assert len(installs) == 2 and all("--require-hashes" in i for i in installs)
    for stage in dockerfile.split("\nFROM ")[1:]:
        users = re.findall(r"^USER (\S+)", stage, flags=re.M)
        if "AS runtime" in stage or "AS tests" in stage:
            assert users and users[-1] == "mpp", stage.splitlines()[0]


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_docker_compose_refuses_to_start_without_a_secret_and_names_it() -> None:
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    values = {**compose_passwords(), "MPP_API_KEY": "k" * 64, "MPP_SECRET_KEYS": "x"}
    values |= {"MONGODB_ROOT_PASSWORD": "r" * 24, "MONGODB_PASSWORD": "p" * 24}
    complete = subprocess.run(
        ["docker-compose", "config", "-q"],
        cwd=ROOT,
        env={**clean, **values},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert complete.returncode == 0, complete.stderr
    for missing in ("MPP_API_KEY", "MONGODB_PASSWORD", "RABBITMQ_MALL_PASSWORD"):
        refused = subprocess.run(
            ["docker-compose", "config", "-q"],
            cwd=ROOT,
            env={**clean, **{k: v for k, v in values.items() if k != missing}},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode != 0
        assert missing in refused.stderr
