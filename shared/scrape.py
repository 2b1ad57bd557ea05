"""Gauges computed when Prometheus scrapes ``/metrics``: readiness and programme figures.

Prometheus then holds the programme's state (malls by status and province, open counters,
MoUs in force), so dashboards and alerts never need the database. Each hook (a container's
``scrape_hooks``) is one cheap read of the service's own store; a failing hook leaves its
gauges as they were and is logged.
"""

from __future__ import annotations

from prometheus_client import Gauge

from shared.container import ServiceContainer
from shared.logging import get_logger
from shared.runtime import ServiceRuntime

log = get_logger(__name__)

SERVICE_READY = Gauge(
    "mpp_service_ready",
    "1 when /readyz would answer 200 (broker and database reachable), as of the last scrape.",
    ["service"],
)
DEPENDENCY_UP = Gauge(
    "mpp_dependency_up",
    "1 when the dependency (broker, database) answered at the last scrape.",
    ["service", "dependency"],
)


async def run_scrape_hooks(container: ServiceContainer) -> None:
    """Readiness first (so a down database still shows as such), then the service's hooks."""
    await _record_readiness(container.runtime)
    for hook in container.scrape_hooks:
        try:
            await hook()
        except Exception as error:  # the figures stay stale; the scrape itself still works
            log.warning(
                "metrics.scrape_hook_failed",
                hook=getattr(hook, "__qualname__", ""),
                error=type(error).__name__,
            )


async def _record_readiness(runtime: ServiceRuntime) -> None:
    checks = await runtime.ready() if runtime.started else {"broker": False, "database": False}
    for dependency, ok in checks.items():
        DEPENDENCY_UP.labels(runtime.name, dependency).set(1 if ok else 0)
    SERVICE_READY.labels(runtime.name).set(1 if all(checks.values()) else 0)
