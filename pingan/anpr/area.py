"""Which cameras cover a place, and which reads they made in a window.

A case's radius becomes a list of camera ids before any query touches reads (architecture decision 4);
the reads query is an Ibis expression with literal time bounds so DuckDB prunes by zone maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pingan.errors import BadInput
from pingan.geo import bearing_degrees, geodesic_km, heading_degrees
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local

if TYPE_CHECKING:
    import ibis


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
    cameras: pd.DataFrame  # camera_id, lon, lat, km, toward
    """``km`` from the place; ``toward``: cosine between the camera's direction of travel and the bearing
    from the camera to the place (1 heading straight for it, -1 straight away, 0 across or unknown)."""

    @property
    def camera_ids(self) -> list[str]:
        return self.cameras["camera_id"].tolist()


def cameras_table(store: Store, kinds: tuple[str, ...] = ("anpr",)) -> pd.DataFrame:
    """All cameras of the given kinds: camera_id, lon, lat, name, road, direction."""
    placeholders = ", ".join("?" for _ in kinds)
    return store.con.execute(
        f"SELECT camera_id, lon, lat, name, road, direction FROM cameras WHERE kind IN ({placeholders})", list(kinds)
    ).df()


def area_around(store: Store, lon: float, lat: float, radius_km: float) -> Area:
    """The ANPR cameras within ``radius_km`` (geodesic) of a point."""
    if not radius_km > 0:
        raise BadInput(f"The radius must be more than 0 km, not {radius_km}.")
    cams = cameras_table(store)
    if cams.empty:
        return Area(lon, lat, radius_km, cams.assign(km=pd.Series(dtype=float), toward=pd.Series(dtype=float)))
    km = geodesic_km(cams["lon"].to_numpy(), cams["lat"].to_numpy(), lon, lat)
    inside = cams.assign(km=km)[km <= radius_km].sort_values(["km", "camera_id"]).reset_index(drop=True)
    return Area(lon, lat, radius_km, inside.assign(toward=toward_place(inside, lon, lat)))


def toward_place(cams: pd.DataFrame, lon: float, lat: float) -> np.ndarray:
    """Per camera, how squarely its traffic heads for the place: cos(direction of travel - bearing to it)."""
    if cams.empty:
        return np.zeros(0)
    heading = np.array([np.nan if (h := heading_degrees(d)) is None else h for d in cams["direction"]], dtype=float)
    bearing = bearing_degrees(cams["lon"].to_numpy(), cams["lat"].to_numpy(), lon, lat)
    return np.nan_to_num(np.cos(np.radians(heading - bearing)), nan=0.0)


def reads_expr(store: Store, camera_ids: list[str] | None, window: Window, plates: list[str] | None = None) -> ibis.Table:
    """The reads by these cameras (all if None) in the window, as an Ibis expression."""
    import ibis  # here, not at the top: 0.12 s of every command's start, for the path without the time index

    backend = ibis.duckdb.from_connection(store.con)
    t = backend.table("reads")
    first_day, last_day = window.days()
    filters = [t.day.between(first_day, last_day), t.ts.between(window.start, window.end)]
    if camera_ids is not None:
        filters.append(t.camera_id.isin(camera_ids))
    if plates is not None:
        filters.append(t.plate.isin(plates))
    return t.filter(*filters)


READ_COLUMNS = ("read_id", "camera_id", "ts", "plate", "plate_raw", "plate_valid", "confidence")


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def reads_in(store: Store, camera_ids: list[str] | None, window: Window, plates: list[str] | None = None,
             *, use_index: bool = True, order: tuple[str, ...] = ("ts", "camera_id")) -> pd.DataFrame:
    """The reads by these cameras in the window: camera_id, ts, plate, plate_raw, confidence, …, sorted by
    ``order`` (columns of READ_COLUMNS), then by read_id, so that reads alike in the rest always come in the
    same order.

    Days the time index (:mod:`pingan.anpr.time_index`) holds up to date are read from it, where the
    window's time bounds skip the rest of the day; other days from the reads table, where they skip nothing
    (it is ordered by plate within a day).
    """
    if camera_ids is not None and not camera_ids:
        return pd.DataFrame(columns=list(READ_COLUMNS))
    from pingan.anpr.time_index import TABLE, usable_days

    by = [c for c in order if c != "read_id"] + ["read_id"]
    if any(c not in READ_COLUMNS for c in by):
        raise ValueError(f"reads can be ordered by {', '.join(READ_COLUMNS)}, not {', '.join(order)}")
    first, last = window.days()
    indexed = usable_days(store, first, last) if use_index and camera_ids is not None else set()  # type: ignore[arg-type]
    if not indexed:
        found = reads_expr(store, camera_ids, window, plates).select(*READ_COLUMNS).to_pandas()
        return found.sort_values(by, kind="stable").reset_index(drop=True)
    where = f"ts BETWEEN TIMESTAMP '{window.start}' AND TIMESTAMP '{window.end}'"
    where += f" AND plate IN ({_sql_list(plates)})" if plates is not None else ""
    # the index's integer camera numbers filter faster than the ids (camera_ids is not None here)
    cams = {"reads": f"camera_id IN ({_sql_list(camera_ids)})",  # type: ignore[arg-type]
            TABLE: f"cam IN ({', '.join(map(str, _camera_numbers(store, camera_ids))) or 'NULL'})"}  # type: ignore[arg-type]
    branches = []
    columns = {TABLE: ", ".join(c if c != "plate_raw" else "coalesce(plate_raw, plate) AS plate_raw"
                                for c in READ_COLUMNS), "reads": ", ".join(READ_COLUMNS)}
    for source, days in ((TABLE, sorted(indexed)), ("reads", [d for d in _dates(first, last) if d not in indexed])):
        if days:
            listed = ", ".join(f"DATE '{d}'" for d in days)
            branches.append(f"SELECT {columns[source]} FROM {source} WHERE day IN ({listed}) AND {where} "
                            f"AND {cams[source]}")
    # through Arrow: DuckDB's own conversion to pandas took 0.09 s for a busy area's 117,000 reads, Arrow 0.02 s;
    # sorted by DuckDB, on two threads, faster than pandas sorts its strings
    found = store.con.sql(f"SELECT * FROM ({' UNION ALL '.join(branches)}) ORDER BY {', '.join(by)}")
    return found.to_arrow_table().to_pandas()


def _camera_numbers(store: Store, camera_ids: list[str]) -> list[int]:
    from pingan.anpr.summaries import CAMERAS

    return [n for (n,) in store.con.execute(
        f"SELECT cam FROM {CAMERAS} WHERE camera_id IN ({_sql_list(camera_ids)}) ORDER BY cam").fetchall()]


def _dates(first: object, last: object) -> list[object]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]  # type: ignore[operator]


def vehicle_reads(store: Store, plates: list[str], window: Window, *, use_index: bool = True) -> pd.DataFrame:
    """Every read of these plates in the window at a camera with a known position: plate, ts, lon, lat.

    Days with their reads in vehicle order beside the store (:mod:`pingan.anpr.vehicle_read_files`) are
    read there, a binary search per vehicle; other fresh days from the time index, joined on the plate's
    integer key (a few thousand rows out of millions: DuckDB fetches their integers quickly, their strings
    slowly); the rest from the reads table. ``use_index=False`` reads everything from the reads table.
    """
    from pingan.anpr import vehicle_read_files
    from pingan.anpr.summaries import CAMERAS, fresh_stamps, plate_keys
    from pingan.anpr.time_index import TABLE, usable_days

    if not plates:
        return pd.DataFrame(columns=["plate", "ts", "lon", "lat"])
    first, last = window.days()
    wanted = sorted(set(plates))
    keys = pd.DataFrame({"key": plate_keys(wanted), "plate": pd.Series(wanted, dtype=object)})
    found: list[pd.DataFrame] = []  # key, ts, cam
    covered: set[object] = set()
    stamps = fresh_stamps(store, first, last) if use_index else {}  # type: ignore[arg-type]
    if stamps:  # summarised days: their files may hold the reads in vehicle order
        in_files, covered = vehicle_read_files.reads_of(store, keys["key"].to_numpy(), stamps, window.start, window.end)
        found.append(pd.DataFrame(in_files))
    rest = [d for d in _dates(first, last) if d not in covered]
    indexed = sorted(usable_days(store, first, last) & set(rest)) if use_index and rest else []  # type: ignore[arg-type]
    stale = [d for d in rest if d not in indexed]
    between = f"ts BETWEEN TIMESTAMP '{window.start}' AND TIMESTAMP '{window.end}'"
    if indexed:
        listed = ", ".join(f"DATE '{d}'" for d in indexed)
        store.con.register("_pa_keys", keys[["key"]])
        try:
            found.append(store.con.execute(f"""SELECT t.key, t.ts, t.cam FROM {TABLE} t JOIN _pa_keys k
                ON t.key = k.key WHERE t.day IN ({listed}) AND {between}""").df())
        finally:
            store.con.unregister("_pa_keys")
    parts = []
    found = [f for f in found if not f.empty]
    if found:
        both = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0]
        where = store.con.execute(f"""SELECT s.cam, c.lon, c.lat FROM {CAMERAS} s
            JOIN cameras c USING (camera_id)""").df().set_index("cam")
        both = both[both["cam"].isin(where.index)]
        plate_of = keys["plate"].to_numpy(dtype=object)[pd.Index(keys["key"].to_numpy()).get_indexer(both["key"])]
        parts.append(pd.DataFrame({"plate": plate_of, "ts": both["ts"].to_numpy(),
                                   "lon": where["lon"].reindex(both["cam"]).to_numpy(),
                                   "lat": where["lat"].reindex(both["cam"]).to_numpy()}))
    if stale:
        listed = ", ".join(f"DATE '{d}'" for d in stale)
        store.con.register("_pa_plates", pd.DataFrame({"plate": wanted}))
        try:
            parts.append(store.con.execute(f"""SELECT r.plate, r.ts, c.lon, c.lat FROM reads r JOIN cameras c
                USING (camera_id) WHERE r.day IN ({listed}) AND {between}
                AND r.plate IN (SELECT plate FROM _pa_plates)""").df())
        finally:
            store.con.unregister("_pa_plates")
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(columns=["plate", "ts", "lon", "lat"])
    return pd.concat(parts, ignore_index=True).sort_values(["plate", "ts"], kind="stable").reset_index(drop=True)


#: The order :func:`merge_double_reads` works in (reads_in can deliver them so).
DOUBLE_READ_ORDER = ("plate", "camera_id", "ts")


def merge_double_reads(reads: pd.DataFrame, within: timedelta = timedelta(seconds=30), *,
                       presorted: bool = False) -> pd.DataFrame:
    """Drop a read when the same camera read the same plate moments before: one pass, not two.

    Returns the reads kept, with ``double_reads`` counting the reads each one absorbed, sorted by
    DOUBLE_READ_ORDER (``presorted``: they come sorted so already).
    """
    if reads.empty:
        return reads.assign(double_reads=pd.Series(dtype=int))
    ordered = (reads if presorted else reads.sort_values(list(DOUBLE_READ_ORDER))).reset_index(drop=True)
    same = (ordered["plate"].values[1:] == ordered["plate"].values[:-1]) & (
        ordered["camera_id"].values[1:] == ordered["camera_id"].values[:-1]
    )
    gap = np.diff(ordered["ts"].values).astype("timedelta64[ms]").astype(np.int64)
    repeat = np.concatenate([[False], same & (gap <= within.total_seconds() * 1000)])
    group = np.cumsum(~repeat)
    counts = np.bincount(group)[group] - 1
    kept = ordered.assign(double_reads=counts)[~repeat]
    return kept.reset_index(drop=True)
