"""mppctl: the operator CLI of the MPP (Mal Pelayanan Publik) platform.

It talks only to the services' public HTTP resources (docs/contract.md). Configuration comes from
the environment: ``MPP_AGENCY_URL``, ``MPP_MOU_URL``, ``MPP_MALL_URL``, ``MPP_NOTIFY_URL``
(defaults http://localhost:8001 .. 8004), ``MPP_API_KEY`` (the bearer key for changes and
for notify's subscriptions) and ``MPP_TIMEOUT`` (seconds per request, default 10).

Output: tables for people; ``--json`` (before or after the command) for scripts, on stdout.
Errors go to stderr: the problem detail's message, the field at fault and each error listed
(with ``--json``: the problem document itself, as one JSON line).

Exit codes, for scripts:

==== =========================================================================
 0   success
 1   the API refused the request (4xx other than 404): see the problem detail
 2   usage error: unknown command, missing or malformed option
 3   a service is unreachable, failed (5xx), or (``health``) is not ready
 4   not found (404): no such agency, MoU, mall, subscription ...
 130 interrupted (Ctrl-C)
==== =========================================================================
"""

from __future__ import annotations

import importlib.metadata
from typing import Annotated

import typer

from mppctl.client import MppClient
from mppctl.commands import agencies, events, health, malls, mous, seed, subscriptions
from mppctl.commands.context import CliState
from mppctl.commands.errors import (
    EXIT_CODES_HELP,
    EXIT_INTERRUPTED,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_UNAVAILABLE",
    "EXIT_USAGE",
    "CliState",
    "app",
    "client_factory",
    "run",
]

ENV_HELP = (
    "Environment: MPP_AGENCY_URL, MPP_MOU_URL, MPP_MALL_URL, MPP_NOTIFY_URL (default"
    " http://localhost:8001..8004), MPP_API_KEY (bearer key for changes), MPP_TIMEOUT."
)


def client_factory() -> MppClient:
    """How the CLI builds its client (tests pass their own through ``obj=CliState(...)``)."""
    return MppClient.from_env()


app = typer.Typer(
    name="mppctl",
    help="Operate the MPP platform: agencies, MoUs, malls, subscriptions, the live event"
    " feed, health, and the seed data.",
    epilog=f"{EXIT_CODES_HELP}\n\n{ENV_HELP}",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def version_text() -> str:
    """What ``mppctl --version`` prints: the installed distribution's version and the Python."""
    import platform

    try:
        version = importlib.metadata.version("mpp-platform")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        from mppctl import __version__ as version
    return f"mppctl {version} (Python {platform.python_version()})"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(version_text())
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (for scripts) for every command.")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print mppctl's version and exit.",
        ),
    ] = False,
) -> None:
    if ctx.obj is None:
        # Looked up when first needed, so a test can replace `client_factory`.
        ctx.obj = CliState(factory=lambda: client_factory())
    state: CliState = ctx.obj
    state.as_json = state.as_json or as_json
    ctx.call_on_close(state.close)


app.add_typer(agencies.app, name="agencies")
app.add_typer(mous.app, name="mous")
app.add_typer(malls.app, name="malls")
app.add_typer(subscriptions.app, name="subscriptions")
app.add_typer(events.app, name="events")
app.command("health")(health.health)
app.command("seed")(seed.seed)


def run() -> None:
    """Console entry point (``python -m mppctl``)."""
    app(prog_name="mppctl")
