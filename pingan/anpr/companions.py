"""Companion vehicles (同行车 / 伴随车): vehicles that keep travelling with a plate, scored by surprise.

A vehicle is *with* the plate at one of its reads when the same camera read it within ``within``
(60 s by default). Travelling together once means little — two cars in the same stream of traffic
pass several cameras together — so the unit of evidence is the **trip**: a companion is with the
plate on at least ``min_trips`` of its trips, at ``min_cameras`` or more distinct cameras.

Background traffic is what makes that surprising or not. For each of the plate's reads, the chance
that a given vehicle is at that camera within the interval anyway is

- the share of the day's vehicles the camera saw in the interval (anyone may pass), plus
- the vehicle's own habit: on how many *other* days — days it was not with the plate — it passed that
  camera at that time of day. A bus on its route, or a neighbour on the same commute, is there on
  days the plate is not; a companion is there only when the plate is.

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


def _co_reads_sql(target: pd.DataFrame, query: CompanionQuery) -> str:
    """One branch per day the plate was seen, each with its literal day and time ranges (zone maps)."""
    w = query.within
    branches = []
    for day, grp in target.groupby("day", sort=True):
        ranges = []
        for _, trip in grp.groupby("trip", sort=True):
            ranges.append(f"ts BETWEEN {sql_ts(trip['ts'].min().to_pydatetime() - w)} "
                          f"AND {sql_ts(trip['ts'].max().to_pydatetime() + w)}")
        cams = ", ".join(sql_str(c) for c in sorted(set(grp["camera_id"])))
        branches.append(
            f"SELECT plate, camera_id, ts, confidence FROM reads WHERE day = DATE '{day}' AND ({' OR '.join(ranges)}) "
            f"AND camera_id IN ({cams}) AND plate <> {sql_str(query.plate)}"
        )
    return " UNION ALL ".join(branches)


def co_reads(store: Store, target: pd.DataFrame, query: CompanionQuery) -> pd.DataFrame:
    """Every read by another vehicle at the plate's camera within the interval of one of its reads."""
    con = store.con
    con.register("_companion_target", target[["camera_id", "ts", "trip", "read_no", "day", "confidence"]])
    try:
        w = int(query.within.total_seconds() * 1e6)
        return con.execute(
            f"WITH c AS ({_co_reads_sql(target, query)}) "
            "SELECT c.plate, c.camera_id, c.ts, c.confidence, t.ts AS target_ts, t.confidence AS target_confidence, "
            "t.trip, t.read_no, t.day "
            "FROM c JOIN _companion_target t ON c.camera_id = t.camera_id "
            f"AND c.ts BETWEEN t.ts - INTERVAL {w} MICROSECOND AND t.ts + INTERVAL {w} MICROSECOND"
        ).df()
    finally:
        con.unregister("_companion_target")


def active_fleet(store: Store, day: date) -> int:
    """Distinct vehicles the county's cameras saw on ``day`` (approximate)."""
    row = store.con.execute(f"SELECT approx_count_distinct(plate) FROM reads WHERE day = DATE '{day}'").fetchall()[0]
    return max(1, int(row[0] or 0)) if row else 1


def habits(store: Store, plates: list[str], cameras: list[str], query: CompanionQuery) -> pd.DataFrame:
    """The candidates' reads at the plate's cameras over the period: plate, camera_id, day, ts.

    The plates go in as literals, so zone maps on ``plate`` skip every row group that cannot hold them.
    """
    if not plates:
        return pd.DataFrame(columns=["plate", "camera_id", "day", "ts"])
    first, last = query.period.days()
    cams = ", ".join(sql_str(c) for c in cameras)
    return store.con.execute(
        "SELECT plate, camera_id, day, ts FROM reads "
        f"WHERE day BETWEEN DATE '{first}' AND DATE '{last}' "
        f"AND ts BETWEEN {sql_ts(query.period.start)} AND {sql_ts(query.period.end)} "
        f"AND plate IN ({', '.join(sql_str(p) for p in plates)}) AND camera_id IN ({cams})"
    ).df()


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
    near = co_reads(store, target, query)
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
    # vehicle that cannot reach min_score even so is done without looking up its habits
    p_trip_any = np.minimum(0.999, pd.Series(p_any).groupby(trip_of_read).sum().to_numpy())
    upper = {k: _score(poisson_binomial_sf(p_trip_any, int(k)), vehicles_near)[0]
             for k in set(stats.loc[keep, "trips"])}
    keep = [p for p in keep if upper[int(stats.at[p, "trips"])] >= query.min_score]
    cands = near[near["plate"].isin(set(keep))]
    hab = habits(store, list(keep), sorted(set(target["camera_id"])), query)
    first, last = query.period.days()
    n_days = (last - first).days + 1
    out: list[Companion] = []
    hab_by_plate = {p: g for p, g in hab.groupby("plate", sort=False)} if len(hab) else {}
    for plate, grp in cands.groupby("plate", sort=True):
        h = hab_by_plate.get(plate, hab.iloc[0:0])
        # the vehicle on its own: its reads at these cameras that were not next to the plate
        alone = h[~h.set_index(["camera_id", "ts"]).index.isin(grp.set_index(["camera_id", "ts"]).index)]
        own = np.maximum(_rate_share(alone, target, query.within, n_days),
                         _habit_share(alone, target, query.within, n_days))
        p_read = p_any + (1 - p_any) * own
        p_trip = np.minimum(0.999, pd.Series(p_read).groupby(trip_of_read).sum().to_numpy())
        k = int(grp["trip"].nunique())
        score, adjusted = _score(poisson_binomial_sf(p_trip, k), vehicles_near)
        if score < query.min_score:
            continue
        out.append(_describe(plate, grp, raw, store, query, score, adjusted, float(p_trip.sum()), n_trips))
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


def _score(tail: float, tested: int) -> tuple[float, float]:
    """−log10 of the tail probability after a Bonferroni correction for the vehicles tested."""
    adjusted = min(1.0, tail * tested)
    return max(0.0, float(-np.log10(max(adjusted, 1e-300)))), adjusted


def _local_date(ts: Any) -> date:
    return to_local(ts.to_pydatetime() if hasattr(ts, "to_pydatetime") else ts).date()


def _rate_share(h: pd.DataFrame, target: pd.DataFrame, within: timedelta, n_days: int) -> np.ndarray:
    """For each read of the plate: the chance the vehicle is at that camera within the interval, from how
    often it passes there on its own at any time (a bus up and down its route)."""
    if h.empty:
        return np.zeros(len(target))
    per_day = h.groupby("camera_id").size() / n_days
    rate = target["camera_id"].map(per_day).fillna(0.0).to_numpy(dtype=float)
    return np.minimum(1.0, rate * 2 * within.total_seconds() / 86400.0)


def _habit_share(h: pd.DataFrame, target: pd.DataFrame, within: timedelta, n_days: int) -> np.ndarray:
    """For each read of the plate: on what share of the other days the vehicle passed that camera, on its
    own, within the interval of that time of day (a neighbour on the same commute)."""
    share = np.zeros(len(target))
    if h.empty:
        return share
    w = within.total_seconds()
    h_tod = _tod_seconds(h["ts"], h["day"])
    t_tod = _tod_seconds(target["ts"], target["day"])
    h_cam, h_day = h["camera_id"].to_numpy(), h["day"].to_numpy()
    for i, (cam, tod, day) in enumerate(zip(target["camera_id"].to_numpy(), t_tod, target["day"].to_numpy(),
                                            strict=True)):
        diff = np.abs(h_tod - tod)
        diff = np.minimum(diff, 86400 - diff)
        hit = (h_cam == cam) & (diff <= w) & (h_day != day)
        if hit.any():
            share[i] = min(1.0, len(set(h_day[hit])) / max(1, n_days - 1))
    return share


def _describe(plate: str, grp: pd.DataFrame, target_raw: pd.DataFrame, store: Store, query: CompanionQuery,
              score: float, p_value: float, expected: float, n_trips: int) -> Companion:
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
