"""Cloned plates (套牌车): one plate on two vehicles, seen at places too far apart for the time between.

The sweep runs a day at a time, each day with the first hour of the next (``boundary``) so that a
conflict across midnight is seen once; that is what keeps a city-scale sweep inside memory (one
window function over one day's reads, architecture notes) and lets a month run day by day.

For each day:

1. **Impossible moves** (SQL, one pass): consecutive reads of a plate whose road distance could not be
   covered in the time between (:class:`pingan.anpr.travel.TravelRule`). Plates with none are done.
2. **Misreads explained away**: a read of the plate that fits the journey of a plate one camera-confusion
   away (苏N12345 read as 苏N1Z345, a province character misread, the same pass read twice with one
   character wrong) is taken as that vehicle's misread and set aside.
3. **Two vehicles, not one**: the longest chain of the remaining reads one vehicle could have driven is
   the first vehicle; the reads left over are evidence of a second. A single leftover read is what a
   misread looks like, so a plate needs at least ``min_evidence`` leftover reads over the period (on one
   day, or a read on each of several days) before it is called cloned. Double reads (the same camera
   within seconds) count once.

Conflicting attributes — a plate read on a blue plate and on a yellow one, on a car and on a truck, each
several times — are reported beside the travel evidence and add to the score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.tactic_common import (
    Period,
    day_start_utc,
    read_json,
    sql_ts,
)
from pingan.anpr.trajectory import plate_variants
from pingan.anpr.travel import TravelRule, longest_feasible_chain, pairwise_km, sql_haversine_km
from pingan.errors import BadInput
from pingan.geo import haversine_km
from pingan.store.db import Store

#: The same camera reading the same plate within this is one pass read twice.
DOUBLE_READ = timedelta(seconds=30)


@dataclass(frozen=True)
class CloneQuery:
    """A cloned-plate sweep over a period.

    ``min_evidence``: reads of a second vehicle needed before a plate is called cloned (2: one stray
    read is a misread, not a clone). ``misread_window``: a read that fits the journey of a plate one
    confusion away within this time is that vehicle's misread. ``min_attribute_reads``: reads each value
    of a conflicting colour or vehicle type needs before it counts.
    """

    period: Period
    rule: TravelRule = field(default_factory=TravelRule)
    min_evidence: int = 2
    boundary: timedelta = timedelta(hours=1)
    misread_window: timedelta = timedelta(minutes=20)
    attributes: bool = True
    min_attribute_reads: int = 2
    plates: tuple[str, ...] | None = None
    top: int | None = None

    def __post_init__(self) -> None:
        if self.min_evidence < 1:
            raise BadInput(f"min_evidence must be at least 1, not {self.min_evidence}.")
        if self.boundary < timedelta(0):
            raise BadInput(f"The boundary must not be negative, not {self.boundary}.")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")


@dataclass
class Evidence:
    """One impossible move: read ``a`` then read ``b`` of the same plate."""

    a: dict[str, Any]
    b: dict[str, Any]
    km: float
    minutes: float
    kmh: float

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "km": round(self.km, 3), "minutes": round(self.minutes, 2),
                "kmh": round(self.kmh, 1) if np.isfinite(self.kmh) else None}


@dataclass
class AttributeConflict:
    attribute: str  # plate_color | vehicle_type
    values: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {"attribute": self.attribute, "values": self.values}


@dataclass
class ClonedPlate:
    rank: int
    plate: str
    score: float
    evidence: list[Evidence]
    second_vehicle: list[dict[str, Any]]
    days: list[date]
    misreads_set_aside: int
    attribute_conflicts: list[AttributeConflict]
    reasons: list[str]
    max_km: float

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "score": round(self.score, 4),
            "evidence": [e.to_json() for e in self.evidence],
            "second_vehicle_reads": self.second_vehicle,
            "days": [d.isoformat() for d in self.days],
            "misreads_set_aside": self.misreads_set_aside,
            "attribute_conflicts": [c.to_json() for c in self.attribute_conflicts],
            "reasons": self.reasons,
        }


@dataclass
class DayStats:
    day: date
    candidates: int
    flagged_reads: int
    seconds: float


@dataclass
class CloneResult:
    query: CloneQuery
    plates: list[ClonedPlate]
    days: list[DayStats]
    single_outliers: int  # plates with one unexplained stray read: misreads, not clones

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.query.period.to_json(),
            "rule": {**self.query.rule.to_json(), "min_evidence": self.query.min_evidence,
                     "boundary_minutes": self.query.boundary.total_seconds() / 60},
            "days_swept": len(self.days),
            "plates_with_one_stray_read": self.single_outliers,
            "plates": [p.to_json() for p in self.plates],
        }


# --- the per-day sweep --------------------------------------------------------------------------------


def _day_bounds(query: CloneQuery, day: date) -> tuple[datetime, datetime, datetime] | None:
    """(lo, hi, day_end): reads from lo to hi; a move counts for this day when it starts before day_end."""
    start, next_start = day_start_utc(day), day_start_utc(day + timedelta(days=1))
    lo = max(start, query.period.start)
    hi = min(next_start + query.boundary, query.period.end)
    day_end = min(next_start, query.period.end)
    if hi < lo:
        return None
    return lo, hi, day_end


def _where(day: date, lo: datetime, hi: datetime, plates: tuple[str, ...] | list[str] | None = None,
           alias: str = "r") -> str:
    sql = (f"{alias}.day BETWEEN DATE '{day}' AND DATE '{day + timedelta(days=1)}' "
           f"AND {alias}.ts BETWEEN {sql_ts(lo)} AND {sql_ts(hi)}")
    if plates:
        sql += f" AND {alias}.plate IN (" + ", ".join("'" + p.replace("'", "''") + "'" for p in plates) + ")"
    return sql


def impossible_plates(store: Store, query: CloneQuery, day: date) -> list[str]:
    """Plates with at least one impossible move starting on ``day`` (one window pass over the day)."""
    bounds = _day_bounds(query, day)
    if bounds is None:
        return []
    lo, hi, day_end = bounds
    km = sql_haversine_km("plon", "plat", "lon", "lat")
    seconds = "epoch(ts) - epoch(pts)"
    sql = f"""
        WITH r AS (
            SELECT r.plate, r.ts, c.lon, c.lat
            FROM reads r JOIN cameras c USING (camera_id)
            WHERE {_where(day, lo, hi, query.plates)}
        ), m AS (
            SELECT plate, ts, lon, lat,
                   lag(ts) OVER w AS pts, lag(lon) OVER w AS plon, lag(lat) OVER w AS plat
            FROM r WINDOW w AS (PARTITION BY plate ORDER BY ts)
        )
        SELECT DISTINCT plate FROM m
        WHERE pts IS NOT NULL AND pts < {sql_ts(day_end)} AND {query.rule.sql_impossible(km, seconds)}
    """
    return [row[0] for row in store.con.execute(sql).fetchall()]


def _fetch(store: Store, where: str) -> pd.DataFrame:
    return store.con.execute(
        "SELECT r.plate, r.camera_id, r.ts, r.plate_raw, r.confidence, r.plate_color, r.vehicle_type, "
        f"c.lon, c.lat FROM reads r JOIN cameras c USING (camera_id) WHERE {where} "
        "ORDER BY r.plate, r.ts, r.camera_id"
    ).df()


def _merge_doubles(reads: pd.DataFrame) -> pd.DataFrame:
    """One plate's reads with repeats of a pass (same camera within seconds) folded into the first."""
    r = reads.sort_values(["camera_id", "ts"], kind="stable")
    same_cam = r["camera_id"].to_numpy()[1:] == r["camera_id"].to_numpy()[:-1]
    gap = np.diff(r["ts"].to_numpy().astype("datetime64[us]").astype(np.int64)) / 1e6
    repeat = np.concatenate([[False], same_cam & (gap <= DOUBLE_READ.total_seconds())])
    return r[~repeat].sort_values(["ts", "camera_id"], kind="stable").reset_index(drop=True)


def explained_by_misread(outliers: pd.DataFrame, neighbour_reads: pd.DataFrame, variant_of: dict[str, list[str]],
                         rule: TravelRule, window: timedelta) -> np.ndarray:
    """For each read of a plate, does it fit the journey of a plate one confusion away (its misread)?

    It fits when that plate was read within ``window`` of it, and every such read is a possible move
    from or to it: the read is where that vehicle was.
    """
    explained = np.zeros(len(outliers), dtype=bool)
    if outliers.empty or neighbour_reads.empty:
        return explained
    by_plate = {p: g for p, g in neighbour_reads.groupby("plate", sort=False)}
    w = window.total_seconds()
    for i, row in enumerate(outliers.itertuples(index=False)):
        t = row.ts
        for other in variant_of.get(row.plate, ()):
            g = by_plate.get(other)
            if g is None:
                continue
            dt = (g["ts"] - t).dt.total_seconds().to_numpy()
            near = np.abs(dt) <= w
            if not near.any():
                continue
            km = haversine_km(g["lon"].to_numpy()[near], g["lat"].to_numpy()[near], row.lon, row.lat)
            if not rule.impossible(km, dt[near]).any():
                explained[i] = True
                break
    return explained


@dataclass
class _PlateDay:
    plate: str
    day: date
    main: pd.DataFrame
    stray: pd.DataFrame  # unexplained reads of a second vehicle
    misreads: int
    pairs: list[Evidence]


def _split_vehicles(reads: pd.DataFrame, rule: TravelRule) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Keep-mask of the first vehicle's reads; and the impossible consecutive moves between the two."""
    n = len(reads)
    lon, lat = reads["lon"].to_numpy(dtype=float), reads["lat"].to_numpy(dtype=float)
    t = reads["ts"].to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6
    km = pairwise_km(lon, lat)
    seconds = t[None, :] - t[:, None]
    keep = longest_feasible_chain(km, seconds, rule)
    pairs = []
    for i in range(n - 1):
        j = i + 1
        if keep[i] != keep[j] and rule.impossible(km[i, j], seconds[i, j]):
            pairs.append((i, j))
    return keep, pairs


def sweep_day(store: Store, query: CloneQuery, day: date) -> tuple[list[_PlateDay], int]:
    """One day's evidence per plate (with the boundary hour), and how many plates had impossible moves."""
    bounds = _day_bounds(query, day)
    if bounds is None:
        return [], 0
    lo, hi, day_end = bounds
    candidates = impossible_plates(store, query, day)
    if not candidates:
        return [], 0
    reads = _fetch(store, _where(day, lo, hi, candidates))
    variant_of = {p: plate_variants(p) for p in candidates}
    neighbours = sorted({v for vs in variant_of.values() for v in vs} - set(candidates))
    nb_reads = _neighbour_reads(store, day, lo - query.misread_window, hi + query.misread_window, neighbours)
    out: list[_PlateDay] = []
    for plate, grp in reads.groupby("plate", sort=False):
        merged = _merge_doubles(grp)
        misread = explained_by_misread(merged, nb_reads, variant_of, query.rule, query.misread_window)
        kept = merged[~misread].reset_index(drop=True)
        keep, pair_idx = _split_vehicles(kept, query.rule)
        stray = kept[~keep]
        stray = stray[stray["ts"] < day_end]  # the boundary hour belongs to the next day's sweep
        pairs = []
        for i, j in pair_idx:
            a, b = kept.iloc[i], kept.iloc[j]
            if min(a.ts, b.ts) >= day_end:
                continue
            km = float(haversine_km(a.lon, a.lat, b.lon, b.lat))
            secs = (b.ts - a.ts).total_seconds()
            pairs.append(Evidence(read_json(a), read_json(b), km, secs / 60.0,
                                  float(query.rule.implied_kmh(km, secs))))
        if len(stray) or misread.any():
            out.append(_PlateDay(plate, day, kept[keep], stray, int(misread.sum()), pairs))
    return out, len(candidates)


def _neighbour_reads(store: Store, day: date, lo: datetime, hi: datetime, plates: list[str]) -> pd.DataFrame:
    if not plates:
        return pd.DataFrame(columns=["plate", "camera_id", "ts", "lon", "lat"])
    con = store.con
    con.register("_clone_neighbours", pd.DataFrame({"plate": plates}))
    try:
        first = day - timedelta(days=1)
        return con.execute(
            "SELECT r.plate, r.camera_id, r.ts, c.lon, c.lat FROM reads r JOIN cameras c USING (camera_id) "
            f"WHERE r.day BETWEEN DATE '{first}' AND DATE '{day + timedelta(days=1)}' "
            f"AND r.ts BETWEEN {sql_ts(lo)} AND {sql_ts(hi)} "
            "AND r.plate IN (SELECT plate FROM _clone_neighbours)"
        ).df()
    finally:
        con.unregister("_clone_neighbours")


def attribute_conflicts(store: Store, query: CloneQuery, day: date) -> dict[str, list[AttributeConflict]]:
    """Plates read with two colours, or as two vehicle types, each value several times, on ``day``."""
    bounds = _day_bounds(query, day)
    if bounds is None or not query.attributes:
        return {}
    lo, _, day_end = bounds
    found: dict[str, list[AttributeConflict]] = {}
    for column in ("plate_color", "vehicle_type"):
        sql = f"""
            SELECT plate, map_from_entries(list((v, n))) FROM (
                SELECT r.plate, r.{column} AS v, count(*) AS n FROM reads r
                WHERE {_where(day, lo, day_end, query.plates)} AND r.ts < {sql_ts(day_end)}
                  AND r.{column} IS NOT NULL
                GROUP BY ALL HAVING count(*) >= {int(query.min_attribute_reads)}
            ) GROUP BY plate HAVING count(*) > 1
        """
        for plate, values in store.con.execute(sql).fetchall():
            found.setdefault(plate, []).append(AttributeConflict(column, {str(k): int(v) for k, v in values.items()}))
    return found


# --- over the period ----------------------------------------------------------------------------------


def _period_days(period: Period) -> list[date]:
    first, last = period.days()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def cloned(store: Store, query: CloneQuery) -> CloneResult:
    """Plates that appear to be on two vehicles in the period, most certain first."""
    import time as _time

    per_plate: dict[str, list[_PlateDay]] = {}
    attrs: dict[str, dict[str, AttributeConflict]] = {}
    stats: list[DayStats] = []
    for day in _period_days(query.period):
        started = _time.perf_counter()
        found, n_candidates = sweep_day(store, query, day)
        for item in found:
            per_plate.setdefault(item.plate, []).append(item)
        for plate, conflicts in attribute_conflicts(store, query, day).items():
            merged = attrs.setdefault(plate, {})
            for c in conflicts:
                old = merged.get(c.attribute)
                if old is None:
                    merged[c.attribute] = AttributeConflict(c.attribute, dict(c.values))
                else:
                    for k, v in c.values.items():
                        old.values[k] = old.values.get(k, 0) + v
        stats.append(DayStats(day, n_candidates, sum(len(x.stray) for x in found), _time.perf_counter() - started))

    plates: list[ClonedPlate] = []
    single = 0
    for plate in sorted(set(per_plate) | set(attrs)):
        items = per_plate.get(plate, [])
        stray = pd.concat([x.stray for x in items]) if items else pd.DataFrame()
        n_stray = len(stray)
        conflicts = list(attrs.get(plate, {}).values())
        if n_stray < query.min_evidence and not conflicts:
            if n_stray:
                single += 1  # one stray read: what a misread looks like, never a clone on its own
            continue
        days = sorted({x.day for x in items if len(x.stray)})
        pairs = [e for x in items for e in x.pairs]
        misreads = sum(x.misreads for x in items)
        max_km = max((e.km for e in pairs), default=0.0)
        score = _score(n_stray, len(days), len(conflicts), query.min_evidence)
        reasons = _reasons(n_stray, days, pairs, misreads, conflicts, query)
        plates.append(ClonedPlate(
            rank=0, plate=plate, score=score, evidence=pairs,
            second_vehicle=[read_json(r) for r in stray.itertuples(index=False)] if n_stray else [],
            days=days, misreads_set_aside=misreads, attribute_conflicts=conflicts, reasons=reasons,
            max_km=max_km,
        ))
    plates.sort(key=lambda p: (-p.score, -len(p.evidence), -p.max_km, p.plate))
    if query.top is not None:
        plates = plates[: query.top]
    for rank, p in enumerate(plates, start=1):
        p.rank = rank
    return CloneResult(query, plates, stats, single)


def _score(n_stray: int, n_days: int, n_conflicts: int, min_evidence: int) -> float:
    """How certain: 0.5 at the minimum evidence, rising with more reads, more days and attribute conflicts."""
    weight = 0.35 * max(0, n_stray - min_evidence) + 0.7 * max(0, n_days - 1) + 1.0 * n_conflicts
    if n_stray < min_evidence:
        weight -= 0.7
    return float(1.0 - 0.5 * np.exp(-weight))


def _reasons(n_stray: int, days: list[date], pairs: list[Evidence], misreads: int,
             conflicts: list[AttributeConflict], query: CloneQuery) -> list[str]:
    reasons = []
    if pairs:
        fastest = max(pairs, key=lambda e: e.kmh if np.isfinite(e.kmh) else 1e12)
        speed = f"{fastest.kmh:.0f} km/h" if np.isfinite(fastest.kmh) else "no time at all"
        reasons.append(
            f"{len(pairs)} impossible move(s): e.g. {fastest.a['camera_id']} to {fastest.b['camera_id']}, "
            f"{fastest.km:.1f} km in {fastest.minutes:.1f} min ({speed} on the road; "
            f"limit {query.rule.max_kmh:.0f} km/h)")
    if n_stray:
        reasons.append(f"{n_stray} read(s) of a second vehicle that no single journey explains, on "
                       f"{len(days)} day(s): {', '.join(d.isoformat() for d in days[:5])}"
                       + (" …" if len(days) > 5 else ""))
    if misreads:
        reasons.append(f"{misreads} other read(s) set aside as misreads of plates one confusion away")
    for c in conflicts:
        label = "plate colours" if c.attribute == "plate_color" else "vehicle types"
        reasons.append(f"read with {len(c.values)} {label}: "
                       + ", ".join(f"{k} ({v} reads)" for k, v in sorted(c.values.items(), key=lambda kv: -kv[1])))
    return reasons
