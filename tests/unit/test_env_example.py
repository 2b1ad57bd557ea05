"""``.env.example`` lists every variable Compose and the services read, each with its meaning."""

from __future__ import annotations

import re
from pathlib import Path

from mppctl.client import URL_VARIABLES
from services.mou.settings import MouSettings
from services.notify.settings import NotifySettings
from shared.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^#?([A-Z][A-Z0-9_]*)=(.*)$")
SECRET_NAME = re.compile(r"(PASSWORD|_KEYS?)$")


def entries() -> dict[str, tuple[str, str]]:
    """Each listed name -> (its value, the comment line just above it)."""
    listed: dict[str, tuple[str, str]] = {}
    previous = ""
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = ENTRY.match(line)
        if match:
            listed[match.group(1)] = (match.group(2), previous)
        else:
            previous = line
    return listed


def test_every_setting_a_service_reads_is_listed() -> None:
    fields = {*MouSettings.model_fields, *NotifySettings.model_fields}
    assert set(ServiceSettings.model_fields) <= fields
    missing = sorted(name.upper() for name in fields if name.upper() not in entries())
    assert missing == [], f"add to .env.example: {missing}"


def test_every_variable_compose_interpolates_is_listed() -> None:
    compose = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose))
    assert interpolated, "docker-compose.yml interpolates variables"
    assert sorted(interpolated - set(entries())) == []


def test_mppctl_and_the_runner_variables_are_listed() -> None:
    wanted = {*URL_VARIABLES.values(), "MPP_TIMEOUT"}
    wanted |= {f"{service}_PORT" for service in ("AGENCY", "MOU", "MALL", "NOTIFY")}
    assert sorted(wanted - set(entries())) == []


def test_each_variable_says_what_it_means_on_the_line_above() -> None:
    undocumented = [
        name
        for name, (_, comment) in entries().items()
        if not comment.startswith("# ") or comment.startswith("# ----")
    ]
    assert undocumented == []


def test_no_secret_in_the_template_works() -> None:
    filled = {
        name: value
        for name, (value, _) in entries().items()
        if SECRET_NAME.search(name) and value.strip()
    }
    assert filled == {}, "secrets stay empty in the template"
