"""``python -m benchmarks.faults [cases...]``: run the fault cases and print their table.

Cases: ``webhooks`` (poison messages, a receiver that fails, hangs, answers 410),
``services`` (agency SIGTERMed and SIGKILLed mid-stream), ``cut`` (the broker connection cut
by a TCP proxy), ``broker`` (a RabbitMQ node of the run's own stopped, then killed; needs
root and RabbitMQ's scripts). Default: all. Uses the test run's own vhost on RABBITMQ_URL.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from benchmarks.faults import cases
from benchmarks.faults.report import CaseResult, table
from shared.cli import OperatorParser
from shared.logging import configure_logging

GROUPS = ("webhooks", "services", "cut", "broker")


async def run(groups: list[str], log_dir: Path) -> list[CaseResult]:
    from tests.support.servers import RABBITMQ_URL

    results: list[CaseResult] = []
    for group in groups:
        if group == "webhooks":
            results += await cases.webhook_and_poison_cases(RABBITMQ_URL, log_dir)
        elif group == "services":
            results += await cases.service_cases(RABBITMQ_URL, log_dir)
        elif group == "cut":
            results += await cases.broker_cut_case(RABBITMQ_URL, log_dir)
        else:
            results += await cases.own_broker_cases(log_dir)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = OperatorParser(prog="python -m benchmarks.faults", description=__doc__)
    parser.add_argument("groups", nargs="*", metavar="case", help=f"any of {', '.join(GROUPS)}")
    parser.add_argument("--logs", type=Path, default=None, help="keep the services' logs here")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    configure_logging("faults", level="WARNING", fmt="console")
    log_dir = args.logs or Path(tempfile.mkdtemp(prefix="mpp-faults-"))
    results = asyncio.run(run(args.groups or list(GROUPS), log_dir))
    print(table(results))
    print(f"\nservice logs: {log_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
