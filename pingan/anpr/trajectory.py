"""One plate's reads in time order: cameras, gaps, implied speeds, trips — and misread variants.

A trip ends where the vehicle was not read for longer than ``trip_gap`` (30 min by default). Each move
between consecutive reads carries its straight-line distance, the time between and the road speed it
implies; a move no single vehicle could make is flagged (see :mod:`pingan.anpr.travel`).

When the reads look misread — no reads at all, a plate that breaks the civil-plate grammar, an impossible
move, or low confidence — plates one camera-confusion away (0/D/Q, 8/B, 2/Z, a province character …)
that were seen in the period are offered, with their read counts: the analyst may have the wrong plate,
or the cameras may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.tactic_common import (
    TRIP_GAP,
    Period,
    local_hhmm,
    plate_reads,
    plates_filter,
    read_json,
    time_filter,
    trip_ids,
)
from pingan.anpr.travel import TravelRule
from pingan.errors import BadInput
from pingan.geo import haversine_km
from pingan.plates import PROVINCES, is_valid, province_of, variants, weighted_distance
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local

#: Mean confidence below which the reads "look misread" and variants are looked up.
LOW_CONFIDENCE = 0.6


@dataclass(frozen=True)
class TrajectoryQuery:
    plate: str
    period: Period
    trip_gap: timedelta = TRIP_GAP
    rule: TravelRule = field(default_factory=TravelRule)
    variants: bool | None = None  # None: only when the reads look misread

    def __post_init__(self) -> None:
        if self.trip_gap <= timedelta(0):
            raise BadInput(f"The trip gap must be more than 0, not {self.trip_gap}.")


@dataclass
class Trip:
    number: int
    reads: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        start, end = self.reads["ts"].iloc[0], self.reads["ts"].iloc[-1]
        return {
            "trip": self.number,
            "start": iso_local(start.to_pydatetime()),
            "end": iso_local(end.to_pydatetime()),
            "reads": int(len(self.reads)),
            "cameras": list(dict.fromkeys(self.reads["camera_id"])),
            "from_camera": self.reads["camera_id"].iloc[0],
            "to_camera": self.reads["camera_id"].iloc[-1],
            "minutes": round((end - start).total_seconds() / 60.0, 1),
        }


@dataclass
class Variant:
    plate: str
    reads: int
    cost: float
    first: Any
    last: Any

    def to_json(self) -> dict[str, Any]:
        return {"plate": self.plate, "reads": self.reads, "cost": self.cost,
                "first": iso_local(self.first), "last": iso_local(self.last)}


@dataclass
class TrajectoryResult:
    query: TrajectoryQuery
    reads: pd.DataFrame  # time order; + trip, gap_min, km, kmh, impossible
    trips: list[Trip]
    variants: list[Variant]
    reasons: list[str]

    @property
    def plate(self) -> str:
        return self.query.plate

    def to_json(self) -> dict[str, Any]:
        reads = []
        for row in self.reads.itertuples(index=False):
            item = read_json(row)
            item.update(trip=int(row.trip), gap_min=_round(row.gap_min, 1), km=_round(row.km, 3),
                        kmh=_round(row.kmh, 1), impossible=bool(row.impossible))
            reads.append(item)
        return {
            "plate": self.plate,
            "valid": is_valid(self.plate),
            "period": self.query.period.to_json(),
            "reads": reads,
            "trips": [t.to_json() for t in self.trips],
            "impossible_moves": int(self.reads["impossible"].sum()) if len(self.reads) else 0,
            "variants": [v.to_json() for v in self.variants],
            "reasons": self.reasons,
            "rule": self.query.rule.to_json(),
        }


def _round(value: Any, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    return round(float(value), digits)


def with_moves(reads: pd.DataFrame, rule: TravelRule, trip_gap: timedelta = TRIP_GAP) -> pd.DataFrame:
    """Reads of one plate in time order, with the move from the previous read: gap, km, speed, possible."""
    r = reads.sort_values(["ts", "camera_id"], kind="stable").reset_index(drop=True)
    if r.empty:
        return r.assign(trip=pd.Series(dtype=np.int64), gap_min=pd.Series(dtype=float),
                        km=pd.Series(dtype=float), kmh=pd.Series(dtype=float),
                        impossible=pd.Series(dtype=bool))
    seconds = r["ts"].diff().dt.total_seconds().to_numpy()
    lon, lat = r["lon"].to_numpy(dtype=float), r["lat"].to_numpy(dtype=float)
    km = np.full(len(r), np.nan)
    km[1:] = haversine_km(lon[:-1], lat[:-1], lon[1:], lat[1:])
    kmh = np.full(len(r), np.nan)
    kmh[1:] = rule.implied_kmh(km[1:], seconds[1:])
    impossible = np.zeros(len(r), dtype=bool)
    known = np.isfinite(km)
    impossible[known] = rule.impossible(km[known], seconds[known])
    return r.assign(trip=trip_ids(r["ts"], trip_gap), gap_min=seconds / 60.0, km=km, kmh=kmh,
                    impossible=impossible)


def province_variants(plate: str) -> list[str]:
    """The plate with its province character read as each other province."""
    if province_of(plate) is None:
        return []
    return [p + plate[1:] for p in PROVINCES if p != plate[0]]


def plate_variants(plate: str) -> list[str]:
    """Plates a camera may have read for ``plate`` (and the reverse): one confusion or one province away."""
    found = dict.fromkeys(v for v in variants(plate) if v != plate)
    found.update(dict.fromkeys(province_variants(plate)))
    return list(found)


def seen_variants(store: Store, plate: str, period: Period, days: list[date] | None = None,
                  limit: int = 10) -> list[Variant]:
    """Variants of ``plate`` seen in the period (or on some of its days), most read first."""
    candidates = plate_variants(plate)
    if not candidates:
        return []
    where = time_filter(period.window)
    if days:
        where += " AND day IN (" + ", ".join(f"DATE '{d}'" for d in sorted(set(days))) + ")"
    sql = (f"SELECT plate, count(*) AS n, min(ts), max(ts) FROM reads WHERE {where} "
           f"AND {plates_filter(candidates)} GROUP BY plate ORDER BY n DESC, plate LIMIT {int(limit)}")
    rows = store.con.execute(sql).fetchall()
    return [Variant(p, int(n), weighted_distance(plate, p), first, last) for p, n, first, last in rows]


def _local_day(ts: Any) -> date:
    return to_local(ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts).date()


def trajectory(store: Store, query: TrajectoryQuery) -> TrajectoryResult:
    """The plate's reads in time order, split into trips, with gaps, speeds and misread variants."""
    raw = plate_reads(store, [query.plate], query.period.window)
    reads = with_moves(raw, query.rule, query.trip_gap)
    trips = [Trip(int(n), grp) for n, grp in reads.groupby("trip", sort=True)] if len(reads) else []
    reasons: list[str] = []
    looks_misread: list[str] = []
    if reads.empty:
        looks_misread.append("no reads of this plate in the period")
    if not is_valid(query.plate):
        looks_misread.append("the plate does not follow the civil-plate grammar")
    n_impossible = int(reads["impossible"].sum()) if len(reads) else 0
    if n_impossible:
        looks_misread.append(f"{n_impossible} move(s) too fast for one vehicle "
                             f"(over {query.rule.max_kmh:.0f} km/h on the road)")
    mean_conf = float(reads["confidence"].mean()) if len(reads) and reads["confidence"].notna().any() else None
    if mean_conf is not None and mean_conf < LOW_CONFIDENCE:
        looks_misread.append(f"mean read confidence {mean_conf:.2f}")
    if len(reads):
        reasons.append(f"{len(reads)} read(s) by {reads['camera_id'].nunique()} camera(s) in {len(trips)} trip(s), "
                       f"{local_hhmm(reads['ts'].iloc[0])} to {local_hhmm(reads['ts'].iloc[-1])}")
        if len(reads) > 1:
            fastest = np.nanmax(reads["kmh"].to_numpy()) if np.isfinite(reads["kmh"]).any() else None
            if fastest is not None and np.isfinite(fastest):
                reasons.append(f"fastest move {fastest:.0f} km/h on the road")
    want_variants = query.variants if query.variants is not None else bool(looks_misread)
    # where the reads look misread, look on those days only (a plate typed wrong: the whole period)
    suspect_days = [_local_day(t) for t in reads.loc[reads["impossible"], "ts"]] if n_impossible else None
    if mean_conf is not None and mean_conf < LOW_CONFIDENCE:
        suspect_days = None
    found = seen_variants(store, query.plate, query.period, suspect_days) if want_variants else []
    if looks_misread:
        reasons.append("reads look misread: " + "; ".join(looks_misread))
    if found:
        reasons.append("plates one camera-confusion away seen in the period: "
                       + ", ".join(f"{v.plate} ({v.reads} reads)" for v in found[:5]))
    return TrajectoryResult(query, reads, trips, found, reasons)
