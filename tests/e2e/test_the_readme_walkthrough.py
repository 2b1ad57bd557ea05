"""The README's walkthrough, run as written: its commands are read from README.md itself.

Each ```bash block of the "Walkthrough" section is one step, run in order with bash (``-e``,
so a failing command fails the step) in one working directory, against the four services
started as processes. A block that starts with ``# In a new terminal`` keeps running (the live
feed, the webhook receiver): it is started in the background and read as it goes. The only
rewriting is of addresses: the services' and the receiver's default ports become the free ports
this run uses. After each step the test waits for what the README says you should see.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.notify.topology import LOG_STREAM
from shared.messaging.dlq import dead_letter_depths
from tests.support.broker import delete_queues
from tests.support.eventually import eventually_blocking
from tests.support.processes import ROOT, System, free_port, running_system
from tests.support.servers import RABBITMQ_URL

pytestmark = pytest.mark.broker

BACKGROUND = "# In a new terminal"
RECEIVER_PORT = "9000"
SERVICE_PORTS = {"8001": "agency", "8002": "mou", "8003": "mall", "8004": "notify"}


def readme_section(title: str) -> str:
    """The README's section whose heading starts with ``title``, up to the next heading."""
    text = (ROOT / "README.md").read_text()
    heading = re.search(rf"^## {re.escape(title)}\b.*$", text, re.M)
    assert heading, f"README.md has no section {title!r}"
    end = text.find("\n## ", heading.end())
    return text[heading.end() : end if end > 0 else None]


def bash_blocks(section: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", section, flags=re.S | re.M)


def example_receiver() -> str:
    """The README's example webhook receiver (the Python block that verifies signatures)."""
    blocks = re.findall(r"^```python\n(.*?)^```", readme_section("The notify service"), re.S | re.M)
    [receiver] = [b for b in blocks if "Webhook(" in b and "FastAPI" in b]
    return receiver


@dataclass
class Walk:
    """The walkthrough's terminals: the working directory, the environment, the background."""

    cwd: Path
    env: dict[str, str]
    ports: dict[str, str]
    background: list[tuple[subprocess.Popen[bytes], Path]]

    def localise(self, script: str) -> str:
        for default, port in self.ports.items():
            script = re.sub(rf"(?<=[:= ]){default}\b", port, script)
        return script

    def run(self, script: str) -> str:
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", self.localise(script)],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"step failed:\n{script}\n---\n{output}"
        return output

    def start(self, script: str) -> Path:
        log = self.cwd / f"terminal-{len(self.background) + 2}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                ["bash", "-c", self.localise(script)],
                cwd=self.cwd,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.background.append((process, log))
        return log

    def stop(self) -> None:
        for process, _ in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
        for process, _ in self.background:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(what: str, read: Callable[[], str], ok: Callable[[str], bool], timeout=90.0) -> str:
    try:
        return eventually_blocking(read, until=ok, timeout=timeout, every=0.5, what=what)
    except AssertionError:
        raise AssertionError(f"never saw {what}; last output:\n{read()[-3000:]}") from None


@pytest.fixture
def walk(tmp_path: Path) -> Iterator[tuple[Walk, System]]:
    # The README walks a fresh system: its feed starts at #1. The run's vhost is shared, so an
    # earlier test's events would be in the log stream first.
    asyncio.run(delete_queues([LOG_STREAM]))
    with running_system(tmp_path, WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8") as system:
        ports = {d: str(system.services[name].port) for d, name in SERVICE_PORTS.items()}
        ports[RECEIVER_PORT] = str(free_port())
        env = {
            **os.environ,
            **system.env,
            "RABBITMQ_URL": RABBITMQ_URL,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
            "COLUMNS": "200",
        }
        walk = Walk(tmp_path / "work", env, ports, [])
        walk.cwd.mkdir()
        try:
            yield walk, system
        finally:
            walk.stop()


def test_every_step_of_the_walkthrough_shows_what_the_readme_says(
    walk: tuple[Walk, System],
) -> None:
    w, system = walk
    steps = bash_blocks(readme_section("Walkthrough"))
    assert len(steps) == 10, "a step was added or removed: teach this test what it shows"
    (
        seed,
        feed,
        subscribe,
        receiver,
        replay,
        terminate,
        flagged,
        stats,
        poison,
        dead_letter,
    ) = steps
    (w.cwd / "receiver.py").write_text(example_receiver())

    assert "created" in w.run(seed)

    assert feed.startswith(BACKGROUND)
    feed_log = w.start(feed)
    history = wait_for(
        "the feed's history",
        feed_log.read_text,
        lambda t: "mou.signed" in t and "mall.inaugurated" in t,
    )
    assert re.search(r"^#1\s", history, re.M), "the feed starts from the first event"

    w.run(subscribe)
    assert (w.cwd / "subscription.json").exists()
    assert receiver.startswith(BACKGROUND)
    receiver_log = w.start(receiver)
    wait_for("the receiver start", receiver_log.read_text, lambda t: "Uvicorn running" in t)

    assert "replay" in w.run(replay).lower()
    wait_for("a verified delivery", receiver_log.read_text, lambda t: "mall.inaugurated" in t)

    assert "terminated" in w.run(terminate)
    wait_for("mou.terminated in the feed", feed_log.read_text, lambda t: "mou.terminated" in t)
    wait_for(
        "mall.counter_flagged in the feed",
        feed_log.read_text,
        lambda t: "mall.counter_flagged" in t,
    )
    wait_for(
        "mall.counter_flagged at the receiver",
        receiver_log.read_text,
        lambda t: "mall.counter_flagged" in t,
    )
    mall = " ".join(w.run(flagged).replace("│", " ").split())
    assert "no MoU in force" in mall, mall

    figures = w.run(stats)
    compact = figures.replace(" ", "")
    assert '"total":7' in compact and '"inaugurated":7' in compact, figures
    assert '"counters":' in compact and '"agencies":' in compact, figures

    w.run(poison)
    wait_for(
        "the poison message in mall.agencies.dlq and mou.agencies.dlq",
        lambda: str(asyncio.run(dead_letter_depths(RABBITMQ_URL))),
        lambda depths: "'mall.agencies': 1" in depths and "'mou.agencies': 1" in depths,
    )
    dead = w.run(dead_letter)
    assert re.search(r"mall\.agencies\.dlq\s+1\b", dead), dead
    assert re.search(r"mou\.agencies\.dlq\s+1\b", dead), dead
    # notify's DLQ is listed too (its count is not asserted: the run's vhost is shared with
    # other tests whose subscriptions dead-letter poison there).
    assert re.search(r"notify\.subscriptions\.dlq\s+\d+\b", dead), dead
    assert "moved 1 message(s) from mall.agencies.dlq back to mall.agencies" in dead
    wait_for(
        "the still-poisonous message back in mall.agencies.dlq",
        lambda: str(asyncio.run(dead_letter_depths(RABBITMQ_URL))),
        lambda depths: "'mall.agencies': 1" in depths,
    )
    assert all(process.poll() is None for process, _ in w.background), "terminals still run"
    assert all(s.process.poll() is None for s in system.services.values()), "services run"
