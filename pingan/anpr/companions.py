"""Companion vehicles (同行车 / 伴随车): vehicles that keep travelling with a plate, scored by surprise.

A vehicle is *with* the plate at one of its reads when the same camera read it within ``within``
(60 s by default). Travelling together once means little — two cars in the same stream of traffic
pass several cameras together — so the unit of evidence is the **trip**: a companion is with the
plate on at least ``min_trips`` of its trips, at ``min_cameras`` or more distinct cameras.

Background traffic is what makes that surprising or not. For each of the plate's reads, the chance
that a given vehicle is at that camera within the interval anyway is

- the share of the day's vehicles the camera saw in the interval (anyone may pass), plus
- the vehicle's own habit, learnt from the same query: the reads around each of the plate's trips are
  fetched for five minutes either side (``habit_window``), so on the plate's *other* days we
  see whether the vehicle passed that camera at that time of day on its own, and how often it passes
  that camera at all. A bus on its route, or a neighbour on the same commute, is there without the
  plate too; a companion is there only with it.

The chance of being with the plate on a trip is at most the sum over the trip's reads, and the count
of trips together is compared with its Poisson-binomial distribution. The score is −log10 of that
tail probability, corrected for the number of vehicles that were ever near the plate (Bonferroni):
a score of 3 means "one chance in a thousand that some vehicle did this by accident".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr import time_index
from pingan.anpr.tactic_common import (
    TRIP_GAP,
    Period,
    day_start_utc,
    plate_reads,
    read_json,
    sql_str,
    sql_ts,
    trip_ids,
)
from pingan.errors import BadInput
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local

#: Reads of the plate at the same camera within this are one pass read twice.
DOUBLE_READ = timedelta(seconds=30)


@dataclass(frozen=True)
class CompanionQuery:
    plate: str
    period: Period
    within: timedelta = timedelta(seconds=60)
    min_cameras: int = 2
    min_trips: int = 2
    min_score: float = 2.0
    trip_gap: timedelta = TRIP_GAP
    habit_window: timedelta = timedelta(minutes=5)
    use_index: bool = True
    top: int | None = None

    def __post_init__(self) -> None:
        if not timedelta(0) < self.within <= timedelta(hours=1):
            raise BadInput(f"--within must be more than 0 and at most 1h, not {self.within}.")
        if self.min_cameras < 1 or self.min_trips < 1:
            raise BadInput("--min-cameras and --min-trips must be at least 1.")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")


@dataclass
class Companion:
    rank: int
    plate: str
    cameras: int
    co_reads: int
    trips: int
    days: int
    score: float
    p_value: float
    expected_trips: float
    lead_lag_s: float  # median (companion − plate): positive, the companion follows
    first_together: Any
    last_together: Any
    camera_ids: list[str]
    reasons: list[str]
    reads: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "cameras": self.cameras, "co_reads": self.co_reads,
            "trips": self.trips, "days": self.days, "score": round(self.score, 3),
            "p_value": float(f"{self.p_value:.3g}"), "expected_trips": round(self.expected_trips, 3),
            "lead_lag_s": round(self.lead_lag_s, 1),
            "first_together": iso_local(self.first_together), "last_together": iso_local(self.last_together),
            "camera_ids": self.camera_ids, "reasons": self.reasons, "reads": self.reads,
        }


@dataclass
class CompanionsResult:
    query: CompanionQuery
    target_reads: int
    target_trips: int
    vehicles_near: int
    candidates: int
    companions: list[Companion]
    reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        q = self.query
        return {
            "plate": q.plate, "period": q.period.to_json(), "within_s": q.within.total_seconds(),
            "plate_reads": self.target_reads, "plate_trips": self.target_trips,
            "vehicles_near": self.vehicles_near, "candidates": self.candidates,
            "min_cameras": q.min_cameras, "min_trips": q.min_trips, "min_score": q.min_score,
            "companions": [c.to_json() for c in self.companions], "reasons": self.reasons,
        }


def _fold_doubles(reads: pd.DataFrame) -> pd.DataFrame:
    r = reads.sort_values(["camera_id", "ts"], kind="stable")
    same = r["camera_id"].to_numpy()[1:] == r["camera_id"].to_numpy()[:-1]
    gap = np.diff(r["ts"].to_numpy().astype("datetime64[us]").astype(np.int64)) / 1e6
    repeat = np.concatenate([[False], same & (gap <= DOUBLE_READ.total_seconds())])
    return r[~repeat].sort_values("ts", kind="stable").reset_index(drop=True)


def _window_sql(target: pd.DataFrame, query: CompanionQuery, indexed: set[date] | frozenset[date] = frozenset()) -> str:
    """One branch per day the plate was seen: its literal day, its trips widened by the habit window,
    its cameras (literal bounds keep DuckDB's zone maps at work). Days in ``indexed`` are read from the
    time-ordered index (:mod:`pingan.anpr.time_index`), where those bounds skip most of the day."""
    h = query.habit_window
    branches = []
    for day, grp in target.groupby("day", sort=True):
        source = time_index.TABLE if day in indexed else "reads"
        ranges = []
        for _, trip in grp.groupby("trip", sort=True):
            ranges.append(f"ts BETWEEN {sql_ts(trip['ts'].min().to_pydatetime() - h)} "
                          f"AND {sql_ts(trip['ts'].max().to_pydatetime() + h)}")
        cams = ", ".join(sql_str(c) for c in sorted(set(grp["camera_id"])))
        branches.append(
            f"SELECT plate, camera_id, ts, confidence, day FROM {source} WHERE day = DATE '{day}' "
            f"AND ({' OR '.join(ranges)}) AND camera_id IN ({cams}) AND plate <> {sql_str(query.plate)}"
        )
    return " UNION ALL ".join(branches)


def around(store: Store, target: pd.DataFrame, query: CompanionQuery) -> pd.DataFrame:
    """Every read by another vehicle at the plate's cameras around its trips; a read within ``within`` of
    one of the plate's reads at the same camera carries that read's number (``read_no``), others NULL."""
    con = store.con
    first, last = min(target["day"]), max(target["day"])
    indexed = time_index.fresh_days(store, first, last, set(target["day"])) if query.use_index else set()
    con.register("_companion_target", target[["camera_id", "ts", "trip", "read_no", "confidence"]])
    try:
        w = int(query.within.total_seconds() * 1e6)
        found = con.execute(f"""
            WITH c AS ({_window_sql(target, query, indexed)}),
            m AS (
                SELECT c.plate, c.camera_id, c.ts, c.confidence, c.day, t.ts AS target_ts,
                       t.confidence AS target_confidence, t.trip, t.read_no,
                       row_number() OVER (PARTITION BY c.plate, c.camera_id, c.ts
                                          ORDER BY abs(epoch_us(c.ts) - epoch_us(t.ts))) AS nearest
                FROM c LEFT JOIN _companion_target t ON c.camera_id = t.camera_id
                 AND c.ts BETWEEN t.ts - INTERVAL {w} MICROSECOND AND t.ts + INTERVAL {w} MICROSECOND
            )
            SELECT * EXCLUDE (nearest) FROM m WHERE nearest = 1
        """).df()
        return found.assign(day=pd.to_datetime(found["day"]).dt.date)
    finally:
        con.unregister("_companion_target")


_FLEET: dict[tuple[str, date], int] = {}


def active_fleet(store: Store, day: date) -> int:
    """Distinct vehicles the county's cameras saw on ``day`` (approximate; remembered per store and day,
    as it is only the scale of the "anyone may pass" chance)."""
    key = (str(store.path), day)
    if key not in _FLEET:
        row = store.con.execute(f"SELECT approx_count_distinct(plate) FROM reads WHERE day = DATE '{day}'").fetchall()
        _FLEET[key] = max(1, int(row[0][0] or 0)) if row else 1
        if len(_FLEET) > 1024:
            _FLEET.pop(next(iter(_FLEET)))
    return _FLEET[key]


def poisson_binomial_sf(p: np.ndarray, k: int) -> float:
    """P(X ≥ k) for X the number of successes in independent trials with chances ``p``."""
    if k <= 0:
        return 1.0
    dist = np.zeros(k + 1)
    dist[0] = 1.0
    for pj in p:
        # the last cell accumulates "k or more"
        top = dist[k] + dist[k - 1] * pj
        dist[1:k] = dist[1:k] * (1 - pj) + dist[:k - 1] * pj
        dist[0] *= 1 - pj
        dist[k] = top
    return float(min(1.0, max(dist[k], 0.0)))


def _tod_seconds(ts: pd.Series, day: pd.Series) -> np.ndarray:
    """Seconds since local midnight."""
    midnights = day.map(lambda d: day_start_utc(d))
    return (ts - pd.to_datetime(midnights)).dt.total_seconds().to_numpy()


def companions(store: Store, query: CompanionQuery) -> CompanionsResult:
    """Vehicles that repeatedly travel with the plate, most surprising first, with reasons and reads."""
    raw = plate_reads(store, [query.plate], query.period.window)
    if raw.empty:
        return CompanionsResult(query, 0, 0, 0, 0, [], ["no reads of this plate in the period"])
    target = _fold_doubles(raw)
    target = target.assign(trip=trip_ids(target["ts"], query.trip_gap), read_no=np.arange(len(target)),
                           day=target["ts"].map(lambda t: _local_date(t)))
    n_trips = int(target["trip"].nunique())
    seen = around(store, target, query)
    near = seen[seen["read_no"].notna()].astype({"read_no": np.int64, "trip": np.int64})
    if near.empty:
        return CompanionsResult(query, len(target), n_trips, 0, 0, [], ["no other vehicle was read near it"])
    vehicles_near = int(near["plate"].nunique())
    stats = near.groupby("plate").agg(cameras=("camera_id", "nunique"), trips=("trip", "nunique"))
    keep = stats[(stats["cameras"] >= query.min_cameras) & (stats["trips"] >= query.min_trips)].index
    n_candidates = len(keep)
    # anyone may pass: the share of the day's vehicles each read of the plate had around it
    per_read = near.groupby("read_no")["plate"].nunique()
    fleet = active_fleet(store, max(target["day"]))
    p_any = (target["read_no"].map(per_read).fillna(0).to_numpy(dtype=float) + 1.0) / fleet
    trip_of_read = target["trip"].to_numpy()
    # habits only make a vehicle less surprising: without them the score is an upper bound, and a
    # vehicle that cannot reach min_score even so needs no closer look
    p_trip_any = np.minimum(0.999, pd.Series(p_any).groupby(trip_of_read).sum().to_numpy())
    upper = {k: _score(poisson_binomial_sf(p_trip_any, int(k)), vehicles_near)[0]
             for k in set(stats.loc[keep, "trips"])}
    keep = [p for p in keep if upper[int(stats.at[p, "trips"])] >= query.min_score]
    habit = Habits(target, seen, query)
    out: list[Companion] = []
    by_plate = {p: g for p, g in seen[seen["plate"].isin(set(keep))].groupby("plate", sort=True)}
    for plate in sorted(keep):
        mine = by_plate[plate]
        grp = near[near["plate"] == plate]
        own = habit.share(mine[mine["read_no"].isna()])
        p_read = p_any + (1 - p_any) * own
        p_trip = np.minimum(0.999, pd.Series(p_read).groupby(trip_of_read).sum().to_numpy())
        k = int(grp["trip"].nunique())
        score, adjusted = _score(poisson_binomial_sf(p_trip, k), vehicles_near)
        if score < query.min_score:
            continue
        out.append(_describe(plate, grp, query, score, adjusted, float(p_trip.sum()), n_trips))
    out.sort(key=lambda c: (-c.score, -c.trips, -c.co_reads, c.plate))
    if query.top is not None:
        out = out[: query.top]
    for rank, c in enumerate(out, start=1):
        c.rank = rank
    reasons = [f"{len(target)} read(s) of the plate in {n_trips} trip(s); {vehicles_near} other vehicle(s) were "
               f"read within {query.within.total_seconds():.0f} s of it at the same camera; "
               f"{n_candidates} on {query.min_trips}+ trips at {query.min_cameras}+ cameras; "
               f"{len(keep)} could be surprising enough to check against their habits"]
    return CompanionsResult(query, len(target), n_trips, vehicles_near, n_candidates, out, reasons)


class Habits:
    """What a vehicle does at the plate's cameras on its own, seen in the windows around the plate's trips.

    For each read of the plate (camera c, time of day τ, day d), the *other* days whose windows covered
    c at τ ± ``within`` are the days on which we could have seen the vehicle there; the share of them on
    which it was there, alone, is its habit. Its passes at c per hour of window time give its rate (a
    bus all day long). The larger of the two is its chance of being there anyway.
    """

    def __init__(self, target: pd.DataFrame, seen: pd.DataFrame, query: CompanionQuery) -> None:
        self.w = query.within.total_seconds()
        self.t_cam = target["camera_id"].to_numpy()
        self.t_day = target["day"].to_numpy()
        self.t_tod = _tod_seconds(target["ts"], target["day"])
        h = query.habit_window.total_seconds()
        # windows per day (time of day), and the cameras each day watched
        days = sorted(set(self.t_day))
        self.days = np.array(days, dtype=object)
        cams_of_day = target.groupby("day")["camera_id"].agg(set)
        trips = target.groupby(["day", "trip"])["ts"].agg(["min", "max"]).reset_index()
        lo = _tod_seconds(trips["min"], trips["day"]) - h
        hi = _tod_seconds(trips["max"], trips["day"]) + h
        # covered[i, j]: on day j the windows watched read i's camera over τ_i ± within (and j is another day)
        covered = np.zeros((len(target), len(days)), dtype=bool)
        for j, day in enumerate(days):
            on_day = (trips["day"] == day).to_numpy()
            inside = ((lo[on_day][None, :] <= self.t_tod[:, None] - self.w)
                      & (hi[on_day][None, :] >= self.t_tod[:, None] + self.w)).any(axis=1)
            covered[:, j] = inside & np.isin(self.t_cam, list(cams_of_day[day])) & (self.t_day != day)
        self.covered = covered
        self.day_index = {d: j for j, d in enumerate(days)}
        # hours of window time per camera, for rates
        per_day_hours = (hi - lo) / 3600.0
        watch: dict[str, float] = {}
        for day, hours in zip(trips["day"], per_day_hours, strict=True):
            for cam in cams_of_day[day]:
                watch[cam] = watch.get(cam, 0.0) + float(hours)
        self.watch_hours = np.array([watch.get(c, 0.0) for c in self.t_cam])

    def share(self, alone: pd.DataFrame) -> np.ndarray:
        """For each read of the plate: the chance this vehicle is at that camera within the interval anyway."""
        if alone.empty:
            return np.zeros(len(self.t_cam))
        a_cam = alone["camera_id"].to_numpy()
        a_day = np.array([self.day_index.get(d, -1) for d in alone["day"]])
        a_tod = _tod_seconds(alone["ts"], alone["day"])
        habit = np.zeros(len(self.t_cam))
        rate = np.zeros(len(self.t_cam))
        for cam in set(a_cam):
            rows = np.flatnonzero(self.t_cam == cam)
            if rows.size == 0:
                continue
            mine = a_cam == cam
            rate[rows] = mine.sum() / np.maximum(self.watch_hours[rows], 1e-9) * (2 * self.w / 3600.0)
            diff = np.abs(self.t_tod[rows][:, None] - a_tod[mine][None, :])
            near_tod = np.minimum(diff, 86400 - diff) <= self.w
            days_hit = np.zeros((rows.size, len(self.days)), dtype=bool)
            for k, j in enumerate(a_day[mine]):
                if j >= 0:
                    days_hit[:, j] |= near_tod[:, k]
            days_hit &= self.covered[rows]
            observed = self.covered[rows].sum(axis=1)
            habit[rows] = np.where(observed > 0, days_hit.sum(axis=1) / np.maximum(observed, 1), 0.0)
        return np.minimum(1.0, np.maximum(habit, rate))


def _score(tail: float, tested: int) -> tuple[float, float]:
    """−log10 of the tail probability after a Bonferroni correction for the vehicles tested."""
    adjusted = min(1.0, tail * tested)
    return max(0.0, float(-np.log10(max(adjusted, 1e-300)))), adjusted


def _local_date(ts: Any) -> date:
    return to_local(ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts).date()


def _describe(plate: str, grp: pd.DataFrame, query: CompanionQuery, score: float, p_value: float, expected: float,
              n_trips: int) -> Companion:
    lag = (grp["ts"] - grp["target_ts"]).dt.total_seconds()
    first, last = grp["ts"].min().to_pydatetime(), grp["ts"].max().to_pydatetime()
    cams = list(dict.fromkeys(grp.sort_values("ts")["camera_id"]))
    trips, days = int(grp["trip"].nunique()), int(grp["day"].nunique())
    median_lag = float(lag.median())
    direction = (f"follows {abs(median_lag):.0f} s behind" if median_lag > 0
                 else f"leads by {abs(median_lag):.0f} s" if median_lag < 0 else "passes at the same moment")
    reasons = [
        f"with {query.plate} on {trips} of its {n_trips} trips ({days} day(s)), at {len(cams)} camera(s): "
        + ", ".join(cams[:6]) + (" …" if len(cams) > 6 else ""),
        f"{int(grp['read_no'].nunique())} co-read(s); typically {direction}",
        f"expected on {expected:.2f} trip(s) by chance and habit; chance of {trips}+ by accident "
        f"(after checking every nearby vehicle) {p_value:.2g}",
        f"first together {iso_local(first)}, last {iso_local(last)}",
    ]
    comp_reads = grp.sort_values("ts").drop_duplicates(["camera_id", "ts"])
    supporting = [
        {**read_json(_Row(plate, r.camera_id, r.ts, r.confidence)),
         "with": read_json(_Row(query.plate, r.camera_id, r.target_ts, r.target_confidence))}
        for r in comp_reads.itertuples(index=False)
    ]
    return Companion(
        rank=0, plate=plate, cameras=len(cams), co_reads=int(grp["read_no"].nunique()), trips=trips, days=days,
        score=score, p_value=p_value, expected_trips=expected, lead_lag_s=median_lag,
        first_together=first, last_together=last, camera_ids=cams, reasons=reasons, reads=supporting,
    )


@dataclass
class _Row:
    plate: str
    camera_id: str
    ts: Any
    confidence: float | None = None
