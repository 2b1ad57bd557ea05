"""RabbitMQ nodes of a test's own, to stop, kill and cluster without touching the shared broker.

Each node has its own ``RABBITMQ_NODENAME`` (``mppf<run>-<n>@localhost``), AMQP and
distribution ports, config, plugins, PID, Mnesia and log folders, all in a temporary folder
owned by the ``rabbitmq`` user, and runs as that user so it shares the Erlang cookie in
``/var/lib/rabbitmq``. The shared broker (``rabbit@localhost`` on 5672/15672/25672) is never
named, stopped or restarted here.

    with RabbitCluster.started(size=3) as cluster:   # stopped and removed at the end, always
        cluster.urls                                # amqp://guest:guest@127.0.0.1:<port>/
        cluster.nodes[0].kill()                     # SIGKILL, as a crash
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.eventually import eventually_blocking
from tests.support.ports import free_port

RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")
RABBIT_HOME = "/var/lib/rabbitmq"
USER = "rabbitmq"


def available() -> str | None:
    """Why own nodes cannot run on this machine, or None when they can."""
    if not (RABBIT_BIN / "rabbitmq-server").exists():
        return "RabbitMQ's server scripts are not installed"
    if os.geteuid() != 0:
        return "starting nodes as the rabbitmq user needs root"
    try:
        pwd.getpwnam(USER)
    except KeyError:
        return "there is no rabbitmq user"
    return None


@dataclass
class RabbitNode:
    """One node: its name, ports and folders; start, stop, kill."""

    name: str
    amqp_port: int
    dist_port: int
    base: Path
    peers: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    def _env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": RABBIT_HOME,
            "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.base / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbit.pid"),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def _as_rabbitmq(self) -> dict[str, Any]:
        """How the node's commands run: as the rabbitmq user, in its folder, with its env."""
        return {"env": self._env(), "cwd": self.base, "user": USER, "group": USER}

    def write_config(self) -> None:
        (self.base / "mnesia").mkdir(parents=True, exist_ok=True)
        (self.base / "log").mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq-env.conf").write_text("")
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "advanced.config").write_text("[].\n")
        lines = [
            f"listeners.tcp.local = 127.0.0.1:{self.amqp_port}",
            "loopback_users = none",
            "log.console = false",
            "log.file.level = warning",
            "cluster_formation.peer_discovery_backend = classic_config",
            "cluster_formation.randomized_startup_delay_range.min = 0",
            "cluster_formation.randomized_startup_delay_range.max = 0",
            *(
                f"cluster_formation.classic_config.nodes.{i} = {peer}"
                for i, peer in enumerate(self.peers, 1)
            ),
        ]
        (self.base / "rabbitmq.conf").write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        """Start the node in the background (await it with :meth:`wait_started`)."""
        self.process = subprocess.Popen(
            [str(RABBIT_BIN / "rabbitmq-server")],
            **self._as_rabbitmq(),
            stdout=(self.base / "log" / "stdout.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """``rabbitmqctl -n <node> args`` as the rabbitmq user; its output."""
        result = subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.name, *args],
            **self._as_rabbitmq(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {self.name}: {result.stderr}")
        return result.stdout

    def wait_started(self, timeout: float = 120) -> None:
        def listening() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.amqp_port), 1),
            ):
                return True
            return False

        eventually_blocking(
            listening, timeout=timeout, every=0.3, what=f"{self.name} listening on AMQP"
        )

    def log_tail(self) -> str:
        logs = sorted((self.base / "log").glob("*.log"))
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in logs)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the node's whole process group (the Erlang VM and its helpers): a crash."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop_app(self) -> None:
        """Stop RabbitMQ on this node but keep its Erlang VM: connections close, ports shut."""
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")
        self.wait_started()

    def stop(self, timeout: float = 60) -> None:
        """Stop gracefully (``rabbitmqctl stop``), killing it if that does not work."""
        if not self.running:
            return
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            self.ctl("stop", timeout=timeout)
        assert self.process is not None
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class RabbitCluster:
    """One node or several clustered nodes of the test's own."""

    nodes: list[RabbitNode]
    root: Path

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @classmethod
    @contextlib.contextmanager
    def started(cls, size: int = 1) -> Iterator[RabbitCluster]:
        """Start ``size`` nodes (clustered when more than one); stop and remove them after."""
        run = uuid.uuid4().hex[:6]
        root = Path(tempfile.mkdtemp(prefix=f"mpp-rabbit-{run}-"))
        names = [f"mppf{run}-{i}@localhost" for i in range(1, size + 1)]
        nodes = []
        for name in names:
            node = RabbitNode(
                name, free_port(), free_port(), root / name.split("@")[0], peers=names
            )
            node.write_config()
            nodes.append(node)
        shutil.chown(root, USER, USER)
        for path in root.rglob("*"):
            shutil.chown(path, USER, USER)
        cluster = cls(nodes, root)
        try:
            nodes[0].start()
            nodes[0].wait_started()
            for node in nodes[1:]:
                node.start()
            for node in nodes[1:]:
                node.wait_started()
            if size > 1:
                cluster.wait_clustered()
            yield cluster
        finally:
            for node in nodes:
                node.kill()
            shutil.rmtree(root, ignore_errors=True)

    def wait_clustered(self, timeout: float = 60) -> None:
        eventually_blocking(
            lambda: self.nodes[0].ctl("cluster_status", "--formatter", "json"),
            until=lambda status: all(status.count(node.name) >= 2 for node in self.nodes),
            timeout=timeout,
            every=1,
            what="the nodes clustered",
        )
