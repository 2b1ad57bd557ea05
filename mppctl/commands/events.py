"""``mppctl events``: notify's event log and its live feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from mppctl.commands.context import client_of, note_more, output_for
from mppctl.commands.errors import EXIT_OK, guarded
from mppctl.commands.options import JsonOpt, LimitOpt, parse_when, split_patterns
from mppctl.output import Column, cell, day, moment
from mppctl.sse import FeedEvent, follow

app = typer.Typer(help="The event log and the live event feed (notify).", no_args_is_help=True)


def event_summary(event: Mapping[str, Any]) -> str:
    """A few words on what an event is about, from its ``data``."""
    data = event.get("data") or {}
    if not isinstance(data, Mapping):
        return ""
    region = data.get("region") if isinstance(data.get("region"), Mapping) else None
    parts: list[str] = []
    if data.get("code"):
        parts.append(str(data["code"]))
    if data.get("name"):
        parts.append(str(data["name"]))
    elif data.get("title"):
        parts.append(str(data["title"]))
    if region:
        parts.append(f"({region.get('regency_code')})")
    party = data.get("party")
    if isinstance(party, Mapping):
        parts.append(
            f"signed by {party.get('code')} ({data.get('signed_count')}/{data.get('party_count')})"
        )
    counter = data.get("counter")
    if isinstance(counter, Mapping):
        parts.append(f"counter {counter.get('code')}")
    for key in ("inaugurated_at", "scheduled_for", "opened_at", "signing_at"):
        if data.get(key):
            parts.append(f"{key.split('_')[0]} {day(data[key])}")
            break
    return " ".join(parts)


def _log_entry(item: Mapping[str, Any]) -> tuple[Any, Mapping[str, Any]]:
    event = item.get("event")
    return item.get("position"), event if isinstance(event, Mapping) else item


EVENT_COLUMNS = [
    Column("POSITION", lambda i: _log_entry(i)[0], no_wrap=True),
    Column("TIME", lambda i: moment(_log_entry(i)[1].get("time")), no_wrap=True),
    Column("TYPE", lambda i: _log_entry(i)[1].get("type"), no_wrap=True),
    Column("SUBJECT", lambda i: _log_entry(i)[1].get("subject"), no_wrap=True),
    Column("ABOUT", lambda i: event_summary(_log_entry(i)[1])),
]


@app.command("list")
@guarded
def events_list(
    ctx: typer.Context,
    event_type: Annotated[
        list[str] | None,
        typer.Option("--type", metavar="PATTERN", help="Type or pattern (mou.*); repeatable."),
    ] = None,
    subject: Annotated[
        str | None, typer.Option(help="Only events about this aggregate id.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only events since then.")] = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """List the event log, oldest first."""
    out = output_for(ctx, as_json)
    params = {
        "type": ",".join(event_type) if event_type else None,
        "subject": subject,
        "since": parse_when(since, "--since"),
    }
    items, more = client_of(ctx).collect("notify", "/events", params, limit=limit)
    out.table(items, EVENT_COLUMNS, empty="No events.")
    note_more(out, more, limit)


def format_feed_line(event: FeedEvent) -> str:
    body = event.cloudevent
    position = event.position if event.position is not None else "-"
    return "  ".join(
        part
        for part in (
            f"#{position}",
            moment(body.get("time")),
            event.type,
            cell(body.get("subject")),
            event_summary(body),
        )
        if part
    )


@app.command("tail")
@guarded
def events_tail(
    ctx: typer.Context,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--types",
            "--type",
            metavar="PATTERN",
            help="Only these types or patterns (mou.*, mall.#); repeatable or comma-separated.",
        ),
    ] = None,
    from_position: Annotated[
        int | None,
        typer.Option(
            "--from-position",
            metavar="N",
            min=1,
            help="Replay the log from this position (1: everything), then follow.",
        ),
    ] = None,
    max_events: Annotated[
        int | None,
        typer.Option("--max-events", min=1, metavar="N", help="Stop after this many events."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Follow the live event feed, one line per event (JSON lines with --json).

    Without --from-position only new events are shown. A dropped connection is resumed from
    the last position seen (Last-Event-ID), so nothing is missed or shown twice. Ctrl-C stops.
    """
    out = output_for(ctx, as_json)
    patterns = split_patterns(types)

    def show(event: FeedEvent) -> None:
        if out.as_json:
            out.json_line(event.to_json())
        else:
            out.line(format_feed_line(event))

    last_event_id = str(from_position - 1) if from_position is not None else None
    try:
        follow(
            client_of(ctx),
            show,
            types=patterns or None,
            last_event_id=last_event_id,
            max_events=max_events,
            on_notice=out.note,
        )
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_OK) from None
