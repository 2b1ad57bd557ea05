"""The programme's history (``data/mpp-malls.csv``) loaded through the public APIs.

One row per mall: its region, the date and kind of its recorded event (``inaugurated``,
``opened`` or ``soft_launch``) and the joint inauguration batch it belonged to. Each row
becomes a mall planned in its region, then opened on the recorded date, or inaugurated on it
(a joint batch's inauguration first scheduled for that day, as the ministry announces them).

Idempotent like the rest of the seed: the malls held are read once (one paged list), and
only what is missing is created and only transitions not yet done are made. A mall an
operator closed, or one already further along, is left as it is. Requests go out from a
small pool of threads (the services are async; a sequential client would leave them idle).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock
from pathlib import Path
from typing import Any

from mppctl.client import ApiError, MppClient
from mppctl.seed import Outcome, SeedReport

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
MALLS_CSV = DATA_DIR / "mpp-malls.csv"
TOTALS_CSV = DATA_DIR / "mpp-totals.csv"
WIB = timezone(timedelta(hours=7), "WIB")
CEREMONY = clock(10, 0)
"""A recorded day becomes 10:00 WIB that day: the record has dates, not times."""
DEFAULT_WORKERS = 8
MALL_EVENT_TYPES = "mall.*"


@dataclass(frozen=True)
class HistoricMall:
    """One row of ``mpp-malls.csv``."""

    region_code: str
    region_name: str
    province_code: str
    province_name: str
    mall_name: str
    event: str
    day: date
    precision: str
    batch: str
    source_url: str

    @property
    def name(self) -> str:
        return self.mall_name or f"MPP {self.region_name}"

    @property
    def at(self) -> datetime:
        return datetime.combine(self.day, CEREMONY, tzinfo=WIB)

    @property
    def joint(self) -> bool:
        """Part of a joint inauguration of several malls (``2024-12-12 batch of 42``)."""
        return not self.batch.startswith("single")

    @property
    def inaugurated_by(self) -> str:
        if self.joint:
            return f"joint inauguration ({self.batch})"
        note = self.batch.removeprefix("single").strip().strip("()")
        return note or "not recorded"


def read_history(path: Path = MALLS_CSV) -> list[HistoricMall]:
    """The rows of ``mpp-malls.csv``, in file order (oldest first)."""
    with path.open(newline="", encoding="utf-8") as file:
        return [
            HistoricMall(
                region_code=row["region_code"],
                region_name=row["region_name"],
                province_code=row["province_code"],
                province_name=row["province_name"],
                mall_name=row["mall_name"].strip(),
                event=row["event"],
                day=date.fromisoformat(row["date"]),
                precision=row["date_precision"],
                batch=row["batch"],
                source_url=row["source_url"],
            )
            for row in csv.DictReader(file)
        ]


def read_totals(path: Path = TOTALS_CSV) -> list[tuple[date, int]]:
    """The officially stated running totals: (date, malls), in date order."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.DictReader(file)
        return sorted((date.fromisoformat(r["date"]), int(r["total_malls"])) for r in rows)


class HistorySeeder:
    """Loads :func:`read_history`'s malls; see the module docstring."""

    def __init__(
        self,
        client: MppClient,
        report: SeedReport,
        *,
        rows: list[HistoricMall] | None = None,
        workers: int = DEFAULT_WORKERS,
        progress: Callable[[str], None] = lambda _: None,
    ) -> None:
        self.client = client
        self.report = report
        self.rows = read_history() if rows is None else rows
        self.workers = workers
        self.progress = progress
        self.last_written: dict[str, Any] | None = None

    def run(self) -> None:
        held = self._held()
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for done in pool.map(lambda row: self._seed(row, held.get(row.region_code)), self.rows):
                for kind, key, outcome, note in done:
                    self.report.add(kind, key, outcome, note)
                    if outcome != "present":
                        noted = f" ({note})" if note else ""
                        self.progress(f"{outcome:>7}  {kind} {key}{noted}")

    def _held(self) -> dict[str, dict[str, Any]]:
        """The malls held, by region code; an open one before a closed one."""
        held: dict[str, dict[str, Any]] = {}
        for mall in self.client.iterate("mall", "/malls", page_size=200):
            code = (mall.get("region") or {}).get("regency_code")
            if code and (code not in held or held[code].get("status") == "closed"):
                held[code] = mall
        return held

    def _seed(
        self, row: HistoricMall, mall: dict[str, Any] | None
    ) -> list[tuple[str, str, Outcome, str]]:
        key = f"{row.region_code} {row.name}"
        done: list[tuple[str, str, Outcome, str]] = []
        if mall is None:
            mall = self._plan(row)
            done.append(("historic mall", key, "created", row.region_name))
        else:
            done.append(("historic mall", key, "present", f"status {mall.get('status')}"))
        status = mall.get("status")
        when = row.day.isoformat()
        if row.event != "inaugurated":
            if status == "planned":
                mall = self._post(mall, "open", {"opened_at": row.at.isoformat()})
                done.append(("historic opening", key, "updated", f"{row.event} {when}"))
            else:
                done.append(("historic opening", key, "present", f"status {status}"))
            return done
        if status not in ("planned", "operating"):
            done.append(("historic inauguration", key, "present", f"status {status}"))
            return done
        if row.joint and not mall.get("inauguration_scheduled_for"):
            mall = self._post(mall, "inauguration", {"scheduled_for": row.at.isoformat()})
            done.append(("historic inauguration date", key, "updated", when))
        body = {"inaugurated_at": row.at.isoformat(), "inaugurated_by": row.inaugurated_by}
        try:
            self._post(mall, "inaugurate", body)
        except ApiError as error:
            if error.status != 422 or error.field != "inaugurated_at":
                raise
            # An operator opened it after the recorded day: their record stands.
            done.append(("historic inauguration", key, "present", error.detail))
            return done
        done.append(("historic inauguration", key, "updated", when))
        return done

    def _plan(self, row: HistoricMall) -> dict[str, Any]:
        body = {
            "name": row.name,
            "region": {
                "province_code": row.province_code,
                "regency_code": row.region_code,
                "regency_name": row.region_name,
            },
        }
        try:
            created: dict[str, Any] = self.client.post("mall", "/malls", body)
        except ApiError as error:
            found = [
                m
                for m in self.client.find_malls_in_region(row.region_code)
                if m.get("status") != "closed"
            ]
            if error.status != 409 or not found:
                raise
            return found[0]  # planned meanwhile by someone else
        self.last_written = created
        return created

    def _post(self, mall: dict[str, Any], action: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.post("mall", f"/malls/{mall['id']}/{action}", body)
        self.last_written = answer
        return answer


def wait_for_notify(
    client: MppClient,
    mall: dict[str, Any],
    *,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Seconds until notify's event log holds ``mall``'s latest event (its version).

    Notify logs events in the order it consumes them; once the last write's event is there,
    the feed has caught up with the seed. Raises TimeoutError after ``timeout`` seconds.
    """
    started = time.monotonic()
    while True:
        logged = _logged_versions(client, str(mall["id"]))
        if int(mall["version"]) in logged:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(
                f"notify had not logged {mall['name']}'s version {mall['version']} after"
                f" {timeout:.0f} s"
            )
        sleep(0.2)


def _logged_versions(client: MppClient, mall_id: str) -> set[int]:
    versions: set[int] = set()
    for entry in _log(client, mall_id):
        data = (entry.get("event") or {}).get("data") or {}
        if isinstance(data.get("version"), int):
            versions.add(data["version"])
    return versions


def _log(client: MppClient, mall_id: str) -> Iterator[dict[str, Any]]:
    return client.iterate("notify", "/events", {"subject": mall_id, "type": MALL_EVENT_TYPES})
