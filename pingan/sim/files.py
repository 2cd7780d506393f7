"""The county's small files in the contract formats: cameras, cases, watchlist, officers, disputes.

Times are ISO 8601 local time with the ``+08:00`` offset, to the second; coordinates have six decimals.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from pingan.sim.cameras import DIRECTIONS, CameraSet
from pingan.sim.crimes import CASE_COLUMNS, CaseRow
from pingan.sim.disputes import DISPUTE_COLUMNS, Dispute
from pingan.sim.projection import LocalProjection
from pingan.sim.watchlist import WATCHLIST_COLUMNS, WatchEntry, watchlist_rows
from pingan.sim.writer import TZ

CAMERA_COLUMNS = ["camera_id", "lon", "lat", "kind", "name", "direction", "road"]
OFFICER_COLUMNS = ["officer_id", "name", "grid_ids"]


class Clock:
    """Period seconds ↔ local ISO 8601 text."""

    def __init__(self, start: date) -> None:
        self.origin = datetime(start.year, start.month, start.day, tzinfo=TZ)

    def iso(self, t: float | None) -> str:
        if t is None:
            return ""
        return (self.origin + timedelta(seconds=round(float(t)))).isoformat()

    def day(self, t: float) -> date:
        return (self.origin + timedelta(seconds=float(t))).date()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a UTF-8 CSV with a header; returns the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _coord(value: float) -> str:
    return f"{value:.6f}"


def camera_lonlat(cams: CameraSet, proj: LocalProjection) -> tuple[np.ndarray, np.ndarray]:
    return proj.to_lonlat(cams.x, cams.y)


def write_cameras(path: Path, cams: CameraSet, proj: LocalProjection) -> int:
    lon, lat = camera_lonlat(cams, proj)
    rows = ([cams.camera_id[i], _coord(lon[i]), _coord(lat[i]), "anpr", cams.name[i],
             DIRECTIONS[int(cams.camera_direction[i])], cams.road[i]] for i in range(cams.n))
    return write_csv(path, CAMERA_COLUMNS, rows)


def write_cases(path: Path, cases: list[CaseRow], proj: LocalProjection, clock: Clock) -> int:
    def row(c: CaseRow) -> list[str]:
        lon, lat = proj.to_lonlat(c.x, c.y)
        return [c.case_id, c.category, _coord(float(lon)), _coord(float(lat)), clock.iso(c.start), clock.iso(c.end),
                c.description, c.status, clock.iso(c.reported), clock.iso(c.solved)]

    return write_csv(path, CASE_COLUMNS, (row(c) for c in cases))


def write_watchlist(path: Path, entries: list[WatchEntry]) -> int:
    return write_csv(path, WATCHLIST_COLUMNS, watchlist_rows(entries))


def write_officers(path: Path, officers: list[tuple[str, str, list[str]]]) -> int:
    return write_csv(path, OFFICER_COLUMNS, ([o, name, ";".join(grids)] for o, name, grids in officers))


def write_disputes(path: Path, disputes: list[Dispute], proj: LocalProjection, clock: Clock) -> int:
    def row(d: Dispute) -> list[str]:
        lon, lat = proj.to_lonlat(d.x, d.y)
        return [d.dispute_id, _coord(float(lon)), _coord(float(lat)), d.level, d.status, clock.iso(d.opened),
                clock.iso(d.closed), d.category, ";".join(d.parties), d.description]

    return write_csv(path, DISPUTE_COLUMNS, (row(d) for d in disputes))
