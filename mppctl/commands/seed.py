"""``mppctl seed``: the reference data, and with ``--history`` the programme's ~300 malls."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from mppctl.commands.context import client_of, output_for
from mppctl.commands.errors import EXIT_UNAVAILABLE, guarded
from mppctl.commands.options import JsonOpt
from mppctl.history import DEFAULT_WORKERS, HistorySeeder, wait_for_notify
from mppctl.output import Column
from mppctl.seed import DEFAULT_WAIT_SECONDS, Seeder

NOTIFY_WAIT_SECONDS = 120.0


@guarded
def seed(
    ctx: typer.Context,
    history: Annotated[
        bool,
        typer.Option(
            "--history",
            help="Also load the programme's history (data/mpp-malls.csv): every recorded mall,"
            " opened or inaugurated on its recorded date, then wait for notify's log to hold"
            " the last event.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option("--workers", min=1, max=32, help="Requests in flight while loading history."),
    ] = DEFAULT_WORKERS,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="Seconds to wait, per step, for a service to learn what another published.",
        ),
    ] = DEFAULT_WAIT_SECONDS,
    quiet: Annotated[bool, typer.Option("--quiet", help="Only the summary.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load the programme's real data through the public APIs (idempotent).

    The 17 agencies of the 2022 MoU and local governments with their services, the MoU of
    28 June 2022 signed by all parties with its working team, and the reference malls with
    their regions, inaugurations and counters; with --history, the ~300 malls of the
    public record too. A second run changes nothing and says so.
    """
    out = output_for(ctx, as_json)
    progress = (lambda _: None) if quiet else out.note
    client = client_of(ctx)
    started = time.monotonic()
    seeder = Seeder(client, wait_seconds=wait, progress=progress)
    report = seeder.run()
    timings: dict[str, float] = {}
    if history:
        loader = HistorySeeder(client, report, workers=workers, progress=progress)
        loader.run()
        timings["load_seconds"] = round(time.monotonic() - started, 2)
        if loader.last_written is not None:
            try:
                lag = wait_for_notify(client, loader.last_written, timeout=NOTIFY_WAIT_SECONDS)
            except TimeoutError as error:
                message = f"loaded, but {error}: is notify consuming?"
                out.error(message, problem={"title": "notify behind", "detail": message})
                raise typer.Exit(EXIT_UNAVAILABLE) from error
            timings["notify_lag_seconds"] = round(lag, 2)
    timings["total_seconds"] = round(time.monotonic() - started, 2)
    if out.as_json:
        out.json({**report.to_json(), **timings})
        return
    out.table(
        report.by_kind(),
        [
            Column("WHAT", "kind", no_wrap=True),
            Column("CREATED", "created", no_wrap=True),
            Column("UPDATED", "updated", no_wrap=True),
            Column("ALREADY PRESENT", "already_present", no_wrap=True),
        ],
    )
    out.line(report.summary())
    if history:
        figures = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in timings.items())
        out.line(f"History: {figures}.")
