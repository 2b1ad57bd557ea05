"""``mppctl mous``: MoUs (Nota Kesepahaman), their parties, signatures and working team."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from mppctl.commands.context import client_of, list_table, output_for, report
from mppctl.commands.errors import guarded
from mppctl.commands.options import (
    IfMatchOpt,
    JsonOpt,
    LimitOpt,
    MouArg,
    at_field,
    parse_day,
    parse_when,
)
from mppctl.output import Column, Output, day, moment

app = typer.Typer(
    help="MoUs (Nota Kesepahaman): parties, signatures, working team.", no_args_is_help=True
)


def _signed_count(mou: Mapping[str, Any]) -> str:
    parties = mou.get("parties") or []
    signed = sum(1 for p in parties if p.get("signed_at"))
    return f"{signed}/{len(parties)}"


MOU_COLUMNS = [
    Column("ID", "id", no_wrap=True),
    Column("NUMBER", "number"),
    Column("TITLE", "title", max_width=60),
    Column("STATUS", "status", no_wrap=True),
    Column("SIGNED", _signed_count, no_wrap=True),
    Column("SIGNING", lambda m: day(m.get("signing_at")), no_wrap=True),
    Column("IN FORCE FROM", lambda m: day(m.get("valid_from")), no_wrap=True),
]


def show_mou(out: Output, mou: Mapping[str, Any]) -> None:
    if out.as_json:
        out.json(mou)
        return
    out.record(
        [
            ("id", mou.get("id")),
            ("number", mou.get("number")),
            ("title", mou.get("title")),
            ("status", mou.get("status")),
            ("signing at", moment(mou.get("signing_at"))),
            ("signed", f"{_signed_count(mou)} parties"),
            ("valid from", mou.get("valid_from")),
            ("valid until", mou.get("valid_until")),
            ("termination", mou.get("termination_reason")),
            ("version", mou.get("version")),
        ],
        title="MoU",
    )
    out.blank()
    out.table(
        mou.get("parties") or [],
        [
            Column("CODE", "code", no_wrap=True),
            Column("NAME", "name"),
            Column("SIGNATORY", "signatory_name"),
            Column("TITLE", "signatory_title"),
            Column("SIGNED AT", lambda p: moment(p.get("signed_at")), no_wrap=True),
        ],
        title="Parties",
    )
    out.blank()
    out.table(
        mou.get("team") or [],
        [
            Column("AGENCY", lambda m: m.get("agency_code") or m.get("agency_id"), no_wrap=True),
            Column("NAME", "name"),
            Column("ROLE", "role", no_wrap=True),
        ],
        title="Working team",
    )


@app.command("list")
@guarded
def mous_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option(help="draft, signing, signed, terminated or expired.")
    ] = None,
    party: Annotated[
        str | None, typer.Option(help="Only MoUs this agency (id or code) is party to.")
    ] = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """List MoUs."""
    party_id = client_of(ctx).resolve_agency(party)["id"] if party else None
    query = {"status": status, "party": party_id}
    list_table(ctx, as_json, ("mou", "/mous", query), MOU_COLUMNS, limit=limit, empty="No MoUs.")


@app.command("show")
@guarded
def mous_show(
    ctx: typer.Context,
    mou_id: MouArg,
    as_json: JsonOpt = False,
) -> None:
    """Show one MoU: its parties and signatures, and its working team."""
    show_mou(output_for(ctx, as_json), client_of(ctx).get("mou", f"/mous/{mou_id}"))


@app.command("draft")
@guarded
def mous_draft(
    ctx: typer.Context,
    title: Annotated[str, typer.Option(help="The MoU's title.")],
    party: Annotated[
        list[str],
        typer.Option(
            "--party", metavar="AGENCY", help="A party (agency id or code); at least two."
        ),
    ],
    number: Annotated[str | None, typer.Option(help="Its official number, if it has one.")] = None,
    valid_from: Annotated[str | None, typer.Option(help="First day in force (YYYY-MM-DD).")] = None,
    valid_until: Annotated[str | None, typer.Option(help="Last day in force (YYYY-MM-DD).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Draft an MoU between agencies (publishes mou.drafted)."""
    client = client_of(ctx)
    body: dict[str, Any] = {
        "title": title,
        "parties": [{"agency_id": client.resolve_agency(p)["id"]} for p in party],
    }
    if number:
        body["number"] = number
    if valid_from:
        body["valid_from"] = parse_day(valid_from, "--valid-from")
    if valid_until:
        body["valid_until"] = parse_day(valid_until, "--valid-until")
    mou = client.post("mou", "/mous", body)
    report(ctx, as_json, f"Drafted MoU {mou.get('id')}.", mou, show_mou)


@app.command("schedule")
@guarded
def mous_schedule(
    ctx: typer.Context,
    mou_id: MouArg,
    at: Annotated[
        str, typer.Option("--at", help="Signing date/time, e.g. 2022-06-28T10:00:00+07:00.")
    ],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the signing date (publishes mou.signing_scheduled)."""
    mou = client_of(ctx).post(
        "mou", f"/mous/{mou_id}/schedule", {"signing_at": parse_when(at, "--at")}, if_match=if_match
    )
    report(ctx, as_json, f"Signing scheduled for {moment(mou.get('signing_at'))}.", mou, show_mou)


@app.command("sign")
@guarded
def mous_sign(
    ctx: typer.Context,
    mou_id: MouArg,
    agency: Annotated[str, typer.Option(help="The signing party (id or code).")],
    name: Annotated[str, typer.Option("--name", help="Who signs.")],
    title: Annotated[
        str, typer.Option("--title", help="Their office, e.g. 'Menteri Dalam Negeri'.")
    ],
    at: Annotated[
        str | None, typer.Option("--at", help="When it was signed (default now).")
    ] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a party's signature (mou.party_signed; mou.signed when it is the last)."""
    client = client_of(ctx)
    body = {
        "agency_id": client.resolve_agency(agency)["id"],
        "signatory_name": name,
        "signatory_title": title,
        **at_field("signed_at", at),
    }
    mou = client.post("mou", f"/mous/{mou_id}/signatures", body, if_match=if_match)
    signed = f"Signed: {_signed_count(mou)} parties; the MoU is {mou.get('status')}."
    report(ctx, as_json, signed, mou, show_mou)


@app.command("add-member")
@guarded
def mous_add_member(
    ctx: typer.Context,
    mou_id: MouArg,
    agency: Annotated[str, typer.Option(help="The member's agency, a party (id or code).")],
    name: Annotated[str, typer.Option("--name", help="Name or position.")],
    role: Annotated[str, typer.Option("--role", help="e.g. Ketua, Sekretaris, Anggota.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Appoint a working-team member (publishes mou.team_member_added)."""
    client = client_of(ctx)
    body = {"agency_id": client.resolve_agency(agency)["id"], "name": name, "role": role}
    mou = client.post("mou", f"/mous/{mou_id}/team-members", body, if_match=if_match)
    report(ctx, as_json, f"{name} joined the working team as {role}.", mou, show_mou)


@app.command("terminate")
@guarded
def mous_terminate(
    ctx: typer.Context,
    mou_id: MouArg,
    reason: Annotated[str, typer.Option(help="Why it ends early.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """End an MoU early (publishes mou.terminated)."""
    mou = client_of(ctx).post(
        "mou", f"/mous/{mou_id}/terminate", {"reason": reason}, if_match=if_match
    )
    report(ctx, as_json, f"MoU {mou.get('id')} is {mou.get('status')}.", mou, show_mou)
