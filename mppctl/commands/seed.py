"""``mppctl seed``: load the programme's real data through the public APIs."""

from __future__ import annotations

from typing import Annotated

import typer

from mppctl.commands.context import client_of, output_for
from mppctl.commands.errors import guarded
from mppctl.commands.options import JsonOpt
from mppctl.output import Column
from mppctl.seed import DEFAULT_WAIT_SECONDS, Seeder


@guarded
def seed(
    ctx: typer.Context,
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
    their regions, inaugurations and counters. A second run changes nothing and says so.
    """
    out = output_for(ctx, as_json)
    progress = (lambda _: None) if quiet else out.note
    report = Seeder(client_of(ctx), wait_seconds=wait, progress=progress).run()
    if out.as_json:
        out.json(report.to_json())
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
