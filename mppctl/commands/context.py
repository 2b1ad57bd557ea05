"""What a command runs with: the client it talks through and where its output goes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import typer

from mppctl.client import MppClient, Service
from mppctl.output import Column, Output


@dataclass
class CliState:
    """One invocation's state: its client (built on first use, closed at the end) and --json.

    Tests hand in a ``client`` of their own through ``obj=CliState(client=...)``; otherwise
    ``factory`` builds one from the environment the first time a command needs it.
    """

    client: MppClient | None = None
    as_json: bool = False
    factory: Callable[[], MppClient] = MppClient.from_env
    _owned: list[MppClient] = field(default_factory=list)

    def get_client(self) -> MppClient:
        if self.client is None:
            self.client = self.factory()
            self._owned.append(self.client)
        return self.client

    def close(self) -> None:
        for client in self._owned:
            client.close()


def state_of(ctx: typer.Context) -> CliState:
    """The invocation's state, kept on the root context by the root callback."""
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    state: CliState = root.obj
    return state


def client_of(ctx: typer.Context) -> MppClient:
    return state_of(ctx).get_client()


def output_for(ctx: typer.Context, as_json: bool = False) -> Output:
    """Tables for people, or JSON when ``--json`` was given before or after the command."""
    return Output(as_json or state_of(ctx).as_json)


def note_more(out: Output, more: bool, limit: int) -> None:
    """Tell a person (not a script) that a list stopped at ``--limit``."""
    if more and not out.as_json:
        out.note(f"(showing the first {limit}; use --limit to see more)")


Listing = tuple[Service, str, Mapping[str, Any]]
"""What a list command reads: the service, the path and the query parameters."""

Show = Callable[[Output, Mapping[str, Any]], None]
"""How a command group shows one of its resources (a record, or JSON)."""


def report(
    ctx: typer.Context, as_json: bool, message: str, resource: Mapping[str, Any], show: Show
) -> Output:
    """After a change: say what it did, then show the resource as it now is."""
    out = output_for(ctx, as_json)
    out.success(message)
    show(out, resource)
    return out


def list_table(
    ctx: typer.Context,
    as_json: bool,
    listing: Listing,
    columns: list[Column],
    *,
    limit: int,
    empty: str,
) -> None:
    """A list (``service``, ``path``, query ``params``), pages followed, as a table or JSON."""
    out = output_for(ctx, as_json)
    items, more = client_of(ctx).collect(*listing, limit=limit)
    out.table(items, columns, empty=empty)
    note_more(out, more, limit)
