"""The SQL passes behind the cloned-plate sweep, written for one 10 M-read day in a couple of seconds.

1. :func:`impossible_moves` — consecutive reads of a plate too far apart for the time between. The reads
   table keeps each day in (plate, ts) order, so the day is read once in storage order with ``lag(...)
   OVER ()`` — a streaming window, no sort. The same pass checks the order; plates whose reads arrived
   in a later batch (out of order) are redone with a sorting window, and a day that is mostly out of
   order is redone whole. Moves across midnight come from a small window around it.
2. :func:`explained_reads` — reads that fit the journey of a plate one camera-confusion away (its
   misread), found by generating each plate's variants in SQL and joining them to the day's reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from pingan.anpr.tactic_common import sql_str, sql_ts
from pingan.anpr.travel import TravelRule, sql_haversine_km
from pingan.geo import haversine_km
from pingan.plates import OCR_CONFUSIONS, PROVINCES
from pingan.store.db import Store

PAIR_COLUMNS = ["plate", "a_rid", "a_cam", "a_ts", "b_rid", "b_cam", "b_ts", "km"]

#: Above this share of out-of-order rows, a day is swept with the sorting window outright.
MOSTLY_OUT_OF_ORDER = 0.2


@dataclass(frozen=True)
class DayBounds:
    """Reads from ``lo`` to ``day_end`` belong to the day; moves across ``day_end`` up to ``hi`` too."""

    day: date
    lo: datetime
    day_end: datetime
    hi: datetime


def reach(store: Store, rule: TravelRule) -> timedelta:
    """The longest gap between two reads that can still be an impossible move: the time the farthest two
    cameras are apart at the speed limit. Moves with longer gaps are never impossible."""
    row = store.con.execute("SELECT min(lon), min(lat), max(lon), max(lat) FROM cameras").fetchall()[0]
    if row[0] is None:
        return timedelta(0)
    km = float(haversine_km(row[0], row[1], row[2], row[3]))
    return timedelta(hours=km * rule.road_factor / rule.max_kmh) + timedelta(minutes=1)


def _plates_clause(plates: tuple[str, ...] | None) -> str:
    if not plates:
        return ""
    return " AND plate IN (" + ", ".join(sql_str(p) for p in plates) + ")"


def _impossible_sql(rule: TravelRule) -> tuple[str, str]:
    km = sql_haversine_km("a.lon", "a.lat", "b.lon", "b.lat")
    return km, rule.sql_impossible(km, "epoch(p.ts) - epoch(p.pts)")


def _pairs_from(source_sql: str, rule: TravelRule, extra_where: str = "TRUE") -> str:
    """Turn rows carrying (rid, plate, ts, camera_id, prid, pplate, pts, pcam) into impossible moves."""
    km, impossible = _impossible_sql(rule)
    return f"""
        SELECT p.plate, p.prid AS a_rid, p.pcam AS a_cam, p.pts AS a_ts, p.rid AS b_rid, p.camera_id AS b_cam,
               p.ts AS b_ts, {km} AS km, p.bad
        FROM ({source_sql}) p
        LEFT JOIN cameras a ON a.camera_id = p.pcam LEFT JOIN cameras b ON b.camera_id = p.camera_id
        WHERE p.bad OR (({impossible}) AND {extra_where})
    """


def _streaming_pass(store: Store, rule: TravelRule, b: DayBounds, horizon: timedelta,
                    plates: tuple[str, ...] | None) -> tuple[pd.DataFrame, list[int]]:
    """Impossible moves from one read of the day in storage order; and the rowids where the order breaks."""
    source = f"""
        SELECT * , (plate < pplate OR (plate = pplate AND ts < pts)) AS bad FROM (
            SELECT rowid AS rid, plate, ts, camera_id,
                   lag(rowid) OVER () AS prid, lag(plate) OVER () AS pplate,
                   lag(ts) OVER () AS pts, lag(camera_id) OVER () AS pcam
            FROM reads WHERE day = DATE '{b.day}' AND ts >= {sql_ts(b.lo)} AND ts < {sql_ts(b.day_end)}
            {_plates_clause(plates)}
        ) WHERE (plate < pplate OR (plate = pplate AND ts < pts))
             OR (plate = pplate AND camera_id <> pcam AND ts - pts < INTERVAL {int(horizon.total_seconds())} SECOND)
    """
    found = store.con.execute(_pairs_from(source, rule)).df()
    bad = found["bad"].fillna(False).to_numpy(dtype=bool)
    return found[~bad].drop(columns="bad"), sorted(int(r) for r in found.loc[bad, "b_rid"])


@contextmanager
def _without_partitioned_execution(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB 2.0 splits a partitioned window under a filter into plate ranges, which made the small
    windows here (a few hundred thousand rows) 5x slower; switch that rewrite off around them."""
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] or ""
    names = [n for n in before.split(",") if n.strip()]
    con.execute("SET disabled_optimizers = ?", [",".join([*names, "partitioned_execution"])])
    try:
        yield
    finally:
        con.execute("SET disabled_optimizers = ?", [before])


def _sorting_pass(store: Store, rule: TravelRule, lo: datetime, hi: datetime, first_day: date, last_day: date,
                  horizon: timedelta, plates_sql: str = "", crossing: datetime | None = None,
                  small: bool = True) -> pd.DataFrame:
    source = f"""
        SELECT *, FALSE AS bad FROM (
            SELECT rowid AS rid, plate, ts, camera_id,
                   lag(rowid) OVER w AS prid, lag(plate) OVER w AS pplate,
                   lag(ts) OVER w AS pts, lag(camera_id) OVER w AS pcam
            FROM reads WHERE day BETWEEN DATE '{first_day}' AND DATE '{last_day}'
              AND ts >= {sql_ts(lo)} AND ts < {sql_ts(hi)} {plates_sql}
            WINDOW w AS (PARTITION BY plate ORDER BY ts, rowid)
        ) WHERE pplate IS NOT NULL AND camera_id <> pcam
              AND ts - pts < INTERVAL {int(horizon.total_seconds())} SECOND
    """
    extra = "TRUE" if crossing is None else f"p.pts < {sql_ts(crossing)} AND p.ts >= {sql_ts(crossing)}"
    sql = _pairs_from(source, rule, extra)
    if not small:
        return store.con.execute(sql).df().drop(columns="bad")
    with _without_partitioned_execution(store.con):
        return store.con.execute(sql).df().drop(columns="bad")


def impossible_moves(store: Store, rule: TravelRule, b: DayBounds, horizon: timedelta,
                     plates: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Every impossible move starting on the day: plate, both reads (rowid, camera, time) and km."""
    pairs, breaks = _streaming_pass(store, rule, b, horizon, plates)
    if breaks:
        pairs = _redo_out_of_order(store, rule, b, horizon, plates, pairs, breaks)
    if b.hi > b.day_end:
        crossing = _sorting_pass(store, rule, max(b.lo, b.day_end - horizon), b.hi, b.day, b.day + timedelta(days=1),
                                 horizon, _plates_clause(plates), crossing=b.day_end)
        pairs = pd.concat([pairs, crossing], ignore_index=True) if len(crossing) else pairs
    return pairs[PAIR_COLUMNS].sort_values(["plate", "a_ts", "b_ts"], kind="stable").reset_index(drop=True)


def _redo_out_of_order(store: Store, rule: TravelRule, b: DayBounds, horizon: timedelta,
                       plates: tuple[str, ...] | None, pairs: pd.DataFrame, breaks: list[int]) -> pd.DataFrame:
    """The day's rows fall into sorted runs (a later import batch, a read filed under the wrong day).
    Plates with reads outside the longest run are redone with the sorting window; a day with no long
    run is redone whole."""
    con = store.con
    where = (f"day = DATE '{b.day}' AND ts >= {sql_ts(b.lo)} AND ts < {sql_ts(b.day_end)}{_plates_clause(plates)}")
    first, last, total = con.execute(f"SELECT min(rowid), max(rowid), count(*) FROM reads WHERE {where}").fetchall()[0]
    edges = [int(first), *breaks, int(last) + 1]
    longest = max(range(len(edges) - 1), key=lambda i: edges[i + 1] - edges[i])
    main_lo, main_hi = edges[longest], edges[longest + 1]
    in_main = con.execute(f"SELECT count(*) FROM reads WHERE {where} AND rowid >= {main_lo} AND rowid < {main_hi}"
                          ).fetchall()[0][0]
    if in_main < (1 - MOSTLY_OUT_OF_ORDER) * max(total, 1):
        return _sorting_pass(store, rule, b.lo, b.day_end, b.day, b.day, horizon, _plates_clause(plates), small=False)
    late = [r[0] for r in con.execute(
        f"SELECT DISTINCT plate FROM reads WHERE {where} AND (rowid < {main_lo} OR rowid >= {main_hi})").fetchall()]
    con.register("_clone_late", pd.DataFrame({"plate": late}))
    try:
        redo = _sorting_pass(store, rule, b.lo, b.day_end, b.day, b.day, horizon,
                             " AND plate IN (SELECT plate FROM _clone_late)")
    finally:
        con.unregister("_clone_late")
    return pd.concat([pairs[~pairs["plate"].isin(set(late))], redo], ignore_index=True)


def stray_estimate(pairs: pd.DataFrame) -> pd.Series:
    """Per plate: the fewest reads whose removal breaks every impossible move (a run of k impossible moves
    in a row needs ⌈k/2⌉). One is what a single misread looks like; a second vehicle makes more."""
    if pairs.empty:
        return pd.Series(dtype=np.int64)
    plate = pairs["plate"].to_numpy()
    a, b = pairs["a_rid"].to_numpy(), pairs["b_rid"].to_numpy()
    same = np.concatenate([[False], (plate[1:] == plate[:-1]) & (a[1:] == b[:-1])])
    run = np.cumsum(~same)
    lengths = pd.Series(1, index=run).groupby(level=0).sum()
    cover = (lengths + 1) // 2
    run_plate = pd.Series(plate, index=run).groupby(level=0).first()
    return cover.groupby(run_plate.to_numpy()).sum()


def confusion_pairs() -> pd.DataFrame:
    """(ch, alt): every character a camera may read in place of another, provinces included."""
    rows = {(a, b) for group in OCR_CONFUSIONS for a in group for b in group if a != b}
    rows |= {(a, b) for a in PROVINCES for b in PROVINCES if a != b}
    return pd.DataFrame(sorted(rows), columns=["ch", "alt"])


def explained_reads(store: Store, rule: TravelRule, b: DayBounds, reads: pd.DataFrame,
                    window: timedelta) -> set[int]:
    """The rowids among ``reads`` (plate, rid, camera_id, ts) that fit the journey of a plate one
    confusion away: that plate was read within ``window`` of the read, and every such read is a possible
    move from or to it."""
    if reads.empty:
        return set()
    con = store.con
    w = int(window.total_seconds())
    km = sql_haversine_km("s.lon", "s.lat", "nb.lon", "nb.lat")
    impossible = rule.sql_impossible(km, "epoch(nb.ts) - epoch(s.ts)")
    lo, hi = b.lo - window, b.hi + window
    con.register("_clone_s", reads[["plate", "rid", "camera_id", "ts"]])
    con.register("_clone_conf", confusion_pairs())
    try:
        rows = con.execute(f"""
            WITH s AS (SELECT s.*, c.lon, c.lat FROM _clone_s s JOIN cameras c USING (camera_id)),
            sp AS (SELECT DISTINCT plate FROM _clone_s),
            v AS (SELECT DISTINCT sp.plate, substr(sp.plate, 1, k - 1) || x.alt || substr(sp.plate, k + 1) AS other
                  FROM sp, range(1, 12) t(k), _clone_conf x
                  WHERE k <= length(sp.plate) AND substr(sp.plate, k, 1) = x.ch),
            nb AS (SELECT r.plate, r.ts, c.lon, c.lat FROM reads r JOIN cameras c USING (camera_id)
                   WHERE r.day BETWEEN DATE '{b.day - timedelta(days=1)}' AND DATE '{b.day + timedelta(days=1)}'
                     AND r.ts BETWEEN {sql_ts(lo)} AND {sql_ts(hi)}
                     AND r.plate IN (SELECT other FROM v)),
            e AS (SELECT s.rid, v.other, bool_and(NOT ({impossible})) AS fits
                  FROM s JOIN v ON v.plate = s.plate
                  JOIN nb ON nb.plate = v.other AND nb.ts BETWEEN s.ts - INTERVAL {w} SECOND
                                                            AND s.ts + INTERVAL {w} SECOND
                  GROUP BY s.rid, v.other)
            SELECT DISTINCT rid FROM e WHERE fits
        """).fetchall()
    finally:
        con.unregister("_clone_s")
        con.unregister("_clone_conf")
    return {int(r[0]) for r in rows}


def pair_reads(pairs: pd.DataFrame) -> pd.DataFrame:
    """The distinct reads at either end of impossible moves: plate, rid, camera_id, ts."""
    a = pairs[["plate", "a_rid", "a_cam", "a_ts"]].set_axis(["plate", "rid", "camera_id", "ts"], axis=1)
    b = pairs[["plate", "b_rid", "b_cam", "b_ts"]].set_axis(["plate", "rid", "camera_id", "ts"], axis=1)
    return pd.concat([a, b], ignore_index=True).drop_duplicates("rid").reset_index(drop=True)


def plate_day_reads(store: Store, plates: list[str], b: DayBounds) -> pd.DataFrame:
    """All reads of some plates in the day's span (with the boundary hour), with rowid and position."""
    if not plates:
        return pd.DataFrame(columns=["rid", "plate", "camera_id", "ts", "plate_raw", "confidence", "plate_color",
                                     "vehicle_type", "lon", "lat"])
    con = store.con
    con.register("_clone_plates", pd.DataFrame({"plate": plates}))
    try:
        return con.execute(
            "SELECT r.rowid AS rid, r.plate, r.camera_id, r.ts, r.plate_raw, r.confidence, r.plate_color, "
            "r.vehicle_type, c.lon, c.lat FROM reads r JOIN cameras c USING (camera_id) "
            f"WHERE r.day BETWEEN DATE '{b.day}' AND DATE '{b.day + timedelta(days=1)}' "
            f"AND r.ts >= {sql_ts(b.lo)} AND r.ts <= {sql_ts(b.hi)} "
            "AND r.plate IN (SELECT plate FROM _clone_plates) ORDER BY r.plate, r.ts, r.camera_id"
        ).df()
    finally:
        con.unregister("_clone_plates")
