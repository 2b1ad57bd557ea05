"""The observability profile's files agree with each other and with the Compose file.

(promtool checks the Prometheus files in CI; tests/integration/test_prometheus_scrapes_the_services
runs every dashboard query against a real Prometheus.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_every_panel_uses_a_provisioned_data_source_and_panel_ids_are_unique() -> None:
    sources = _yaml(DEPLOY / "grafana/provisioning/datasources/datasources.yml")["datasources"]
    uids = {source["uid"] for source in sources}
    for path in sorted((DEPLOY / "grafana/dashboards").glob("*.json")):
        dashboard = json.loads(path.read_text())
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] in uids, (path.name, panel["title"])
            assert panel["targets"], (path.name, panel["title"])


def test_prometheus_scrapes_the_four_services_on_their_compose_ports_and_rabbitmq() -> None:
    compose = _yaml(ROOT / "docker-compose.yml")["services"]
    config = _yaml(DEPLOY / "prometheus/prometheus.yml")
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    for service in ("agency", "mou", "mall", "notify"):
        port = compose[service]["environment"]["PORT"]
        assert f"{service}:{port}" in targets
    assert "rabbitmq:15692" in targets


def test_the_observability_profile_mounts_what_deploy_holds() -> None:
    compose = _yaml(ROOT / "docker-compose.yml")["services"]
    for name in ("prometheus", "grafana", "jaeger"):
        assert compose[name]["profiles"] == ["observability"]
        image = compose[name]["image"]
        assert ":" in image and not image.endswith(":latest"), image
        for volume in compose[name].get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume
