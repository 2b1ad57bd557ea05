"""The domains are pure rules: importing one pulls in no broker, database or metrics client."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

IO_PACKAGES = ("faststream", "aio_pika", "aiormq", "motor", "pymongo", "prometheus_client")


@pytest.mark.parametrize(
    "module", ["services.agency.domain", "services.mou.domain", "services.mall.domain"]
)
def test_importing_a_domain_imports_no_io_package(module: str) -> None:
    script = (
        f"import importlib, json, sys; importlib.import_module({module!r});"
        " print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    # A fresh interpreter: this one has imported everything the other tests needed.
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    imported = set(json.loads(result.stdout))
    assert imported.isdisjoint(IO_PACKAGES), sorted(imported & set(IO_PACKAGES))
