"""Every route and dependency of every service runs on the event loop, never on a thread.

FastAPI runs a plain ``def`` dependency or endpoint through ``run_in_threadpool``: one thread
hand-off per request and call, and the pool's idle threads stay behind (200 live-feed clients
left notify with 15 more threads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant, _is_coroutine_callable
from fastapi.routing import APIRoute
from faststream.rabbit import RabbitBroker

from services.agency.bootstrap import build_app as agency_app
from services.mall.bootstrap import build_app as mall_app
from services.mou.bootstrap import build_app as mou_app
from services.notify.bootstrap import build_app as notify_app
from tests.support.servers import service_settings
from tests.support.webhooks import notify_settings

APPS: dict[str, Callable[[], FastAPI]] = {
    "agency": lambda: agency_app(service_settings(), None, RabbitBroker()),
    "mou": lambda: mou_app(service_settings(), None, RabbitBroker()),
    "mall": lambda: mall_app(service_settings(), None, RabbitBroker()),
    "notify": lambda: notify_app(notify_settings(), None, RabbitBroker()),
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _routes_and_calls(routes: list[Any]) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Each (path, call) of ``routes``, through included routers (FastAPI keeps those lazily,
    with their include-time dependencies beside them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            for call in _calls(route.dependant):
                yield route.path, call
        elif hasattr(route, "original_router"):  # fastapi.routing._IncludedRouter
            for depends in route.include_context.dependencies:
                yield "(include)", depends.dependency
            yield from _routes_and_calls(route.original_router.routes)


def _name(call: Callable[..., Any]) -> str:
    return getattr(call, "__qualname__", type(call).__qualname__)


@pytest.mark.parametrize("service", APPS)
def test_no_route_or_dependency_of_the_service_is_handed_to_a_worker_thread(service: str) -> None:
    found = list(_routes_and_calls(APPS[service]().routes))
    assert len({path for path, _ in found}) > 3

    on_threads = {
        f"{path}: {_name(call)}" for path, call in found if not _is_coroutine_callable(call)
    }

    assert on_threads == set()
