"""``mppctl agencies``: the agencies and the services (layanan) they offer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from mppctl.commands.context import client_of, note_more, output_for
from mppctl.commands.errors import guarded
from mppctl.commands.options import IfMatchOpt, JsonOpt, LimitOpt
from mppctl.output import Column, Output, moment

app = typer.Typer(help="Agencies and the services (layanan) they offer.", no_args_is_help=True)

AGENCY_COLUMNS = [
    Column("CODE", "code", no_wrap=True),
    Column("NAME", "name"),
    Column("KIND", "kind", no_wrap=True),
    Column("SERVICES", lambda a: len(a.get("services") or []), no_wrap=True),
    Column("STATUS", "status", no_wrap=True),
    Column("ID", "id", no_wrap=True),
]


def show_agency(out: Output, agency: Mapping[str, Any]) -> None:
    if out.as_json:
        out.json(agency)
        return
    out.record(
        [
            ("id", agency.get("id")),
            ("code", agency.get("code")),
            ("name", agency.get("name")),
            ("acronym", agency.get("acronym")),
            ("kind", agency.get("kind")),
            ("status", agency.get("status")),
            ("contact", agency.get("contact")),
            ("version", agency.get("version")),
            ("created", moment(agency.get("created_at"))),
            ("updated", moment(agency.get("updated_at"))),
        ],
        title=f"Agency {agency.get('code')}",
    )
    out.blank()
    out.table(
        agency.get("services") or [],
        [Column("CODE", "code", no_wrap=True), Column("SERVICE", "name")],
        title="Services (layanan)",
    )


@app.command("list")
@guarded
def agencies_list(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option(help="ministry, agency, soe, public_body or local_government.")
    ] = None,
    status: Annotated[str | None, typer.Option(help="active or inactive.")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Part of the code, name or acronym.")
    ] = None,
    limit: LimitOpt = 200,
    as_json: JsonOpt = False,
) -> None:
    """List agencies."""
    out = output_for(ctx, as_json)
    items, more = client_of(ctx).collect(
        "agency", "/agencies", {"kind": kind, "status": status, "q": search}, limit=limit
    )
    out.table(items, AGENCY_COLUMNS, empty="No agencies.")
    note_more(out, more, limit)


@app.command("show")
@guarded
def agencies_show(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or its code, e.g. KEMENKUMHAM.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one agency and its services."""
    show_agency(output_for(ctx, as_json), client_of(ctx).resolve_agency(agency))


def _service_option(values: list[str] | None) -> list[dict[str, str]]:
    services = []
    for value in values or []:
        code, sep, name = value.partition("=")
        if not sep or not code.strip() or not name.strip():
            raise typer.BadParameter(
                f"{value!r}: write CODE=Name, e.g. PASPOR='Permohonan paspor'",
                param_hint="--service",
            )
        services.append({"code": code.strip(), "name": name.strip()})
    return services


@app.command("register")
@guarded
def agencies_register(
    ctx: typer.Context,
    code: Annotated[str, typer.Option(help="Unique, upper case, e.g. KEMENPANRB.")],
    name: Annotated[str, typer.Option(help="Official name.")],
    kind: Annotated[
        str, typer.Option(help="ministry, agency, soe, public_body or local_government.")
    ],
    acronym: Annotated[str | None, typer.Option(help="e.g. KemenPANRB.")] = None,
    service: Annotated[
        list[str] | None,
        typer.Option(
            "--service", metavar="CODE=NAME", help="CODE=Name of a service it offers; repeatable."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an agency (publishes agency.registered)."""
    body = {
        "code": code,
        "name": name,
        "kind": kind,
        "acronym": acronym,
        "services": _service_option(service),
    }
    agency = client_of(ctx).post("agency", "/agencies", body)
    out = output_for(ctx, as_json)
    out.success(f"Registered {agency.get('code')} as {agency.get('id')}.")
    show_agency(out, agency)


@app.command("add-service")
@guarded
def agencies_add_service(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or code.")],
    code: Annotated[str, typer.Argument(help="Service code, e.g. PASPOR.")],
    name: Annotated[str, typer.Argument(help="Service name, e.g. 'Permohonan paspor'.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a service (layanan) an agency offers (publishes agency.service_added)."""
    client = client_of(ctx)
    found = client.resolve_agency(agency)
    updated = client.post(
        "agency",
        f"/agencies/{found['id']}/services",
        {"code": code, "name": name},
        if_match=if_match,
    )
    out = output_for(ctx, as_json)
    out.success(f"{updated.get('code')} now offers {code}.")
    show_agency(out, updated)


@app.command("remove-service")
@guarded
def agencies_remove_service(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or code.")],
    code: Annotated[str, typer.Argument(help="Service code.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a service an agency offers (publishes agency.service_removed)."""
    client = client_of(ctx)
    found = client.resolve_agency(agency)
    updated = client.delete("agency", f"/agencies/{found['id']}/services/{code}", if_match=if_match)
    out = output_for(ctx, as_json)
    out.success(f"{updated.get('code')} no longer offers {code}.")
    show_agency(out, updated)


@app.command("deactivate")
@guarded
def agencies_deactivate(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or code.")],
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate an agency: no new MoUs or counters (publishes agency.deactivated)."""
    client = client_of(ctx)
    found = client.resolve_agency(agency)
    updated = client.post(
        "agency",
        f"/agencies/{found['id']}/deactivate",
        {"reason": reason} if reason else None,
        if_match=if_match,
    )
    out = output_for(ctx, as_json)
    out.success(f"{updated.get('code')} is {updated.get('status')}.")
    show_agency(out, updated)
