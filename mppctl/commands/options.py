"""Options several commands share, and the parsing of the values people type into them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print JSON (for scripts) instead of a table.")
]
IfMatchOpt = Annotated[
    int | None,
    typer.Option("--if-match", help="Refuse (412) unless the resource is still at this version."),
]
LimitOpt = Annotated[
    int, typer.Option("--limit", min=1, metavar="N", help="At most this many items.")
]
ReasonOpt = Annotated[str | None, typer.Option(help="Why.")]
AgencyArg = Annotated[str, typer.Argument(help="Its id or code.")]
AgencyOpt = Annotated[str, typer.Option(help="The agency (id or code).")]
MallArg = Annotated[str, typer.Argument(help="Its id, or its region's Kemendagri code (61.03).")]
MouArg = Annotated[str, typer.Argument(help="The MoU's id.")]


def at_field(key: str, at: str | None) -> dict[str, str]:
    """``{key: <the --at moment>}``, or nothing when ``--at`` was not given (the service's now)."""
    when = parse_when(at, "--at")
    return {key: when} if when else {}


def reason_body(reason: str | None) -> dict[str, str] | None:
    """The body of an action that may say why (none when it does not)."""
    return {"reason": reason} if reason else None


def parse_when(value: str | None, option: str) -> str | None:
    """An RFC 3339 timestamp from ``2022-05-24``, ``2022-05-24T10:00`` or with an offset.

    A date alone is midnight UTC; a time without an offset is taken as UTC.
    """
    if value is None:
        return None
    try:
        moment_ = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or time; use 2022-05-24, 2022-05-24T10:00 or"
            " 2022-05-24T10:00:00+07:00",
            param_hint=option,
        ) from None
    if moment_.tzinfo is None:
        moment_ = moment_.replace(tzinfo=UTC)
    return moment_.isoformat()


def parse_day(value: str | None, option: str) -> str | None:
    """An ISO date (``2022-06-28``), refused as a usage error when it is anything else."""
    if value is None:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2022-06-28", param_hint=option
        ) from None


def split_patterns(values: list[str] | None) -> list[str]:
    """Event types or patterns given repeated, comma-separated, or both."""
    return [t.strip() for value in values or [] for t in value.split(",") if t.strip()]
