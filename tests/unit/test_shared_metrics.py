"""The documented alert rules only use metrics the services really expose (shared.metrics)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import services.notify.metrics  # noqa: F401  (registers the metrics)
import shared.metrics
import shared.scrape  # noqa: F401

RULES = Path(__file__).parents[2] / "deploy" / "prometheus" / "alerts.yml"
SERVICE_METRIC = re.compile(r"\bmpp_[a-z_]+")


def _exposed_metric_names() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.add(family.name)
        if family.type == "counter":
            names.add(f"{family.name}_total")
        names.update(sample.name for sample in family.samples)
    return names


def test_every_alert_rule_uses_only_metrics_the_services_expose() -> None:
    rules = [
        rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]
    ]
    used = {name for rule in rules for name in SERVICE_METRIC.findall(rule["expr"])}
    assert {"mpp_outbox_pending_events", "mpp_consumer_oldest_unacked_seconds"} <= used
    assert used <= _exposed_metric_names()


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian: prometheus) absent")
def test_the_alert_rules_pass_promtool() -> None:
    result = subprocess.run(
        ["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
