"""``mppctl agencies``: the agencies and the services (layanan) they offer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from mppctl.commands.context import client_of, list_table, output_for, report
from mppctl.commands.errors import guarded
from mppctl.commands.options import (
    AgencyArg,
    IfMatchOpt,
    JsonOpt,
    LimitOpt,
    ReasonOpt,
    reason_body,
)
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
    query = {"kind": kind, "status": status, "q": search}
    list_table(
        ctx,
        as_json,
        ("agency", "/agencies", query),
        AGENCY_COLUMNS,
        limit=limit,
        empty="No agencies.",
    )


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
    report(
        ctx, as_json, f"Registered {agency.get('code')} as {agency.get('id')}.", agency, show_agency
    )


def _agency_path(ctx: typer.Context, agency: str, action: str) -> str:
    """``/agencies/<id>/<action>`` for an agency given by its id or its code."""
    return f"/agencies/{client_of(ctx).resolve_agency(agency)['id']}/{action}"


@app.command("add-service")
@guarded
def agencies_add_service(
    ctx: typer.Context,
    agency: AgencyArg,
    code: Annotated[str, typer.Argument(help="Service code, e.g. PASPOR.")],
    name: Annotated[str, typer.Argument(help="Service name, e.g. 'Permohonan paspor'.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a service (layanan) an agency offers (publishes agency.service_added)."""
    body = {"code": code, "name": name}
    path = _agency_path(ctx, agency, "services")
    updated = client_of(ctx).post("agency", path, body, if_match=if_match)
    report(ctx, as_json, f"{updated.get('code')} now offers {code}.", updated, show_agency)


@app.command("remove-service")
@guarded
def agencies_remove_service(
    ctx: typer.Context,
    agency: AgencyArg,
    code: Annotated[str, typer.Argument(help="Service code.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a service an agency offers (publishes agency.service_removed)."""
    path = _agency_path(ctx, agency, f"services/{code}")
    updated = client_of(ctx).delete("agency", path, if_match=if_match)
    report(ctx, as_json, f"{updated.get('code')} no longer offers {code}.", updated, show_agency)


@app.command("deactivate")
@guarded
def agencies_deactivate(
    ctx: typer.Context,
    agency: AgencyArg,
    reason: ReasonOpt = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate an agency: no new MoUs or counters (publishes agency.deactivated)."""
    path = _agency_path(ctx, agency, "deactivate")
    updated = client_of(ctx).post("agency", path, reason_body(reason), if_match=if_match)
    report(ctx, as_json, f"{updated.get('code')} is {updated.get('status')}.", updated, show_agency)
