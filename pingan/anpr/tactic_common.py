"""What the vehicle tactics share: the period asked about, one plate's reads, reads as JSON, trips.

Every query over reads puts its time bounds in as literals, on both ``day`` (local date) and ``ts``
(UTC), so DuckDB prunes row groups by zone maps; the reads table is ordered by (day, plate, ts), so a
filter on one plate and a day range touches only the row groups that hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.area import Window
from pingan.errors import BadInput, NotFound
from pingan.plates import normalise
from pingan.store.db import Store
from pingan.timeutil import iso_local, parse_time, to_local, to_utc_naive

#: Reads further apart than this belong to different trips (a parked car, not a slow one).
TRIP_GAP = timedelta(minutes=30)

READ_COLUMNS = ("camera_id", "ts", "plate", "plate_raw", "confidence", "plate_color", "vehicle_type")


@dataclass(frozen=True)
class Period:
    """The period a tactic looks at, and whether the user chose it or pingan did."""

    window: Window
    defaulted: bool = False
    note: str | None = None

    @property
    def start(self) -> datetime:
        return self.window.start

    @property
    def end(self) -> datetime:
        return self.window.end

    def days(self) -> tuple[date, date]:
        first, last = self.window.days()
        return first, last  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {**self.window.to_json(), "defaulted": self.defaulted}
        if self.note:
            out["note"] = self.note
        return out


def day_start_utc(day: date) -> datetime:
    """Local midnight at the start of ``day``, as naive UTC."""
    return to_utc_naive(datetime.combine(day, time(0)))


def last_data_day(store: Store) -> date | None:
    """The latest local date with any reads (None for an empty store)."""
    row = store.con.execute("SELECT max(day) FROM reads").fetchall()[0]
    return row[0] if row and row[0] is not None else None


def resolve_period(store: Store, start: str | datetime | None, end: str | datetime | None,
                   *, default_days: int = 30) -> Period:
    """The period from --start/--end; a missing end is the end of the data, a missing start ``default_days``
    before the end. Says so when it chose for the user."""
    if default_days < 1:
        raise BadInput(f"The default period must be at least one day, not {default_days}.")
    end_ts = parse_time(end, name="--end") if end is not None else None
    start_ts = parse_time(start, name="--start") if start is not None else None
    notes = []
    if end_ts is None:
        last = last_data_day(store)
        if last is None:
            raise NotFound("The store holds no reads yet; import reads first (pingan import reads FILE).")
        end_ts = day_start_utc(last + timedelta(days=1)) - timedelta(microseconds=1)
        if start_ts is None:
            start_ts = day_start_utc(last - timedelta(days=default_days - 1))
            notes.append(f"no --start/--end given: the last {default_days} day(s) of data "
                         f"({last - timedelta(days=default_days - 1)} to {last})")
        else:
            notes.append(f"no --end given: up to the end of the data ({last})")
    elif start_ts is None:
        start_ts = end_ts - timedelta(days=default_days)
        notes.append(f"no --start given: the {default_days} day(s) before --end")
    return Period(Window(start_ts, end_ts), defaulted=bool(notes), note="; ".join(notes) or None)


def plate_arg(plate: str) -> str:
    """A plate typed by a user, normalised; one clear sentence when nothing is left of it."""
    norm = normalise(plate)
    if norm is None:
        raise BadInput(f"'{plate}' is not a plate; give one like 苏N12345.")
    return norm


def sql_str(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def sql_ts(value: datetime) -> str:
    return f"TIMESTAMP '{value.isoformat(sep=' ')}'"


def time_filter(window: Window, alias: str = "") -> str:
    """``day`` and ``ts`` bounds as literals (zone-map pruning)."""
    first, last = window.days()
    p = f"{alias}." if alias else ""
    return (f"{p}day BETWEEN DATE '{first}' AND DATE '{last}' "
            f"AND {p}ts BETWEEN {sql_ts(window.start)} AND {sql_ts(window.end)}")


def plates_filter(plates: list[str], alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    if len(plates) == 1:
        return f"{p}plate = {sql_str(plates[0])}"
    return f"{p}plate IN ({', '.join(sql_str(x) for x in plates)})"


def plate_reads(store: Store, plates: list[str], window: Window) -> pd.DataFrame:
    """The reads of some plates in a window, in time order, with each camera's position."""
    if not plates:
        return empty_reads()
    sql = (
        "SELECT r.camera_id, r.ts, r.plate, r.plate_raw, r.confidence, r.plate_color, r.vehicle_type, "
        "c.lon, c.lat FROM reads r LEFT JOIN cameras c USING (camera_id) "
        f"WHERE {time_filter(window, 'r')} AND {plates_filter(plates, 'r')} ORDER BY r.plate, r.ts, r.camera_id"
    )
    return store.con.execute(sql).df()


def empty_reads() -> pd.DataFrame:
    return pd.DataFrame({
        "camera_id": pd.Series(dtype=object), "ts": pd.Series(dtype="datetime64[us]"),
        "plate": pd.Series(dtype=object), "plate_raw": pd.Series(dtype=object),
        "confidence": pd.Series(dtype=float), "plate_color": pd.Series(dtype=object),
        "vehicle_type": pd.Series(dtype=object), "lon": pd.Series(dtype=float), "lat": pd.Series(dtype=float),
    })


def _py_ts(ts: Any) -> datetime:
    return ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def read_json(row: Any) -> dict[str, Any]:
    """A read as the contract shows it: camera, local time with offset, plate, confidence (+ raw, place)."""
    out: dict[str, Any] = {
        "camera_id": row.camera_id,
        "ts": iso_local(_py_ts(row.ts)),
        "plate": row.plate,
        "confidence": _num(getattr(row, "confidence", None)),
    }
    raw = getattr(row, "plate_raw", None)
    if raw is not None:
        out["plate_raw"] = raw
    for name in ("lon", "lat"):
        value = _num(getattr(row, name, None))
        if value is not None:
            out[name] = value
    for name in ("plate_color", "vehicle_type"):
        value = getattr(row, name, None)
        if isinstance(value, str):
            out[name] = value
    return out


def reads_json(reads: pd.DataFrame, limit: int | None = None) -> list[dict[str, Any]]:
    frame = reads if limit is None else reads.head(limit)
    return [read_json(r) for r in frame.itertuples(index=False)]


def trip_ids(ts: pd.Series, gap: timedelta = TRIP_GAP) -> np.ndarray:
    """Number the trips in time-ordered reads: a new trip starts after a gap longer than ``gap``."""
    if len(ts) == 0:
        return np.zeros(0, dtype=np.int64)
    values = ts.to_numpy().astype("datetime64[us]").astype(np.int64)
    breaks = np.diff(values) > gap.total_seconds() * 1e6
    return np.concatenate([[0], np.cumsum(breaks)]).astype(np.int64)


def local_hhmm(ts: Any) -> str:
    return to_local(_py_ts(ts)).strftime("%Y-%m-%d %H:%M")


def utc_offset(window: Window) -> timedelta:
    """The deployment's UTC offset at the start of a window (used to get local hours inside SQL)."""
    return to_local(window.start).utcoffset() or timedelta(0)


def local_hour_sql(window: Window, column: str = "ts") -> str:
    seconds = int(utc_offset(window).total_seconds())
    return f"hour({column} + INTERVAL {seconds} SECOND)"


def camera_positions(store: Store) -> pd.DataFrame:
    return store.con.execute("SELECT camera_id, lon, lat FROM cameras").df()


def misread_ghosts(store: Store, plates: list[str], window: Window, ratio: float = 5.0) -> dict[str, tuple[str, int]]:
    """Plates that look like another vehicle's misreads: a plate one camera-confusion (or one province
    character) away was read at least ``ratio`` times as often in the window. A night-shift taxi read a
    thousand times leaves a trail of such ghosts, each with the taxi's habits.

    Returns plate → (the plate it is likely a misread of, that plate's reads).
    """
    from pingan.anpr.trajectory import plate_variants

    if not plates:
        return {}
    pairs = [(p, v) for p in plates for v in plate_variants(p)]
    con = store.con
    con.register("_ghost_pairs", pd.DataFrame(pairs, columns=["plate", "variant"]))
    con.register("_ghost_plates", pd.DataFrame({"plate": sorted(set(plates))}))
    try:
        rows = con.execute(f"""
            WITH counts AS (
                SELECT plate, count(*) AS n FROM reads
                WHERE {time_filter(window)}
                  AND (plate IN (SELECT variant FROM _ghost_pairs) OR plate IN (SELECT plate FROM _ghost_plates))
                GROUP BY plate
            )
            SELECT g.plate, g.variant, cv.n, cp.n FROM _ghost_pairs g
            JOIN counts cv ON cv.plate = g.variant JOIN counts cp ON cp.plate = g.plate
            WHERE cv.n >= {float(ratio)!r} * cp.n
        """).fetchall()
    finally:
        con.unregister("_ghost_pairs")
        con.unregister("_ghost_plates")
    found: dict[str, tuple[str, int]] = {}
    for plate, variant, n_variant, _ in rows:
        if plate not in found or n_variant > found[plate][1]:
            found[plate] = (variant, int(n_variant))
    return found
