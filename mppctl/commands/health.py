"""``mppctl health``: is every service alive and ready?"""

from __future__ import annotations

from typing import Any

import httpx
import typer

from mppctl.client import SERVICES, MppClient
from mppctl.commands.context import client_of, output_for
from mppctl.commands.errors import EXIT_UNAVAILABLE, guarded
from mppctl.commands.options import JsonOpt
from mppctl.output import Column


def check_health(client: MppClient) -> list[dict[str, Any]]:
    """Each service's /healthz and /readyz."""
    results = []
    for service in SERVICES:
        result: dict[str, Any] = {
            "service": service,
            "url": client.url(service),
            "alive": False,
            "ready": False,
            "checks": {},
            "error": None,
        }
        http = client.http(service)
        try:
            live = http.get("/healthz", timeout=5.0)
            result["alive"] = live.status_code == 200
            ready = http.get("/readyz", timeout=5.0)
            result["ready"] = ready.status_code == 200
            try:
                body = ready.json()
            except ValueError:
                body = {}
            if isinstance(body, dict) and isinstance(body.get("checks"), dict):
                result["checks"] = body["checks"]
            if not result["ready"]:
                result["error"] = f"/readyz answered {ready.status_code}"
        except httpx.TransportError as error:
            result["error"] = f"unreachable: {error or type(error).__name__}"
        results.append(result)
    return results


@guarded
def health(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check /healthz and /readyz of all four services; exit 3 if any is not ready."""
    results = check_health(client_of(ctx))
    out = output_for(ctx, as_json)
    out.table(
        results,
        [
            Column("SERVICE", "service", no_wrap=True),
            Column("URL", "url", no_wrap=True),
            Column("ALIVE", "alive", no_wrap=True),
            Column("READY", "ready", no_wrap=True),
            Column(
                "CHECKS",
                lambda r: ", ".join(f"{k} {v}" for k, v in (r.get("checks") or {}).items()),
            ),
            Column("PROBLEM", "error"),
        ],
    )
    not_ready = [r["service"] for r in results if not r["ready"]]
    if not_ready:
        out.note(f"Not ready: {', '.join(not_ready)}.")
        raise typer.Exit(EXIT_UNAVAILABLE)
