"""What notify's trust boundary costs: the egress policy and secrets at rest.

    python -m benchmarks.notify_trust_boundary [--requests 500] [--checks 20000]

Prints, per operation: ``check_url`` on a URL; decrypting a stored secret the first time
and again (the repository decrypts every subscription it loads); and webhook POSTs to a
real HTTP server on loopback, each on a new connection (the server closes after one
answer), through plain httpx (the ceiling, measured in the same run) and through
``build_webhook_client`` (resolution, every address checked, connection to the checked
address), with the ratio of the two. Figures, not assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

import httpx
from cryptography.fernet import Fernet

from services.notify.webhook_client import build_webhook_client
from shared.egress import EgressPolicy
from shared.logging import configure_logging
from shared.secrets import SecretBox
from tests.support.loopback import LoopbackServer
from tests.support.webhooks import notify_settings

SECRET = "whsec_" + "A" * 44


def per_call(call: Callable[[], object], times: int) -> float:
    """Mean microseconds per call of ``call``."""
    started = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - started) / times * 1e6


async def round_trips(post: Callable[[], Awaitable[httpx.Response]], times: int) -> list[float]:
    """Milliseconds per POST, each checked to be a 204."""
    took: list[float] = []
    for _ in range(times):
        started = time.perf_counter()
        answer = await post()
        took.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 204, answer.status_code
    return took


async def main(requests: int, checks: int) -> int:
    configure_logging("bench", level="WARNING", fmt="console")
    policy = EgressPolicy()
    check = per_call(lambda: policy.check_url("https://hooks.example.go.id:8443/mpp?x=1"), checks)
    box = SecretBox([Fernet.generate_key()])
    tokens = [box.encrypt(SECRET) for _ in range(checks)]
    pending = iter(tokens)
    cold = per_call(lambda: box.decrypt(next(pending)), checks)
    warm = per_call(lambda: box.decrypt(tokens[-1]), checks)
    encrypt = per_call(lambda: box.encrypt(SECRET), checks)

    settings = notify_settings(webhook_allowed_networks="127.0.0.0/8")
    body = b'{"specversion": "1.0"}'
    async with LoopbackServer() as server:
        url = f"http://127.0.0.1:{server.port}/hooks"
        async with httpx.AsyncClient(trust_env=False) as plain:
            ceiling = await round_trips(lambda: plain.post(url, content=body), requests)
        async with build_webhook_client(settings) as checked:
            egress = await round_trips(lambda: checked.post(url, content=body), requests)

    print(f"check_url               {check:8.1f} us per URL")
    print(f"secret encrypt          {encrypt:8.1f} us")
    print(f"secret decrypt, first   {cold:8.1f} us")
    print(f"secret decrypt, again   {warm:8.1f} us (remembered)")
    print(f"POST, plain httpx       {statistics.median(ceiling):8.2f} ms p50 (ceiling)")
    print(f"POST, egress-checked    {statistics.median(egress):8.2f} ms p50")
    ratio = statistics.median(egress) / statistics.median(ceiling)
    print(f"egress / ceiling        {ratio:8.2f}x  ({requests} POSTs each, new connection each)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--checks", type=int, default=20000)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.requests, args.checks)))
