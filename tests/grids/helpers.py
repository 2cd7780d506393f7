"""Tiny helpers that put grids, cases and disputes straight into a store, so grid tests read like the domain.

Grids are axis-aligned boxes given in km from an origin (the scene of tests/builders.py), which keeps
areas and overlaps easy to reason about. Times are local times of the deployment.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import shapely

from pingan.store.db import Store
from pingan.timeutil import to_utc_naive
from tests.builders import SCENE, at, offset


def box_km(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A box from (x0, y0) to (x1, y1) km east/north of the scene, in lon/lat."""
    lon0, lat0 = offset(*SCENE, km_east=x0, km_north=y0)
    lon1, lat1 = offset(*SCENE, km_east=x1, km_north=y1)
    return shapely.box(lon0, lat0, lon1, lat1)


def point_km(x: float, y: float) -> tuple[float, float]:
    """The (lon, lat) of a point x km east and y km north of the scene."""
    return offset(*SCENE, km_east=x, km_north=y)


def add_grid(store: Store, grid_id: str, geometry: shapely.Geometry, level: str = "police", *,
             parent_id: str | None = None, officer_id: str | None = None, population: int | None = None,
             name: str | None = None, **properties: Any) -> None:
    x0, y0, x1, y1 = geometry.bounds
    store.con.execute(
        "INSERT INTO grids (grid_id, level, name, parent_id, officer_id, population, geometry, "
        "min_lon, min_lat, max_lon, max_lat, properties, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [grid_id, level, name, parent_id, officer_id, population, shapely.to_wkb(geometry), x0, y0, x1, y1,
         json.dumps(properties) if properties else None],
    )


def add_police_row(store: Store, n: int, size_km: float = 1.0, prefix: str = "P") -> list[str]:
    """``n`` police grids in a row, each ``size_km`` square: P01 at 0–1 km east, P02 at 1–2 km, …"""
    ids = []
    for i in range(n):
        gid = f"{prefix}{i + 1:02d}"
        add_grid(store, gid, box_km(i * size_km, 0, (i + 1) * size_km, size_km))
        ids.append(gid)
    return ids


def centre_of(index: int, size_km: float = 1.0) -> tuple[float, float]:
    """The middle of the ``index``-th (0-based) grid of :func:`add_police_row`."""
    return point_km((index + 0.5) * size_km, 0.5 * size_km)


_case_seq = iter(range(1, 10**9))


def add_cases(store: Store, grid_index: int, category: str, when: str | datetime, n: int = 1,
              every: timedelta = timedelta(hours=6)) -> None:
    """``n`` cases of one category in the ``grid_index``-th grid of a row, ``every`` apart from ``when``."""
    lon, lat = centre_of(grid_index)
    start = at(when) if isinstance(when, str) else when
    rows = []
    for k in range(n):
        ts = to_utc_naive(start + k * every)
        rows.append([f"K{next(_case_seq)}", category, lon, lat, ts, ts + timedelta(hours=1)])
    store.con.executemany(
        "INSERT INTO cases (case_id, category, lon, lat, start_ts, end_ts, batch_id) VALUES (?, ?, ?, ?, ?, ?, 0)",
        rows)


def local(text: str) -> datetime:
    """A local date or time as the naive UTC instant the library takes."""
    return to_utc_naive(at(text))
