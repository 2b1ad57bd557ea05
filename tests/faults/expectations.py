"""What the fault tests expect of recovery, and the known defect they report rather than hide."""

from __future__ import annotations

import pytest

from benchmarks.faults.report import CaseResult

OUTBOX_LEASE_SECONDS = 30.0
OUTBOX_LEASE_DEFECT = (
    "the outbox relay leases a batch of aggregates and, when a publish fails, releases only the"
    " one it was publishing: events written during an outage wait out OUTBOX_LEASE_SECONDS"
    " (30 s) after the broker is back (shared/outbox.py, _drain_hinted)"
)


def recovered_in_time(bound: float, *results: CaseResult) -> None:
    """Every result recovered within ``bound`` seconds.

    Checked after everything else: a recovery that took about the outbox lease is that known
    defect, reported as an expected failure until it is fixed.
    """
    slow = [r for r in results if (r.recover_seconds or 0) >= bound]
    lease = [r for r in slow if (r.recover_seconds or 0) < OUTBOX_LEASE_SECONDS + 15]
    if slow and lease == slow:
        pytest.xfail(f"{OUTBOX_LEASE_DEFECT}: {slow}")
    assert not slow, slow
