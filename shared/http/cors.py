"""CORS for browser dashboards: only the origins ``CORS_ALLOWED_ORIGINS`` names (none by default).

Starlette's ``CORSMiddleware`` answers preflights (``OPTIONS`` with
``Access-Control-Request-Method``) and adds ``Access-Control-Allow-Origin`` to the answers, so a
dashboard on another origin can read resources, send conditional writes with a bearer key and
follow the live feed with ``EventSource``. No cookies are used, so credentials stay off.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Last-Event-ID",
    "X-Request-ID",
    "traceparent",
    "tracestate",
]
EXPOSED_HEADERS = ["ETag", "Location", "Retry-After", "X-Request-ID"]


def allowed_origins(setting: str | None) -> list[str]:
    """``CORS_ALLOWED_ORIGINS``: comma-separated origins (``https://dash.example``) or ``*``."""
    if not setting:
        return []
    return [origin.strip().rstrip("/") for origin in setting.split(",") if origin.strip()]


def install_cors(app: FastAPI, setting: str | None) -> None:
    """Add CORS when origins are configured; otherwise browsers keep the same-origin policy."""
    origins = allowed_origins(setting)
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=ALLOWED_METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
