"""Schemathesis fuzzes each service over real HTTP: no answer may contradict its OpenAPI document.

Bounded (``FUZZ_SECONDS`` per service, 20 by default; few examples per operation) so it fits in
CI; run it alone with ``scripts/test -m fuzz``. Checks: no 5xx, documented status codes,
content types and headers, and bodies that match their response schemas.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from services.agency.bootstrap import build_app as build_agency
from services.mall.bootstrap import build_app as build_mall
from services.mou.bootstrap import build_app as build_mou
from shared.storage import Storage
from tests.support.broker import SERVICE_QUEUES, delete_queues
from tests.support.servers import API_KEY, run_service

pytestmark = [pytest.mark.broker, pytest.mark.fuzz]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
SECONDS = int(os.environ.get("FUZZ_SECONDS", "20"))


def _schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("schemathesis is missing: it is pinned in requirements-dev.lock")
    return found


@pytest.mark.parametrize(
    ("service", "build"), [("agency", build_agency), ("mou", build_mou), ("mall", build_mall)]
)
async def test_no_answer_contradicts_the_openapi_document(
    rabbitmq: str,
    service: str,
    build: Callable[..., FastAPI],
    agency_storage: Storage,
    mou_storage: Storage,
    mall_storage: Storage,
    tmp_path: Path,
) -> None:
    storage = {"agency": agency_storage, "mou": mou_storage, "mall": mall_storage}[service]
    await delete_queues(SERVICE_QUEUES)
    async with run_service(build, storage=storage) as running:
        process = await asyncio.create_subprocess_exec(
            _schemathesis(), "run", f"{running.base_url}/openapi.json",
            "--checks", CHECKS, "--max-examples", "8", "--max-time", str(SECONDS),
            "--phases", "examples,coverage,fuzzing", "--seed", "13", "--workers", "1",
            "--header", f"Authorization: Bearer {API_KEY}", "--request-timeout", "10",
            "--warnings", "off", "--no-color",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            cwd=tmp_path,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(process.communicate(), timeout=SECONDS * 4 + 60)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
    assert "passed" in report, report[-2000:]
