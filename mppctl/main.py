"""mppctl: the operator CLI of the MPP (Mal Pelayanan Publik) platform.

It talks only to the services' public HTTP resources (DESIGN.md). Configuration comes from
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

import functools
import importlib.metadata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar, cast

import httpx
import typer

from mppctl.client import (
    SERVICES,
    URL_VARIABLES,
    ApiError,
    MppClient,
    Service,
    ServiceUnreachable,
)
from mppctl.output import Column, Output, cell, day, moment
from mppctl.seed import DEFAULT_WAIT_SECONDS, Seeder
from mppctl.sse import FeedEvent, follow

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_NOT_FOUND = 4
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 the API refused the request (4xx; the problem detail is printed"
    " on stderr); 2 usage error; 3 a service is unreachable, failed (5xx) or is not ready;"
    " 4 not found (404); 130 interrupted."
)
ENV_HELP = (
    "Environment: MPP_AGENCY_URL, MPP_MOU_URL, MPP_MALL_URL, MPP_NOTIFY_URL (default"
    " http://localhost:8001..8004), MPP_API_KEY (bearer key for changes), MPP_TIMEOUT."
)

F = TypeVar("F", bound=Callable[..., Any])


def client_factory() -> MppClient:
    """How the CLI builds its client (tests pass their own through ``obj=CliState(...)``)."""
    return MppClient.from_env()


@dataclass
class CliState:
    client: MppClient | None = None
    as_json: bool = False
    _owned: list[MppClient] = field(default_factory=list)

    def get_client(self) -> MppClient:
        if self.client is None:
            self.client = client_factory()
            self._owned.append(self.client)
        return self.client

    def close(self) -> None:
        for client in self._owned:
            client.close()


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
agencies_app = typer.Typer(
    help="Agencies and the services (layanan) they offer.", no_args_is_help=True
)
mous_app = typer.Typer(
    help="MoUs (Nota Kesepahaman): parties, signatures, working team.", no_args_is_help=True
)
malls_app = typer.Typer(
    help="Malls: region, lifecycle, inauguration, counters.", no_args_is_help=True
)
subscriptions_app = typer.Typer(
    help="Webhook subscriptions and their deliveries (notify).", no_args_is_help=True
)
events_app = typer.Typer(
    help="The event log and the live event feed (notify).", no_args_is_help=True
)
app.add_typer(agencies_app, name="agencies")
app.add_typer(mous_app, name="mous")
app.add_typer(malls_app, name="malls")
app.add_typer(subscriptions_app, name="subscriptions")
app.add_typer(events_app, name="events")

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
        ctx.obj = CliState()
    state: CliState = ctx.obj
    state.as_json = state.as_json or as_json
    ctx.call_on_close(state.close)


def _state(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):
        state = CliState()
        ctx.find_root().obj = state
    return state


def _client(ctx: typer.Context) -> MppClient:
    return _state(ctx).get_client()


def _out(ctx: typer.Context, as_json: bool = False) -> Output:
    return Output(as_json or _state(ctx).as_json)


def exit_code_for(error: Exception) -> int:
    if isinstance(error, ServiceUnreachable):
        return EXIT_UNAVAILABLE
    if isinstance(error, ApiError):
        if error.status == 404:
            return EXIT_NOT_FOUND
        if error.is_server_error:
            return EXIT_UNAVAILABLE
        return EXIT_REFUSED
    return EXIT_REFUSED


def report_error(out: Output, error: Exception) -> None:
    if isinstance(error, ApiError):
        details = [f"{error.status} {error.title} from the {error.service or '?'} service"]
        if error.method and error.url:
            details[0] += f" ({error.method} {error.url})"
        listed = error.errors
        for item in listed:
            where = item.get("field") or item.get("location") or ""
            message = str(item.get("message") or item.get("detail") or "")
            line = f"{where}: {message}" if where else message
            if line and line != error.detail:
                details.append(line)
        if error.field and not listed:
            details.append(f"field: {error.field}")
        if error.status == 401:
            details.append("hint: set MPP_API_KEY to a key the services accept")
        elif error.status == 403:
            details.append("hint: MPP_API_KEY lacks the scope this needs")
        problem = {"status": error.status, **error.problem}
        out.error(error.detail, details=details, problem=problem)
    elif isinstance(error, ServiceUnreachable):
        variable = URL_VARIABLES.get(cast(Service, error.service), "")
        out.error(
            str(error),
            details=[f"hint: is it running? its address comes from {variable}"] if variable else [],
            problem={
                "status": None,
                "title": "Service unreachable",
                "detail": str(error),
                "service": error.service,
                "url": error.url,
            },
        )
    else:
        out.error(str(error))


def guarded(fn: F) -> F:
    """Turn API and connection errors into a message on stderr and a documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = kwargs.get("ctx")
        as_json = bool(kwargs.get("as_json"))
        try:
            return fn(*args, **kwargs)
        except (ApiError, ServiceUnreachable) as error:
            # Typer hands over its own (vendored) click Context: recognise it by behaviour.
            out = (
                _out(cast(typer.Context, ctx), as_json)
                if hasattr(ctx, "find_root")
                else Output(as_json)
            )
            report_error(out, error)
            raise typer.Exit(exit_code_for(error)) from None
        except KeyboardInterrupt:
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


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
    if value is None:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date().isoformat()
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2022-06-28", param_hint=option
        ) from None


def _more(out: Output, more: bool, limit: int) -> None:
    if more and not out.as_json:
        out.note(f"(showing the first {limit}; use --limit to see more)")


# --- agencies ---------------------------------------------------------------------------------

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


@agencies_app.command("list")
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
    out = _out(ctx, as_json)
    items, more = _client(ctx).collect(
        "agency", "/agencies", {"kind": kind, "status": status, "q": search}, limit=limit
    )
    out.table(items, AGENCY_COLUMNS, empty="No agencies.")
    _more(out, more, limit)


@agencies_app.command("show")
@guarded
def agencies_show(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or its code, e.g. KEMENKUMHAM.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one agency and its services."""
    show_agency(_out(ctx, as_json), _client(ctx).resolve_agency(agency))


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


@agencies_app.command("register")
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
    agency = _client(ctx).post("agency", "/agencies", body)
    out = _out(ctx, as_json)
    out.success(f"Registered {agency.get('code')} as {agency.get('id')}.")
    show_agency(out, agency)


@agencies_app.command("add-service")
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
    client = _client(ctx)
    found = client.resolve_agency(agency)
    updated = client.post(
        "agency",
        f"/agencies/{found['id']}/services",
        {"code": code, "name": name},
        if_match=if_match,
    )
    out = _out(ctx, as_json)
    out.success(f"{updated.get('code')} now offers {code}.")
    show_agency(out, updated)


@agencies_app.command("remove-service")
@guarded
def agencies_remove_service(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or code.")],
    code: Annotated[str, typer.Argument(help="Service code.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove a service an agency offers (publishes agency.service_removed)."""
    client = _client(ctx)
    found = client.resolve_agency(agency)
    updated = client.delete("agency", f"/agencies/{found['id']}/services/{code}", if_match=if_match)
    out = _out(ctx, as_json)
    out.success(f"{updated.get('code')} no longer offers {code}.")
    show_agency(out, updated)


@agencies_app.command("deactivate")
@guarded
def agencies_deactivate(
    ctx: typer.Context,
    agency: Annotated[str, typer.Argument(help="Its id or code.")],
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Deactivate an agency: no new MoUs or counters (publishes agency.deactivated)."""
    client = _client(ctx)
    found = client.resolve_agency(agency)
    updated = client.post(
        "agency",
        f"/agencies/{found['id']}/deactivate",
        {"reason": reason} if reason else None,
        if_match=if_match,
    )
    out = _out(ctx, as_json)
    out.success(f"{updated.get('code')} is {updated.get('status')}.")
    show_agency(out, updated)


# --- MoUs -------------------------------------------------------------------------------------


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


@mous_app.command("list")
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
    out = _out(ctx, as_json)
    client = _client(ctx)
    party_id = client.resolve_agency(party)["id"] if party else None
    items, more = client.collect("mou", "/mous", {"status": status, "party": party_id}, limit=limit)
    out.table(items, MOU_COLUMNS, empty="No MoUs.")
    _more(out, more, limit)


@mous_app.command("show")
@guarded
def mous_show(
    ctx: typer.Context,
    mou_id: Annotated[str, typer.Argument(help="The MoU's id.")],
    as_json: JsonOpt = False,
) -> None:
    """Show one MoU: its parties and signatures, and its working team."""
    show_mou(_out(ctx, as_json), _client(ctx).get("mou", f"/mous/{mou_id}"))


@mous_app.command("draft")
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
    client = _client(ctx)
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
    out = _out(ctx, as_json)
    out.success(f"Drafted MoU {mou.get('id')}.")
    show_mou(out, mou)


@mous_app.command("schedule")
@guarded
def mous_schedule(
    ctx: typer.Context,
    mou_id: Annotated[str, typer.Argument(help="The MoU's id.")],
    at: Annotated[
        str, typer.Option("--at", help="Signing date/time, e.g. 2022-06-28T10:00:00+07:00.")
    ],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the signing date (publishes mou.signing_scheduled)."""
    mou = _client(ctx).post(
        "mou", f"/mous/{mou_id}/schedule", {"signing_at": parse_when(at, "--at")}, if_match=if_match
    )
    out = _out(ctx, as_json)
    out.success(f"Signing scheduled for {moment(mou.get('signing_at'))}.")
    show_mou(out, mou)


@mous_app.command("sign")
@guarded
def mous_sign(
    ctx: typer.Context,
    mou_id: Annotated[str, typer.Argument(help="The MoU's id.")],
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
    client = _client(ctx)
    body: dict[str, Any] = {
        "agency_id": client.resolve_agency(agency)["id"],
        "signatory_name": name,
        "signatory_title": title,
    }
    if at:
        body["signed_at"] = parse_when(at, "--at")
    mou = client.post("mou", f"/mous/{mou_id}/signatures", body, if_match=if_match)
    out = _out(ctx, as_json)
    out.success(f"Signed: {_signed_count(mou)} parties; the MoU is {mou.get('status')}.")
    show_mou(out, mou)


@mous_app.command("add-member")
@guarded
def mous_add_member(
    ctx: typer.Context,
    mou_id: Annotated[str, typer.Argument(help="The MoU's id.")],
    agency: Annotated[str, typer.Option(help="The member's agency, a party (id or code).")],
    name: Annotated[str, typer.Option("--name", help="Name or position.")],
    role: Annotated[str, typer.Option("--role", help="e.g. Ketua, Sekretaris, Anggota.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Appoint a working-team member (publishes mou.team_member_added)."""
    client = _client(ctx)
    body = {"agency_id": client.resolve_agency(agency)["id"], "name": name, "role": role}
    mou = client.post("mou", f"/mous/{mou_id}/team-members", body, if_match=if_match)
    out = _out(ctx, as_json)
    out.success(f"{name} joined the working team as {role}.")
    show_mou(out, mou)


@mous_app.command("terminate")
@guarded
def mous_terminate(
    ctx: typer.Context,
    mou_id: Annotated[str, typer.Argument(help="The MoU's id.")],
    reason: Annotated[str, typer.Option(help="Why it ends early.")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """End an MoU early (publishes mou.terminated)."""
    mou = _client(ctx).post(
        "mou", f"/mous/{mou_id}/terminate", {"reason": reason}, if_match=if_match
    )
    out = _out(ctx, as_json)
    out.success(f"MoU {mou.get('id')} is {mou.get('status')}.")
    show_mou(out, mou)


# --- malls ------------------------------------------------------------------------------------

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


@malls_app.command("list")
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
    out = _out(ctx, as_json)
    items, more = _client(ctx).collect(
        "mall", "/malls", {"status": status, "province_code": province}, limit=limit
    )
    out.table(items, MALL_COLUMNS, empty="No malls.")
    _more(out, more, limit)


@malls_app.command("show")
@guarded
def malls_show(
    ctx: typer.Context,
    mall: Annotated[str, typer.Argument(help="Its id, or its region's Kemendagri code (61.03).")],
    as_json: JsonOpt = False,
) -> None:
    """Show one mall and its counters."""
    show_mall(_out(ctx, as_json), _client(ctx).resolve_mall(mall))


@malls_app.command("stats")
@guarded
def malls_stats(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The programme's figures: malls by status and province, counters, agencies."""
    stats = _client(ctx).get("mall", "/malls/stats")
    out = _out(ctx, as_json)
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


@malls_app.command("register")
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
    body: dict[str, Any] = {
        "name": name,
        "region": {
            "province_code": province_code,
            "regency_code": regency_code,
            "regency_name": regency_name,
        },
    }
    if address:
        body["address"] = address
    mall = _client(ctx).post("mall", "/malls", body)
    out = _out(ctx, as_json)
    out.success(f"Registered {mall.get('name')} as {mall.get('id')}.")
    show_mall(out, mall)


def _mall_change(
    ctx: typer.Context, mall: str, path: str, body: Any, if_match: int | None
) -> dict[str, Any]:
    client = _client(ctx)
    mall_id = client.resolve_mall(mall)["id"]
    result: dict[str, Any] = client.post(
        "mall", f"/malls/{mall_id}/{path}", body, if_match=if_match
    )
    return result


MallArg = Annotated[str, typer.Argument(help="Its id, or its region's Kemendagri code (61.03).")]


@malls_app.command("open")
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
    body = {"opened_at": parse_when(at, "--at")} if at else None
    updated = _mall_change(ctx, mall, "open", body, if_match)
    out = _out(ctx, as_json)
    out.success(f"{updated.get('name')} is {updated.get('status')}.")
    show_mall(out, updated)


@malls_app.command("schedule")
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
    out = _out(ctx, as_json)
    when = moment(updated.get("inauguration_scheduled_for"))
    out.success(f"{updated.get('name')}: inauguration set for {when}.")
    show_mall(out, updated)


@malls_app.command("inaugurate")
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
    body: dict[str, Any] = {"inaugurated_by": by}
    if at:
        body["inaugurated_at"] = parse_when(at, "--at")
    updated = _mall_change(ctx, mall, "inaugurate", body, if_match)
    out = _out(ctx, as_json)
    out.success(f"{updated.get('name')} inaugurated on {day(updated.get('inaugurated_at'))}.")
    show_mall(out, updated)


@malls_app.command("open-counter")
@guarded
def malls_open_counter(
    ctx: typer.Context,
    mall: MallArg,
    agency: Annotated[str, typer.Option(help="The agency (id or code).")],
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
    client = _client(ctx)
    body: dict[str, Any] = {"agency_id": client.resolve_agency(agency)["id"], "services": service}
    if at:
        body["opened_at"] = parse_when(at, "--at")
    updated = _mall_change(ctx, mall, "counters", body, if_match)
    out = _out(ctx, as_json)
    out.success(f"Counter opened in {updated.get('name')}.")
    show_mall(out, updated)


@malls_app.command("close-counter")
@guarded
def malls_close_counter(
    ctx: typer.Context,
    mall: MallArg,
    agency: Annotated[str, typer.Option(help="The agency (id or code).")],
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close an agency's counter (publishes mall.counter_closed)."""
    client = _client(ctx)
    mall_id = client.resolve_mall(mall)["id"]
    agency_id = client.resolve_agency(agency)["id"]
    updated = client.delete("mall", f"/malls/{mall_id}/counters/{agency_id}", if_match=if_match)
    out = _out(ctx, as_json)
    out.success(f"Counter closed in {updated.get('name')}.")
    show_mall(out, updated)


@malls_app.command("close")
@guarded
def malls_close(
    ctx: typer.Context,
    mall: MallArg,
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The mall stops operating (publishes mall.closed)."""
    updated = _mall_change(ctx, mall, "close", {"reason": reason} if reason else None, if_match)
    out = _out(ctx, as_json)
    out.success(f"{updated.get('name')} is {updated.get('status')}.")
    show_mall(out, updated)


# --- subscriptions ----------------------------------------------------------------------------

SUBSCRIPTION_COLUMNS = [
    Column("ID", "id", no_wrap=True),
    Column("URL", "url"),
    Column("EVENT TYPES", "event_types"),
    Column("STATUS", "status", no_wrap=True),
    Column("DESCRIPTION", "description"),
]


def show_subscription(out: Output, sub: Mapping[str, Any]) -> None:
    if out.as_json:
        out.json(sub)
        return
    fields: list[tuple[str, Any]] = [
        ("id", sub.get("id")),
        ("url", sub.get("url")),
        ("event types", sub.get("event_types")),
        ("description", sub.get("description")),
        ("status", sub.get("status")),
    ]
    for key in (
        "disabled_reason",
        "disabled_at",
        "secret_rotated_at",
        "previous_secret_expires_at",
    ):
        if sub.get(key):
            fields.append((key.replace("_", " "), moment(sub.get(key))))
    health = sub.get("health")
    if isinstance(health, Mapping):
        fields.extend(
            [
                ("consecutive failures", health.get("consecutive_failures")),
                ("last success", moment(health.get("last_success_at"))),
                ("last failure", moment(health.get("last_failure_at"))),
                ("last error", health.get("last_error")),
            ]
        )
    fields.append(("version", sub.get("version")))
    out.record(fields, title="Subscription")


def _print_secret(out: Output, sub: Mapping[str, Any]) -> None:
    secret = sub.get("secret")
    if secret and not out.as_json:
        out.blank()
        out.line(f"Signing secret (shown once, keep it safe): {secret}")


@subscriptions_app.command("list")
@guarded
def subscriptions_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="active, paused or disabled.")] = None,
    limit: LimitOpt = 200,
    as_json: JsonOpt = False,
) -> None:
    """List webhook subscriptions."""
    out = _out(ctx, as_json)
    items, more = _client(ctx).collect("notify", "/subscriptions", {"status": status}, limit=limit)
    out.table(items, SUBSCRIPTION_COLUMNS, empty="No subscriptions.")
    _more(out, more, limit)


@subscriptions_app.command("show")
@guarded
def subscriptions_show(ctx: typer.Context, subscription_id: str, as_json: JsonOpt = False) -> None:
    """Show one subscription."""
    show_subscription(
        _out(ctx, as_json), _client(ctx).get("notify", f"/subscriptions/{subscription_id}")
    )


@subscriptions_app.command("create")
@guarded
def subscriptions_create(
    ctx: typer.Context,
    url: Annotated[str, typer.Option(help="Where to POST the events (http or https).")],
    event_type: Annotated[
        list[str],
        typer.Option(
            "--type",
            metavar="PATTERN",
            help="Event type or pattern (mou.*, mall.inaugurated, #); repeatable.",
        ),
    ],
    description: Annotated[str | None, typer.Option(help="What it is for.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Subscribe a webhook receiver; prints the signing secret once."""
    types = [t.strip() for value in event_type for t in value.split(",") if t.strip()]
    body: dict[str, Any] = {"url": url, "event_types": types}
    if description:
        body["description"] = description
    sub = _client(ctx).post("notify", "/subscriptions", body)
    out = _out(ctx, as_json)
    out.success(f"Subscribed {sub.get('id')}.")
    show_subscription(out, sub)
    _print_secret(out, sub)


def _set_status(
    ctx: typer.Context, subscription_id: str, status: str, if_match: int | None, as_json: bool
) -> None:
    sub = _client(ctx).patch(
        "notify", f"/subscriptions/{subscription_id}", {"status": status}, if_match=if_match
    )
    out = _out(ctx, as_json)
    out.success(f"Subscription {sub.get('id')} is {sub.get('status')}.")
    show_subscription(out, sub)


@subscriptions_app.command("pause")
@guarded
def subscriptions_pause(
    ctx: typer.Context, subscription_id: str, if_match: IfMatchOpt = None, as_json: JsonOpt = False
) -> None:
    """Pause deliveries to a subscription."""
    _set_status(ctx, subscription_id, "paused", if_match, as_json)


@subscriptions_app.command("resume")
@guarded
def subscriptions_resume(
    ctx: typer.Context, subscription_id: str, if_match: IfMatchOpt = None, as_json: JsonOpt = False
) -> None:
    """Resume (re-enable) a paused or disabled subscription."""
    _set_status(ctx, subscription_id, "active", if_match, as_json)


@subscriptions_app.command("delete")
@guarded
def subscriptions_delete(
    ctx: typer.Context, subscription_id: str, if_match: IfMatchOpt = None, as_json: JsonOpt = False
) -> None:
    """Delete a subscription."""
    result = _client(ctx).delete("notify", f"/subscriptions/{subscription_id}", if_match=if_match)
    out = _out(ctx, as_json)
    if out.as_json:
        out.json(result if result is not None else {"deleted": subscription_id})
    else:
        out.success(f"Deleted subscription {subscription_id}.")


@subscriptions_app.command("rotate-secret")
@guarded
def subscriptions_rotate_secret(
    ctx: typer.Context,
    subscription_id: str,
    grace_seconds: Annotated[
        float | None,
        typer.Option(
            "--grace-seconds",
            min=0,
            help="How long the old secret keeps signing too (0 after a leak).",
        ),
    ] = None,
    if_match: IfMatchOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a new signing secret (printed once)."""
    body = {"grace_seconds": grace_seconds} if grace_seconds is not None else None
    sub = _client(ctx).post(
        "notify", f"/subscriptions/{subscription_id}/rotate-secret", body, if_match=if_match
    )
    out = _out(ctx, as_json)
    show_subscription(out, sub)
    _print_secret(out, sub)


DELIVERY_COLUMNS = [
    Column("ID", "id", no_wrap=True),
    Column("POSITION", "position", no_wrap=True),
    Column("EVENT", "event_type", no_wrap=True),
    Column("SUBJECT", "subject", no_wrap=True),
    Column("STATUS", "status", no_wrap=True),
    Column("ATTEMPTS", "attempt_count", no_wrap=True),
    Column("LAST ANSWER", lambda d: d.get("last_status_code") or d.get("last_error")),
    Column("NEXT ATTEMPT", lambda d: moment(d.get("next_attempt_at")), no_wrap=True),
]


@subscriptions_app.command("deliveries")
@guarded
def subscriptions_deliveries(
    ctx: typer.Context,
    subscription_id: str,
    status: Annotated[str | None, typer.Option(help="Only deliveries in this status.")] = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """List a subscription's webhook deliveries."""
    out = _out(ctx, as_json)
    items, more = _client(ctx).collect(
        "notify", f"/subscriptions/{subscription_id}/deliveries", {"status": status}, limit=limit
    )
    out.table(items, DELIVERY_COLUMNS, empty="No deliveries.")
    _more(out, more, limit)


@subscriptions_app.command("retry")
@guarded
def subscriptions_retry(ctx: typer.Context, delivery_id: str, as_json: JsonOpt = False) -> None:
    """Retry one delivery now."""
    result = _client(ctx).post("notify", f"/deliveries/{delivery_id}/retry")
    out = _out(ctx, as_json)
    if out.as_json or not isinstance(result, dict):
        out.json(result)
    else:
        out.success(f"Delivery {delivery_id} queued for another attempt.")
        out.table([result], DELIVERY_COLUMNS)


@subscriptions_app.command("replay")
@guarded
def subscriptions_replay(
    ctx: typer.Context,
    subscription_id: str,
    since: Annotated[str, typer.Option(help="Deliver again every matching event since then.")],
    until: Annotated[str | None, typer.Option(help="... and before this moment.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Deliver the events since a moment again (after an outage, or once re-enabled)."""
    body = {"since": parse_when(since, "--since")}
    if until:
        body["until"] = parse_when(until, "--until")
    result = _client(ctx).post("notify", f"/subscriptions/{subscription_id}/replay", body)
    out = _out(ctx, as_json)
    if out.as_json:
        out.json(result)
    else:
        count = result.get("deliveries") if isinstance(result, dict) else None
        queued = f": {count} deliveries queued" if count is not None else ""
        out.success(f"Replay started{queued}.")


# --- events -----------------------------------------------------------------------------------


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


@events_app.command("list")
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
    out = _out(ctx, as_json)
    params = {
        "type": ",".join(event_type) if event_type else None,
        "subject": subject,
        "since": parse_when(since, "--since"),
    }
    items, more = _client(ctx).collect("notify", "/events", params, limit=limit)
    out.table(items, EVENT_COLUMNS, empty="No events.")
    _more(out, more, limit)


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


@events_app.command("tail")
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
    out = _out(ctx, as_json)
    patterns = [t.strip() for value in types or [] for t in value.split(",") if t.strip()]

    def show(event: FeedEvent) -> None:
        if out.as_json:
            out.json_line(event.to_json())
        else:
            out.line(format_feed_line(event))

    last_event_id = str(from_position - 1) if from_position is not None else None
    try:
        follow(
            _client(ctx),
            show,
            types=patterns or None,
            last_event_id=last_event_id,
            max_events=max_events,
            on_notice=out.note,
        )
    except KeyboardInterrupt:
        raise typer.Exit(EXIT_OK) from None


# --- health -----------------------------------------------------------------------------------


def check_health(client: MppClient) -> list[dict[str, Any]]:
    """Each service's /healthz and /readyz."""
    results = []
    for service in SERVICES:
        result: dict[str, Any] = {
            "service": service,
            "url": client.url(service),
            "alive": False,
            "ready": False,
            "checks": {},
            "error": None,
        }
        http = client.http(service)
        try:
            live = http.get("/healthz", timeout=5.0)
            result["alive"] = live.status_code == 200
            ready = http.get("/readyz", timeout=5.0)
            result["ready"] = ready.status_code == 200
            try:
                body = ready.json()
            except ValueError:
                body = {}
            if isinstance(body, dict) and isinstance(body.get("checks"), dict):
                result["checks"] = body["checks"]
            if not result["ready"]:
                result["error"] = f"/readyz answered {ready.status_code}"
        except httpx.TransportError as error:
            result["error"] = f"unreachable: {error or type(error).__name__}"
        results.append(result)
    return results


@app.command("health")
@guarded
def health(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Check /healthz and /readyz of all four services; exit 3 if any is not ready."""
    results = check_health(_client(ctx))
    out = _out(ctx, as_json)
    out.table(
        results,
        [
            Column("SERVICE", "service", no_wrap=True),
            Column("URL", "url", no_wrap=True),
            Column("ALIVE", "alive", no_wrap=True),
            Column("READY", "ready", no_wrap=True),
            Column(
                "CHECKS",
                lambda r: ", ".join(f"{k} {v}" for k, v in (r.get("checks") or {}).items()),
            ),
            Column("PROBLEM", "error"),
        ],
    )
    not_ready = [r["service"] for r in results if not r["ready"]]
    if not_ready:
        out.note(f"Not ready: {', '.join(not_ready)}.")
        raise typer.Exit(EXIT_UNAVAILABLE)


# --- seed -------------------------------------------------------------------------------------


@app.command("seed")
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
    out = _out(ctx, as_json)
    progress = (lambda _: None) if quiet else out.note
    report = Seeder(_client(ctx), wait_seconds=wait, progress=progress).run()
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


def run() -> None:
    """Console entry point (``python -m mppctl``)."""
    app(prog_name="mppctl")
