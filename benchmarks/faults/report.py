"""One row per fault case, and the table the README quotes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CaseResult:
    """What one fault did to a stream of events, counted at a subscriber's webhook.

    Args:
        case: what was done, e.g. "broker killed (SIGKILL) mid-stream".
        sent: writes the platform acknowledged (HTTP 201), each one event.
        received: distinct events the subscriber accepted.
        duplicated: deliveries the subscriber accepted beyond the first of each event.
        recover_seconds: from the fault's end until the subscriber has every event sent so
            far and one written afterwards (None: it never had).
        note: why a loss or a duplicate is by design, when it is.
    """

    case: str
    sent: int
    received: int
    duplicated: int
    recover_seconds: float | None
    note: str = ""

    @property
    def lost(self) -> int:
        return self.sent - self.received


def table(results: list[CaseResult]) -> str:
    """A Markdown table of ``results``."""
    rows = [
        "| case | sent | received | lost | duplicated | seconds to recover | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        recover = "never" if r.recover_seconds is None else f"{r.recover_seconds:.1f}"
        rows.append(
            f"| {r.case} | {r.sent} | {r.received} | {r.lost} | {r.duplicated} | {recover} |"
            f" {r.note} |"
        )
    return "\n".join(rows)
