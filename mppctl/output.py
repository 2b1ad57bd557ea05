"""What mppctl prints: rich tables for people, JSON for scripts, errors on stderr.

Data goes to stdout, everything else (notes, warnings, errors) to stderr, so
``mppctl malls list --json | jq`` always parses.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

Getter = str | Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Column:
    """A table column: its header and how to read the cell from a row (dotted path or fn)."""

    header: str
    get: Getter
    no_wrap: bool = False
    max_width: int | None = None


def pick(row: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (``region.regency_code``), None when absent."""
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def day(value: Any) -> str:
    """The date part of an RFC 3339 timestamp (``2022-05-24``); empty for None."""
    if not value:
        return ""
    return str(value)[:10]


def moment(value: Any) -> str:
    """An RFC 3339 timestamp shown compactly, in UTC: ``2022-05-24 03:00:00Z``."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _console(stderr: bool = False) -> Console:
    # Resolve the stream at call time (tests swap sys.stdout). When not on a terminal,
    # print wide so a pipe or a file gets whole lines.
    file = sys.stderr if stderr else sys.stdout
    console = Console(file=file, highlight=False, markup=False, emoji=False, soft_wrap=False)
    if not console.is_terminal:
        width = int(os.environ.get("COLUMNS") or 0) or 200
        console = Console(
            file=file, highlight=False, markup=False, emoji=False, width=width, color_system=None
        )
    return console


class Output:
    """Prints either for people (tables) or for scripts (``--json``)."""

    def __init__(self, as_json: bool = False) -> None:
        self.as_json = as_json

    # --- data (stdout) -----------------------------------------------------------------------

    def json(self, value: Any) -> None:
        sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def json_line(self, value: Any) -> None:
        sys.stdout.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()

    def line(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    def table(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[Column],
        *,
        title: str | None = None,
        empty: str = "(none)",
        raw: Any = None,
    ) -> None:
        """``rows`` as a table, or ``raw`` (default: the rows) as JSON."""
        if self.as_json:
            self.json(list(rows) if raw is None else raw)
            return
        console = _console()
        if not rows:
            if title:
                console.print(Text(f"{title}: {empty}"))
            else:
                console.print(Text(empty))
            return
        table = Table(title=title, title_justify="left", header_style="bold", show_edge=False)
        for column in columns:
            table.add_column(column.header, no_wrap=column.no_wrap, max_width=column.max_width)
        for row in rows:
            table.add_row(*(Text(cell(_read(row, c.get))) for c in columns))
        console.print(table)

    def record(
        self,
        fields: Iterable[tuple[str, Any]],
        *,
        title: str | None = None,
        raw: Any = None,
    ) -> None:
        """One resource as label/value lines, or ``raw`` as JSON."""
        if self.as_json:
            self.json(raw if raw is not None else dict(fields))
            return
        console = _console()
        table = Table(
            title=title, title_justify="left", show_header=False, show_edge=False, box=None
        )
        table.add_column("field", style="bold", no_wrap=True)
        table.add_column("value")
        for label, value in fields:
            table.add_row(Text(label), Text(cell(value)))
        console.print(table)

    def blank(self) -> None:
        if not self.as_json:
            _console().print()

    # --- notes and errors (stderr) -----------------------------------------------------------

    def note(self, text: str) -> None:
        """A remark for people; shown on stderr so it never pollutes data."""
        _console(stderr=True).print(Text(text))

    def success(self, text: str) -> None:
        """A confirmation for people (stdout in table mode, nothing in JSON mode)."""
        if not self.as_json:
            _console().print(Text(text))

    def error(self, message: str, *, details: Sequence[str] = (), problem: Any = None) -> None:
        """An error on stderr: one line, then details; with --json, the problem as JSON."""
        if self.as_json and problem is not None:
            sys.stderr.write(json.dumps(problem, ensure_ascii=False, default=str) + "\n")
            sys.stderr.flush()
            return
        console = _console(stderr=True)
        console.print(Text(f"Error: {message}"))
        for line in details:
            console.print(Text(f"  {line}"))


def _read(row: Mapping[str, Any], getter: Getter) -> Any:
    return pick(row, getter) if isinstance(getter, str) else getter(row)
