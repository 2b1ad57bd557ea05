"""``python -m services``: run all four services as separate processes, for machines without Docker.

Each service is its own ``python -m services.<name>`` process against the local RabbitMQ
(``RABBITMQ_URL``); their logs are interleaved, one line each, prefixed with the service's
name. Ctrl-C (or SIGTERM) stops them gracefully, in reverse order; if one dies, the others are
stopped too and the exit code says so.

Options: ``python -m services [agency mou mall notify]`` runs only the services named.
Ports: each service's default (8001-8004), or ``AGENCY_PORT``, ``MOU_PORT``, ``MALL_PORT``,
``NOTIFY_PORT``; a plain ``PORT`` would give all four the same port, so it is ignored here.
Broker: ``AGENCY_RABBITMQ_URL`` ... (``python -m shared.messaging.provision``) when set, else
``RABBITMQ_URL``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

SERVICES = ("agency", "mou", "mall", "notify")
COLOURS = {"agency": "36", "mou": "35", "mall": "33", "notify": "32"}
GRACE_SECONDS = 15.0


async def _pump(name: str, stream: asyncio.StreamReader, colour: bool) -> None:
    label = f"\033[{COLOURS[name]}m{name:>6}\033[0m" if colour else f"{name:>6}"
    while line := await stream.readline():
        sys.stdout.write(f"{label} | {line.decode(errors='replace')}")
        sys.stdout.flush()


async def _run(names: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("LOG_FORMAT", "console")
    colour = sys.stdout.isatty()
    processes: dict[str, asyncio.subprocess.Process] = {}
    pumps = []
    for name in names:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            f"services.{name}",
            env=_with_port(env, name),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the runner only; it stops them in order
        )
        processes[name] = process
        assert process.stdout is not None
        pumps.append(asyncio.create_task(_pump(name, process.stdout, colour)))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    waits = {asyncio.create_task(p.wait()): n for n, p in processes.items()}
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*waits, stopper], return_when=asyncio.FIRST_COMPLETED)
    failed = [waits[t] for t in done if t in waits]
    if failed:
        print(f"runner | {', '.join(failed)} stopped unexpectedly; stopping the others", flush=True)
    else:
        print("runner | stopping (graceful)", flush=True)

    for name in reversed(names):
        if processes[name].returncode is None:
            processes[name].send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(GRACE_SECONDS):
            await asyncio.gather(*(p.wait() for p in processes.values()))
    except TimeoutError:
        for process in processes.values():
            if process.returncode is None:
                process.kill()
        await asyncio.gather(*(p.wait() for p in processes.values()))
    await asyncio.gather(*pumps, return_exceptions=True)
    return 1 if failed else 0


def _with_port(env: dict[str, str], name: str) -> dict[str, str]:
    """``<NAME>_PORT`` and ``<NAME>_RABBITMQ_URL`` (what provisioning prints) become the
    service's own ``PORT`` and ``RABBITMQ_URL``."""
    prefix = name.upper()
    pairs = (("PORT", f"{prefix}_PORT"), ("RABBITMQ_URL", f"{prefix}_RABBITMQ_URL"))
    own = {plain: env[specific] for plain, specific in pairs if env.get(specific)}
    return {**env, **own}


def main(argv: list[str] | None = None) -> int:
    names = (sys.argv[1:] if argv is None else argv) or list(SERVICES)
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        print(f"unknown service(s): {', '.join(unknown)}; choose from {', '.join(SERVICES)}")
        return 2
    return asyncio.run(_run(names))


if __name__ == "__main__":
    raise SystemExit(main())
