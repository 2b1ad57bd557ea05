"""``mppctl malls``: malls, their region, lifecycle, inauguration and counters (gerai)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from mppctl.commands.context import client_of, list_table, output_for, report
from mppctl.commands.errors import guarded
from mppctl.commands.options import (
    AgencyOpt,
    IfMatchOpt,
    JsonOpt,
    LimitOpt,
    MallArg,
    ReasonOpt,
    at_field,
    parse_when,
    reason_body,
)
from mppctl.output import Column, Output, day, moment
from mppctl.reference_data import mall_body

app = typer.Typer(help="Malls: region, lifecycle, inauguration, counters.", no_args_is_help=True)

MALL_COLUMNS = [
    Column("KEMENDAGRI CODE", "region.regency_code", no_wrap=True),
    Column("NAME", "name", no_wrap=True),
    Column("PROVINCE", "region.province_name", no_wrap=True),
    Column("STATUS", "status", no_wrap=True),
    Column("INAUGURATED", lambda m: day(m.get("inaugurated_at")), no_wrap=True),
    Column("BY", "inaugurated_by"),
    Column("COUNTERS", lambda m: len(m.get("counters") or []), no_wrap=True),
    Column("ID", "id", no_wrap=True),
]


def _region(mall: Mapping[str, Any]) -> str:
    region = mall.get("region") or {}
    return (
        f"{region.get('regency_name')} (Kemendagri code {region.get('regency_code')}),"
        f" {region.get('province_name')} ({region.get('province_code')})"
    )


def show_mall(out: Output, mall: Mapping[str, Any]) -> None:
    if out.as_json:
        out.json(mall)
        return
    out.record(
        [
            ("id", mall.get("id")),
            ("name", mall.get("name")),
            ("region", _region(mall)),
            ("address", mall.get("address")),
            ("status", mall.get("status")),
            ("opened", moment(mall.get("opened_at"))),
            ("inauguration set for", moment(mall.get("inauguration_scheduled_for"))),
            ("inaugurated", moment(mall.get("inaugurated_at"))),
            ("inaugurated by", mall.get("inaugurated_by")),
            ("closed", moment(mall.get("closed_at"))),
            ("version", mall.get("version")),
        ],
        title="Mall",
    )
    out.blank()
    out.table(
        mall.get("counters") or [],
        [
            Column("AGENCY", "code", no_wrap=True),
            Column("NAME", "name"),
            Column("SERVICES", "services"),
            Column("OPENED", lambda c: day(c.get("opened_at")), no_wrap=True),
            Column(
                "FLAGGED", lambda c: c.get("flag_reason") or ("yes" if c.get("flagged") else "")
            ),
        ],
        title="Counters (gerai)",
    )


@app.command("list")
@guarded
def malls_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="planned, operating, inaugurated or closed.")
    ] = None,
    province: Annotated[
        str | None, typer.Option("--province", help="Kemendagri province code, e.g. 61.")
    ] = None,
    limit: LimitOpt = 200,
    as_json: JsonOpt = False,
) -> None:
    """List malls with their region (Kemendagri code), status and inauguration."""
    query = {"status": status, "province_code": province}
    list_table(
        ctx, as_json, ("mall", "/malls", query), MALL_COLUMNS, limit=limit, empty="No malls."
    )


@app.command("show")
@guarded
def malls_show(
    ctx: typer.Context,
    mall: MallArg,
    as_json: JsonOpt = False,
) -> None:
    """Show one mall and its counters."""
    show_mall(output_for(ctx, as_json), client_of(ctx).resolve_mall(mall))


@app.command("stats")
@guarded
def malls_stats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The programme's figures: malls by status and province, counters, agencies."""
    stats = client_of(ctx).get("mall", "/malls/stats")
    out = output_for(ctx, as_json)
    if out.as_json or not isinstance(stats, dict):
        out.json(stats)
        return
    fields: list[tuple[str, Any]] = []
    for key, value in stats.items():
        if isinstance(value, dict):
            fields.extend((f"{key}.{k}", v) for k, v in value.items())
        elif not isinstance(value, list):
            fields.append((key, value))
    out.record(fields, title="Malls")
    for key, value in stats.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            out.blank()
            keys = list(value[0].keys())
            out.table(value, [Column(k.upper().replace("_", " "), k) for k in keys], title=key)


@app.command("register")
@guarded
def malls_register(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="e.g. 'MPP Kabupaten Sanggau'.")],
    province_code: Annotated[str, typer.Option(help="Kemendagri province code, e.g. 61.")],
    regency_code: Annotated[str, typer.Option(help="Kemendagri regency code, e.g. 61.03.")],
    regency_name: Annotated[str, typer.Option(help="e.g. 'Kabupaten Sanggau'.")],
    address: Annotated[str | None, typer.Option(help="Street address.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a planned mall for a regency or city (publishes mall.planned)."""
    region = {
        "province_code": province_code,
        "regency_code": regency_code,
        "regency_name": regency_name,
    }
    mall = client_of(ctx).post("mall", "/malls", mall_body(name, region, address))
    report(ctx, as_json, f"Registered {mall.get('name')} as {mall.get('id')}.", mall, show_mall)


def _mall_change(
    ctx: typer.Context, mall: str, path: str, body: Any, if_match: int | None
) -> dict[str, Any]:
    client = client_of(ctx)
    mall_id = client.resolve_mall(mall)["id"]
    result: dict[str, Any] = client.post(
        "mall", f"/malls/{mall_id}/{path}", body, if_match=if_match
    )
    return result


@app.command("open")
@guarded
def malls_open(
    ctx: typer.Context,
    mall: MallArg,
    at: Annotated[
        str | None, typer.Option("--at", help="When it started serving (default now).")
    ] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A planned mall starts serving, a soft launch (publishes mall.opened)."""
    updated = _mall_change(ctx, mall, "open", at_field("opened_at", at) or None, if_match)
    report(ctx, as_json, f"{updated.get('name')} is {updated.get('status')}.", updated, show_mall)


@app.command("schedule")
@guarded
def malls_schedule(
    ctx: typer.Context,
    mall: MallArg,
    for_: Annotated[
        str, typer.Option("--for", help="Inauguration date/time, e.g. 2022-05-24T10:00:00+07:00.")
    ],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the inauguration date (publishes mall.inauguration_scheduled)."""
    updated = _mall_change(
        ctx, mall, "inauguration", {"scheduled_for": parse_when(for_, "--for")}, if_match
    )
    when = moment(updated.get("inauguration_scheduled_for"))
    report(ctx, as_json, f"{updated.get('name')}: inauguration set for {when}.", updated, show_mall)


@app.command("inaugurate")
@guarded
def malls_inaugurate(
    ctx: typer.Context,
    mall: MallArg,
    by: Annotated[str, typer.Option("--by", help="Who inaugurated it, e.g. 'Menteri PANRB'.")],
    at: Annotated[
        str | None, typer.Option("--at", help="When (default now); may be historic.")
    ] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the official inauguration, peresmian (publishes mall.inaugurated)."""
    body = {"inaugurated_by": by, **at_field("inaugurated_at", at)}
    updated = _mall_change(ctx, mall, "inaugurate", body, if_match)
    report(
        ctx,
        as_json,
        f"{updated.get('name')} inaugurated on {day(updated.get('inaugurated_at'))}.",
        updated,
        show_mall,
    )


@app.command("open-counter")
@guarded
def malls_open_counter(
    ctx: typer.Context,
    mall: MallArg,
    agency: AgencyOpt,
    service: Annotated[
        list[str],
        typer.Option(
            "--service", metavar="CODE", help="A service code it offers there; repeatable."
        ),
    ],
    at: Annotated[str | None, typer.Option("--at", help="When it opened (default now).")] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Open an agency's counter, gerai (publishes mall.counter_opened)."""
    agency_id = client_of(ctx).resolve_agency(agency)["id"]
    body = {"agency_id": agency_id, "services": service, **at_field("opened_at", at)}
    updated = _mall_change(ctx, mall, "counters", body, if_match)
    report(ctx, as_json, f"Counter opened in {updated.get('name')}.", updated, show_mall)


@app.command("close-counter")
@guarded
def malls_close_counter(
    ctx: typer.Context,
    mall: MallArg,
    agency: AgencyOpt,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close an agency's counter (publishes mall.counter_closed)."""
    client = client_of(ctx)
    mall_id = client.resolve_mall(mall)["id"]
    agency_id = client.resolve_agency(agency)["id"]
    updated = client.delete("mall", f"/malls/{mall_id}/counters/{agency_id}", if_match=if_match)
    report(ctx, as_json, f"Counter closed in {updated.get('name')}.", updated, show_mall)


@app.command("close")
@guarded
def malls_close(
    ctx: typer.Context,
    mall: MallArg,
    reason: ReasonOpt = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The mall stops operating (publishes mall.closed)."""
    updated = _mall_change(ctx, mall, "close", reason_body(reason), if_match)
    report(ctx, as_json, f"{updated.get('name')} is {updated.get('status')}.", updated, show_mall)
