"""Cloned plates (套牌车): one plate on two vehicles, seen at places too far apart for the time between.

The sweep runs a day at a time, each day with the first hour of the next (``boundary``) so that a
conflict across midnight is seen once; that keeps a city-scale sweep inside memory (one pass over one
day's reads) and lets a month run day by day, two days at once on two cores.

1. **Impossible moves** (SQL, :mod:`pingan.anpr.clone_sweep`): consecutive reads of a plate whose road
   distance could not be covered in the time between (:class:`pingan.anpr.travel.TravelRule`). A run
   of k impossible moves in a row needs ⌈k/2⌉ stray reads to explain; plates that cannot reach
   ``min_evidence`` stray reads over the period are done here (one stray read is what a misread does).
2. **Misreads explained away** (SQL): a read that fits the journey of a plate one camera-confusion
   away (苏N12345 read as 苏N1Z345, a province character misread, the same pass read twice with one
   character wrong) is that vehicle's misread and is set aside.
3. **Two vehicles, not one** (Python, a handful of plates): the longest chain of the remaining reads
   one vehicle could have driven is the first vehicle; the reads left over are the second. A plate is
   cloned when the second vehicle has at least ``min_evidence`` reads over the period (one day, or a
   read on each of several days); double reads count once, and a read the camera itself doubted
   (confidence under ``low_confidence``) counts half.

Conflicting attributes are reported beside the travel evidence and add to the score: a second plate
colour (blue and yellow plates are different plates) is enough on its own; a second vehicle type (a
camera's classifier confuses cars and SUVs) only ever supports impossible travel.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.clone_sweep import (
    DayBounds,
    explained_reads,
    impossible_moves,
    pair_reads,
    plate_day_reads,
    reach,
    stray_estimate,
)
from pingan.anpr.tactic_common import Period, day_start_utc, read_json, sql_str, sql_ts
from pingan.anpr.travel import TravelRule, longest_feasible_chain, pairwise_km
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
    confusion away within this time is that vehicle's misread. A colour or vehicle type conflicts when
    its second value was read ``min_attribute_reads`` times and makes ``min_attribute_share`` of the
    plate's reads: cameras get a car for an SUV now and then, and a misread plate carries the other
    vehicle's colour, but a second vehicle shows its own colour on all its reads. A stray read with a
    confidence under ``low_confidence`` counts half (the camera itself doubted it). A second plate colour
    alone makes a clone; a second vehicle type (which cameras' classifiers confuse: car or SUV) only
    adds to the evidence of impossible travel.
    """

    period: Period
    rule: TravelRule = field(default_factory=TravelRule)
    min_evidence: int = 2
    boundary: timedelta = timedelta(hours=1)
    misread_window: timedelta = timedelta(minutes=20)
    attributes: bool = True
    min_attribute_reads: int = 3
    min_attribute_share: float = 0.25
    low_confidence: float = 0.7
    plates: tuple[str, ...] | None = None
    top: int | None = None
    workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))

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
    candidates: int  # plates with at least one impossible move
    impossible_moves: int
    seconds: float
    flagged_reads: int = 0


@dataclass
class CloneResult:
    query: CloneQuery
    plates: list[ClonedPlate]
    days: list[DayStats]
    single_outliers: int  # plates with impossible moves explained by misreads or one stray read: not clones

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.query.period.to_json(),
            "rule": {**self.query.rule.to_json(), "min_evidence": self.query.min_evidence,
                     "boundary_minutes": self.query.boundary.total_seconds() / 60},
            "days_swept": len(self.days),
            "plates_with_impossible_moves_set_aside": self.single_outliers,
            "plates": [p.to_json() for p in self.plates],
        }


# --- the sweep ----------------------------------------------------------------------------------------


def _period_days(period: Period) -> list[date]:
    first, last = period.days()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def day_bounds(query: CloneQuery, day: date) -> DayBounds | None:
    """The day's reads (local midnight to midnight, cut to the period) and its boundary hour."""
    start, next_start = day_start_utc(day), day_start_utc(day + timedelta(days=1))
    period_end = query.period.end + timedelta(microseconds=1)  # the period's end is inclusive
    lo = max(start, query.period.start)
    day_end = min(next_start, period_end)
    hi = min(next_start + query.boundary, period_end)
    if day_end <= lo:
        return None
    return DayBounds(day, lo, day_end, max(hi, day_end))


def _merge_doubles(reads: pd.DataFrame) -> pd.DataFrame:
    """One plate's reads with repeats of a pass (same camera within seconds) folded into the first."""
    r = reads.sort_values(["camera_id", "ts"], kind="stable")
    same_cam = r["camera_id"].to_numpy()[1:] == r["camera_id"].to_numpy()[:-1]
    gap = np.diff(r["ts"].to_numpy().astype("datetime64[us]").astype(np.int64)) / 1e6
    repeat = np.concatenate([[False], same_cam & (gap <= DOUBLE_READ.total_seconds())])
    return r[~repeat].sort_values(["ts", "camera_id"], kind="stable").reset_index(drop=True)


def _split_vehicles(reads: pd.DataFrame, rule: TravelRule) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Keep-mask of the first vehicle's reads; and the impossible consecutive moves between the two."""
    n = len(reads)
    lon, lat = reads["lon"].to_numpy(dtype=float), reads["lat"].to_numpy(dtype=float)
    t = reads["ts"].to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6
    km = pairwise_km(lon, lat)
    seconds = t[None, :] - t[:, None]
    keep = longest_feasible_chain(km, seconds, rule)
    pairs = [(i, i + 1) for i in range(n - 1)
             if keep[i] != keep[i + 1] and rule.impossible(km[i, i + 1], seconds[i, i + 1])]
    return keep, pairs


@dataclass
class _PlateDay:
    plate: str
    day: date
    stray: pd.DataFrame  # reads of a second vehicle no single journey explains
    misreads: int
    pairs: list[Evidence]


def verify(reads: pd.DataFrame, explained: set[int], query: CloneQuery, b: DayBounds) -> _PlateDay | None:
    """One plate's day, read by read: misreads set aside, the longest possible journey kept, the rest
    is the second vehicle."""
    merged = _merge_doubles(reads)
    misread = merged["rid"].isin(explained).to_numpy()
    kept = merged[~misread].reset_index(drop=True)
    keep, pair_idx = _split_vehicles(kept, query.rule)
    stray = kept[~keep]
    stray = stray[stray["ts"] < b.day_end]  # the boundary hour belongs to the next day
    pairs = []
    for i, j in pair_idx:
        ra, rb = kept.iloc[i], kept.iloc[j]
        if ra.ts >= b.day_end:
            continue
        km = float(haversine_km(ra.lon, ra.lat, rb.lon, rb.lat))
        secs = (rb.ts - ra.ts).total_seconds()
        pairs.append(Evidence(read_json(ra), read_json(rb), km, secs / 60.0, float(query.rule.implied_kmh(km, secs))))
    if stray.empty and not misread.any():
        return None
    return _PlateDay(str(reads["plate"].iloc[0]), b.day, stray, int(misread.sum()), pairs)


def attribute_conflicts(store: Store, query: CloneQuery, b: DayBounds) -> dict[str, list[AttributeConflict]]:
    """Plates read with two colours, or as two vehicle types, each at least twice, on the day (all counts)."""
    if not query.attributes:
        return {}
    where = (f"r.day = DATE '{b.day}' AND r.ts >= {sql_ts(b.lo)} AND r.ts < {sql_ts(b.day_end)}"
             + ("" if not query.plates else " AND r.plate IN (" + ", ".join(sql_str(p) for p in query.plates) + ")"))
    con = store.con
    # zone maps answer this without a scan when the columns were never filled
    any_attr = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM reads r WHERE {where} AND "
                           "(r.plate_color IS NOT NULL OR r.vehicle_type IS NOT NULL) LIMIT 1)").fetchall()[0][0]
    if not any_attr:
        return {}
    found: dict[str, list[AttributeConflict]] = {}
    for column in ("plate_color", "vehicle_type"):
        sql = f"""
            SELECT plate, map_from_entries(list((v, n))) FROM (
                SELECT r.plate, r.{column} AS v, count(*) AS n FROM reads r
                WHERE {where} AND r.{column} IS NOT NULL
                GROUP BY ALL HAVING count(*) >= 2
            ) GROUP BY plate HAVING count(*) > 1
        """
        for plate, values in con.execute(sql).fetchall():
            found.setdefault(plate, []).append(AttributeConflict(column, {str(k): int(v) for k, v in values.items()}))
    return found


def _add_conflicts(into: dict[str, dict[str, AttributeConflict]], found: dict[str, list[AttributeConflict]]) -> None:
    for plate, conflicts in found.items():
        merged = into.setdefault(plate, {})
        for c in conflicts:
            old = merged.setdefault(c.attribute, AttributeConflict(c.attribute, {}))
            for k, v in c.values.items():
                old.values[k] = old.values.get(k, 0) + v


def _first_pass(store: Store, query: CloneQuery, bounds: list[DayBounds], horizon: timedelta
                ) -> list[tuple[DayBounds, pd.DataFrame, dict[str, list[AttributeConflict]], float]]:
    """Impossible moves and attribute conflicts, a day at a time. The day's streaming pass runs on one
    core, so a period runs two days at once, each on its own cursor."""

    def one(b: DayBounds, on: Store) -> tuple[DayBounds, pd.DataFrame, dict[str, list[AttributeConflict]], float]:
        started = time.perf_counter()
        pairs = impossible_moves(on, query.rule, b, horizon, query.plates)
        conflicts = attribute_conflicts(on, query, b)
        return b, pairs, conflicts, time.perf_counter() - started

    workers = min(query.workers, len(bounds))
    if workers <= 1:
        return [one(b, store) for b in bounds]

    def on_cursor(b: DayBounds) -> tuple[DayBounds, pd.DataFrame, dict[str, list[AttributeConflict]], float]:
        cursor = store.con.cursor()
        try:
            return one(b, Store(path=store.path, con=cursor, timezone=store.timezone))
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(on_cursor, bounds))


def cloned(store: Store, query: CloneQuery) -> CloneResult:
    """Plates that appear to be on two vehicles in the period, most certain first.

    Three passes: impossible moves for every plate, a day at a time (SQL); for plates that could reach
    ``min_evidence``, the reads in those moves that are misreads of another plate (SQL); and for the
    plates still in question, the read-by-read split into two vehicles (Python, a handful of plates).
    """
    horizon = reach(store, query.rule)
    bounds = [b for b in (day_bounds(query, d) for d in _period_days(query.period)) if b is not None]
    pairs_by_day: dict[date, pd.DataFrame] = {}
    estimate: dict[str, int] = {}
    attrs: dict[str, dict[str, AttributeConflict]] = {}
    stats: list[DayStats] = []
    for b, pairs, conflicts, seconds in _first_pass(store, query, bounds, horizon):
        pairs_by_day[b.day] = pairs
        for plate, n in stray_estimate(pairs).items():
            estimate[plate] = estimate.get(plate, 0) + int(n)
        _add_conflicts(attrs, conflicts)
        stats.append(DayStats(b.day, int(pairs["plate"].nunique()), len(pairs), seconds))

    # misreads of plates one confusion away, for the plates that could still make the evidence
    suspects = {p for p, n in estimate.items() if n >= query.min_evidence}
    explained: dict[date, set[int]] = {}
    remaining: dict[str, int] = {}
    for b, stat in zip(bounds, stats, strict=True):
        started = time.perf_counter()
        pairs = pairs_by_day[b.day]
        pairs = pairs[pairs["plate"].isin(suspects)]
        if pairs.empty:
            continue
        explained[b.day] = explained_reads(store, query.rule, b, pair_reads(pairs), query.misread_window)
        left = pairs[~pairs["a_rid"].isin(explained[b.day]) & ~pairs["b_rid"].isin(explained[b.day])]
        for plate, n in stray_estimate(left).items():
            remaining[plate] = remaining.get(plate, 0) + int(n)
        stat.seconds += time.perf_counter() - started

    # read by read, for the plates still in question
    # a second plate colour is a different plate; a second vehicle type may be the camera's classifier
    # (car or SUV), so it only ever supports the travel evidence
    strong_attrs = {p for p, cs in attrs.items() if "plate_color" in cs and _conflicting(cs["plate_color"], query)}
    in_question = {p for p, n in remaining.items() if n >= query.min_evidence} | strong_attrs
    per_plate: dict[str, list[_PlateDay]] = {}
    for b, stat in zip(bounds, stats, strict=True):
        started = time.perf_counter()
        pairs = pairs_by_day[b.day]
        plates = sorted(set(pairs["plate"]) & in_question)
        if not plates:
            continue
        reads = plate_day_reads(store, plates, b)
        for plate, grp in reads.groupby("plate", sort=False):
            found = verify(grp, explained.get(b.day, set()), query, b)
            if found is not None:
                per_plate.setdefault(str(plate), []).append(found)
        stat.flagged_reads = sum(len(x.stray) for xs in per_plate.values() for x in xs if x.day == b.day)
        stat.seconds += time.perf_counter() - started

    plates_out: list[ClonedPlate] = []
    for plate in sorted(set(per_plate) | strong_attrs):
        items = per_plate.get(plate, [])
        strays = [x.stray for x in items if len(x.stray)]
        stray = pd.concat(strays) if strays else pd.DataFrame()
        n_stray = len(stray)
        # a read the camera itself doubted is half the evidence of a confident one
        doubted = int((stray["confidence"] < query.low_confidence).sum()) if n_stray else 0
        weight = n_stray - 0.5 * doubted
        conflicts = [c for c in attrs.get(plate, {}).values() if _conflicting(c, query)]
        if weight < query.min_evidence and plate not in strong_attrs:
            continue
        days = sorted({x.day for x in items if len(x.stray)})
        evidence = [e for x in items for e in x.pairs]
        misreads = sum(x.misreads for x in items)
        plates_out.append(ClonedPlate(
            rank=0, plate=plate, score=_score(n_stray, len(days), len(conflicts), query.min_evidence),
            evidence=evidence,
            second_vehicle=[read_json(r) for r in stray.itertuples(index=False)] if n_stray else [],
            days=days, misreads_set_aside=misreads, attribute_conflicts=conflicts,
            reasons=_reasons(n_stray, days, evidence, misreads, conflicts, query, doubted),
            max_km=max((e.km for e in evidence), default=0.0),
        ))
    flagged = {p.plate for p in plates_out}
    single = sum(1 for p in estimate if p not in flagged)
    plates_out.sort(key=lambda p: (-p.score, -len(p.evidence), -p.max_km, p.plate))
    if query.top is not None:
        plates_out = plates_out[: query.top]
    for rank, p in enumerate(plates_out, start=1):
        p.rank = rank
    return CloneResult(query, plates_out, stats, single)


def _conflicting(c: AttributeConflict, query: CloneQuery) -> bool:
    counts = sorted(c.values.values(), reverse=True)
    return len(counts) > 1 and counts[1] >= query.min_attribute_reads and \
        counts[1] >= query.min_attribute_share * sum(counts)


def _score(n_stray: int, n_days: int, n_conflicts: int, min_evidence: int) -> float:
    """How certain: 0.5 at the minimum evidence, rising with more reads, more days and attribute conflicts."""
    weight = 0.35 * max(0, n_stray - min_evidence) + 0.7 * max(0, n_days - 1) + 1.0 * n_conflicts
    if n_stray < min_evidence:
        weight -= 0.7
    return float(1.0 - 0.5 * np.exp(-weight))


def _reasons(n_stray: int, days: list[date], pairs: list[Evidence], misreads: int,
             conflicts: list[AttributeConflict], query: CloneQuery, doubted: int = 0) -> list[str]:
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
    if doubted:
        reasons.append(f"{doubted} of them read with low confidence (under {query.low_confidence:g}): "
                       "each counts as half")
    if misreads:
        reasons.append(f"{misreads} other read(s) set aside as misreads of plates one confusion away")
    for c in conflicts:
        label = "plate colours" if c.attribute == "plate_color" else "vehicle types"
        reasons.append(f"read with {len(c.values)} {label}: "
                       + ", ".join(f"{k} ({v} reads)" for k, v in sorted(c.values.items(), key=lambda kv: -kv[1])))
    return reasons
