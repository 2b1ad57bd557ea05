"""What the fault tests expect of recovery."""

from __future__ import annotations

from benchmarks.faults.report import CaseResult


def recovered_in_time(bound: float, *results: CaseResult) -> None:
    """Every result recovered within ``bound`` seconds.

    (Until the outbox relay released the leases of a failed batch, events written during an
    outage waited out OUTBOX_LEASE_SECONDS after the broker was back; that is fixed, so a slow
    recovery is a failure again.)
    """
    slow = [r for r in results if (r.recover_seconds or 0) >= bound]
    assert not slow, slow
