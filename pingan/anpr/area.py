"""Which cameras cover a place, and which reads they made in a window.

A case's radius becomes a list of camera ids before any query touches reads (architecture decision 4);
the reads query is an Ibis expression with literal time bounds so DuckDB prunes by zone maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import ibis
import numpy as np
import pandas as pd

from pingan.errors import BadInput
from pingan.geo import geodesic_km
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local


@dataclass(frozen=True)
class Window:
    """A time window, naive UTC, both ends inclusive."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise BadInput(f"The window ends ({self.end}) before it starts ({self.start}); swap --start and --end.")

    def widened(self, pad: timedelta) -> Window:
        return Window(self.start - pad, self.end + pad)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600.0

    def days(self) -> tuple[object, object]:
        """First and last local date the window touches (for pruning on the ``day`` column)."""
        return to_local(self.start).date(), to_local(self.end).date()

    def to_json(self) -> dict[str, str | None]:
        return {"start": iso_local(self.start), "end": iso_local(self.end)}


@dataclass(frozen=True)
class Area:
    """A circle around a place and the cameras inside it, nearest first."""

    lon: float
    lat: float
    radius_km: float
    cameras: pd.DataFrame  # camera_id, lon, lat, km

    @property
    def camera_ids(self) -> list[str]:
        return self.cameras["camera_id"].tolist()


def cameras_table(store: Store, kinds: tuple[str, ...] = ("anpr",)) -> pd.DataFrame:
    """All cameras of the given kinds: camera_id, lon, lat, name, road."""
    placeholders = ", ".join("?" for _ in kinds)
    return store.con.execute(
        f"SELECT camera_id, lon, lat, name, road FROM cameras WHERE kind IN ({placeholders})", list(kinds)
    ).df()


def area_around(store: Store, lon: float, lat: float, radius_km: float) -> Area:
    """The ANPR cameras within ``radius_km`` (geodesic) of a point."""
    if not radius_km > 0:
        raise BadInput(f"The radius must be more than 0 km, not {radius_km}.")
    cams = cameras_table(store)
    if cams.empty:
        return Area(lon, lat, radius_km, cams.assign(km=pd.Series(dtype=float)))
    km = geodesic_km(cams["lon"].to_numpy(), cams["lat"].to_numpy(), lon, lat)
    inside = cams.assign(km=km)[km <= radius_km].sort_values(["km", "camera_id"]).reset_index(drop=True)
    return Area(lon, lat, radius_km, inside)


def reads_expr(store: Store, camera_ids: list[str] | None, window: Window, plates: list[str] | None = None) -> ibis.Table:
    """The reads by these cameras (all if None) in the window, as an Ibis expression."""
    backend = ibis.duckdb.from_connection(store.con)
    t = backend.table("reads")
    first_day, last_day = window.days()
    filters = [t.day.between(first_day, last_day), t.ts.between(window.start, window.end)]
    if camera_ids is not None:
        filters.append(t.camera_id.isin(camera_ids))
    if plates is not None:
        filters.append(t.plate.isin(plates))
    return t.filter(*filters)


def reads_in(store: Store, camera_ids: list[str] | None, window: Window, plates: list[str] | None = None) -> pd.DataFrame:
    """The reads by these cameras in the window: camera_id, ts, plate, plate_raw, confidence, …"""
    if camera_ids is not None and not camera_ids:
        return pd.DataFrame(columns=["read_id", "camera_id", "ts", "plate", "plate_raw", "confidence"])
    expr = reads_expr(store, camera_ids, window, plates).select(
        "read_id", "camera_id", "ts", "plate", "plate_raw", "plate_valid", "confidence"
    )
    return expr.to_pandas()


def merge_double_reads(reads: pd.DataFrame, within: timedelta = timedelta(seconds=30)) -> pd.DataFrame:
    """Drop a read when the same camera read the same plate moments before: one pass, not two.

    Returns the reads kept, with ``double_reads`` counting the reads each one absorbed.
    """
    if reads.empty:
        return reads.assign(double_reads=pd.Series(dtype=int))
    ordered = reads.sort_values(["plate", "camera_id", "ts"]).reset_index(drop=True)
    same = (ordered["plate"].values[1:] == ordered["plate"].values[:-1]) & (
        ordered["camera_id"].values[1:] == ordered["camera_id"].values[:-1]
    )
    gap = np.diff(ordered["ts"].values).astype("timedelta64[ms]").astype(np.int64)
    repeat = np.concatenate([[False], same & (gap <= within.total_seconds() * 1000)])
    group = np.cumsum(~repeat)
    counts = np.bincount(group)[group] - 1
    kept = ordered.assign(double_reads=counts)[~repeat]
    return kept.reset_index(drop=True)
