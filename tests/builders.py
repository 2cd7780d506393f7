"""Tiny helpers that build a store's contents by hand, so tests read like the domain.

Times are written as local times of the deployment (Asia/Shanghai), as an analyst would say them.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pingan.plates import is_valid, normalise
from pingan.store.db import Store
from pingan.timeutil import to_local, to_utc_naive

SCENE = (118.80, 32.05)


def at(text: str) -> datetime:
    """A local time like '2026-03-10 01:30' as naive local datetime."""
    return datetime.fromisoformat(text)


def offset(lon: float, lat: float, km_east: float = 0.0, km_north: float = 0.0) -> tuple[float, float]:
    """The point that many km east and north of (lon, lat)."""
    dlat = km_north / 110.574
    dlon = km_east / (111.320 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def add_camera(store: Store, camera_id: str, lon: float, lat: float, kind: str = "anpr") -> None:
    store.con.execute("INSERT INTO cameras (camera_id, lon, lat, kind, batch_id) VALUES (?, ?, ?, ?, 0)",
                      [camera_id, lon, lat, kind])


def add_read(store: Store, plate: str, camera_id: str, when: datetime | str, confidence: float | None = 0.95,
             read_id: str | None = None) -> None:
    local = at(when) if isinstance(when, str) else when
    ts = to_utc_naive(local)
    norm = normalise(plate)
    assert norm is not None
    store.con.execute(
        "INSERT INTO reads (read_id, camera_id, ts, day, plate, plate_raw, plate_valid, confidence, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [read_id, camera_id, ts, to_local(ts).date(), norm, plate, is_valid(norm), confidence],
    )


def add_daily(store: Store, plate: str, camera_id: str, first_day: str, days: int, time: str = "08:00") -> None:
    """A vehicle seen by one camera at the same time every day (a commuter, a regular)."""
    start = at(f"{first_day} {time}")
    for d in range(days):
        add_read(store, plate, camera_id, start + timedelta(days=d))


def add_case(store: Store, case_id: str, category: str, lon: float, lat: float, start: str, end: str) -> None:
    store.con.execute(
        "INSERT INTO cases (case_id, category, lon, lat, start_ts, end_ts, batch_id) VALUES (?, ?, ?, ?, ?, ?, 0)",
        [case_id, category, lon, lat, to_utc_naive(at(start)), to_utc_naive(at(end))],
    )


def add_watch(store: Store, plate: str, person_id: str, categories: list[str], list_name: str = "priors",
              valid_until: str | None = None) -> None:
    norm = normalise(plate)
    store.con.execute(
        "INSERT INTO watchlist (list, plate, plate_raw, person_id, categories, valid_until, batch_id) "
        "VALUES (?, ?, ?, ?, ?, ?, 0)",
        [list_name, norm, plate, person_id, categories,
         to_utc_naive(at(valid_until)) if valid_until else None],
    )
