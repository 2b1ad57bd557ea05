"""``mppctl subscriptions``: notify's webhook subscriptions and their deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from mppctl.commands.context import Listing, client_of, list_table, output_for, report
from mppctl.commands.errors import guarded
from mppctl.commands.options import IfMatchOpt, JsonOpt, LimitOpt, parse_when, split_patterns
from mppctl.output import Column, Output, moment

app = typer.Typer(help="Webhook subscriptions and their deliveries (notify).", no_args_is_help=True)

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


@app.command("list")
@guarded
def subscriptions_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="active, paused or disabled.")] = None,
    limit: LimitOpt = 200,
    as_json: JsonOpt = False,
) -> None:
    """List webhook subscriptions."""
    listing: Listing = ("notify", "/subscriptions", {"status": status})
    list_table(ctx, as_json, listing, SUBSCRIPTION_COLUMNS, limit=limit, empty="No subscriptions.")


@app.command("show")
@guarded
def subscriptions_show(ctx: typer.Context, subscription_id: str, as_json: JsonOpt = False) -> None:
    """Show one subscription."""
    show_subscription(
        output_for(ctx, as_json), client_of(ctx).get("notify", f"/subscriptions/{subscription_id}")
    )


@app.command("create")
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
    types = split_patterns(event_type)
    body: dict[str, Any] = {"url": url, "event_types": types}
    if description:
        body["description"] = description
    sub = client_of(ctx).post("notify", "/subscriptions", body)
    out = report(ctx, as_json, f"Subscribed {sub.get('id')}.", sub, show_subscription)
    _print_secret(out, sub)


def _set_status(
    ctx: typer.Context, subscription_id: str, status: str, if_match: int | None, as_json: bool
) -> None:
    sub = client_of(ctx).patch(
        "notify", f"/subscriptions/{subscription_id}", {"status": status}, if_match=if_match
    )
    message = f"Subscription {sub.get('id')} is {sub.get('status')}."
    report(ctx, as_json, message, sub, show_subscription)


def _status_command(name: str, status: str, help_text: str) -> None:
    """Register ``mppctl subscriptions <name>``, which sets a subscription's ``status``."""

    def command(
        ctx: typer.Context,
        subscription_id: str,
        if_match: IfMatchOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        _set_status(ctx, subscription_id, status, if_match, as_json)

    command.__doc__ = help_text
    app.command(name)(guarded(command))


_status_command("pause", "paused", "Pause deliveries to a subscription.")
_status_command("resume", "active", "Resume (re-enable) a paused or disabled subscription.")


@app.command("delete")
@guarded
def subscriptions_delete(
    ctx: typer.Context, subscription_id: str, if_match: IfMatchOpt = None, as_json: JsonOpt = False
) -> None:
    """Delete a subscription."""
    result = client_of(ctx).delete("notify", f"/subscriptions/{subscription_id}", if_match=if_match)
    out = output_for(ctx, as_json)
    if out.as_json:
        out.json(result if result is not None else {"deleted": subscription_id})
    else:
        out.success(f"Deleted subscription {subscription_id}.")


@app.command("rotate-secret")
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
    sub = client_of(ctx).post(
        "notify", f"/subscriptions/{subscription_id}/rotate-secret", body, if_match=if_match
    )
    out = output_for(ctx, as_json)
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


@app.command("deliveries")
@guarded
def subscriptions_deliveries(
    ctx: typer.Context,
    subscription_id: str,
    status: Annotated[str | None, typer.Option(help="Only deliveries in this status.")] = None,
    limit: LimitOpt = 100,
    as_json: JsonOpt = False,
) -> None:
    """List a subscription's webhook deliveries."""
    listing: Listing = (
        "notify",
        f"/subscriptions/{subscription_id}/deliveries",
        {"status": status},
    )
    list_table(ctx, as_json, listing, DELIVERY_COLUMNS, limit=limit, empty="No deliveries.")


@app.command("retry")
@guarded
def subscriptions_retry(ctx: typer.Context, delivery_id: str, as_json: JsonOpt = False) -> None:
    """Retry one delivery now."""
    result = client_of(ctx).post("notify", f"/deliveries/{delivery_id}/retry")
    out = output_for(ctx, as_json)
    if out.as_json or not isinstance(result, dict):
        out.json(result)
    else:
        out.success(f"Delivery {delivery_id} queued for another attempt.")
        out.table([result], DELIVERY_COLUMNS)


@app.command("replay")
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
    result = client_of(ctx).post("notify", f"/subscriptions/{subscription_id}/replay", body)
    out = output_for(ctx, as_json)
    if out.as_json:
        out.json(result)
    else:
        count = result.get("deliveries") if isinstance(result, dict) else None
        queued = f": {count} deliveries queued" if count is not None else ""
        out.success(f"Replay started{queued}.")
