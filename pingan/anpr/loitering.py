"""Loitering (徘徊) and area frequency: vehicles that keep coming to an area, or circle within it.

An area's cameras see three kinds of regulars: people who live or work there (they pass every day,
on their way out and home), people who pass through on their commute (every working day, at the same
hours), and vehicles that drive everywhere (taxis, vans). None of them is what an investigator means by
loitering: a vehicle that comes *to this place*, again and again, at no fixed hour, stops nearby
for a while or drives round it, and lives and works elsewhere. So each vehicle is judged on what the
area's cameras see, and on where it goes before and after:

* **stops here**: after passing one of the area's cameras the vehicle is not seen again for a while,
  longer than the drive to its next camera would take (5 min or more unaccounted for), but less than
  a long stay: it stopped in or by the area. Stops at the same hour on most days are a routine (a school
  run); when most of its nights begin or end at the area's cameras, or most of its daytime stays of
  three hours or more begin and end there, it lives or works there, and its stops here are its own
  comings and goings, not counted. (A car whose home has no camera on the way to the area cannot be
  told from one that lives by it.)
* **circles**: within one visit it passes one of the area's cameras again, three minutes to an hour
  later (cameras read one direction of travel, so a there-and-back does not count; going round does).

Each is scored by surprise against the vehicles the area sees: −log10 of the binomial chance of that
many of its stops being here (given all its stops in the city, and the share of the area's regulars'
stops that are here), plus the same for its circling visits among its visits. A taxi stops here often
but stops everywhere; a resident stops here all the time but lives here; a loiterer's stops and
circles concentrate here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from pingan.anpr.tactic_common import Period, reads_json, sql_str, time_filter, utc_offset
from pingan.errors import BadInput
from pingan.geo import haversine_km
from pingan.store.db import Store

#: Straight-line speed for the drive between two consecutive cameras when judging a stop: slow on
#: purpose (a village road, a congested centre), so that only time no drive explains counts as a stop.
_STOP_KMH = 25.0


@dataclass(frozen=True)
class LoiterQuery:
    """Vehicles that keep coming back to an area (its cameras) or circle within it, over a period.

    A *visit* is a run of reads at the area's cameras with no gap over ``visit_gap``. A visit *circles*
    when the vehicle passes one camera again between ``min_circle`` and ``circle_within`` later. A *stop*
    is time after the vehicle passed one of the area's cameras that the drive to its next camera does
    not explain, at least ``min_stop``; ``long_stay`` or more is a stay (home, work).
    """

    period: Period
    cameras: tuple[str, ...]
    min_visits: int = 3
    visit_gap: timedelta = timedelta(minutes=30)
    min_circle: timedelta = timedelta(minutes=3)
    circle_within: timedelta = timedelta(hours=1)
    min_stop: timedelta = timedelta(minutes=5)
    long_stay: timedelta = timedelta(hours=3)
    top: int | None = 50

    def __post_init__(self) -> None:
        if not self.cameras:
            raise BadInput("The area has no cameras; choose a larger radius or another place.")
        if self.min_visits < 1:
            raise BadInput(f"--min-visits must be at least 1, not {self.min_visits}.")
        if not timedelta(0) < self.min_circle < self.circle_within:
            raise BadInput(f"min_circle ({self.min_circle}) must be more than 0 and less than circle_within "
                           f"({self.circle_within}).")
        if not timedelta(0) < self.min_stop < self.long_stay:
            raise BadInput(f"min_stop ({self.min_stop}) must be more than 0 and less than long_stay "
                           f"({self.long_stay}).")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")


@dataclass
class Loiterer:
    rank: int
    plate: str
    visits: int
    days: int
    circling_visits: int
    reads: int
    longest_visit_min: float
    hours: list[int]
    score: float
    routine: bool
    reasons: list[str]
    stops_here: int = 0
    """Stops just after passing the area's cameras, not routine, not its home or work."""
    stops: int = 0
    """All its stops in the city over the period (from 5 min to a long stay)."""
    lives_or_works_here: bool = False
    supporting: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "visits": self.visits, "days": self.days,
            "circling_visits": self.circling_visits, "reads": self.reads,
            "longest_visit_min": round(self.longest_visit_min, 1), "local_hours": self.hours,
            "stops_here": self.stops_here, "stops": self.stops, "lives_or_works_here": self.lives_or_works_here,
            "score": round(self.score, 3), "routine": self.routine, "reasons": self.reasons,
            "reads_sample": self.supporting,
        }


@dataclass
class LoiterResult:
    query: LoiterQuery
    vehicles_seen: int
    vehicles: list[Loiterer]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.query.period.to_json(), "cameras": list(self.query.cameras),
            "min_visits": self.query.min_visits, "vehicles_seen": self.vehicles_seen,
            "vehicles": [v.to_json() for v in self.vehicles],
        }


def _seconds(ts: pd.Series) -> np.ndarray:
    return ts.to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6


def _visits(reads: pd.DataFrame, query: LoiterQuery) -> pd.DataFrame:
    """One row per visit: plate, start, end, minutes, reads, circles (bool)."""
    r = reads.sort_values(["plate", "ts"], kind="stable").reset_index(drop=True)
    t = _seconds(r["ts"])
    plates = r["plate"].to_numpy()
    new_plate = np.concatenate([[True], plates[1:] != plates[:-1]])
    gap = np.concatenate([[np.inf], np.diff(t)])
    r["visit"] = np.cumsum(new_plate | (gap > query.visit_gap.total_seconds()))
    # the same camera passed again within one visit, not too soon (a double read) nor too late
    r = r.sort_values(["visit", "camera_id", "ts"], kind="stable")
    t2 = _seconds(r["ts"])
    visit, cam = r["visit"].to_numpy(), r["camera_id"].to_numpy()
    same = np.concatenate([[False], (visit[1:] == visit[:-1]) & (cam[1:] == cam[:-1])])
    dt = np.concatenate([[0.0], np.diff(t2)])
    r["again"] = same & (dt >= query.min_circle.total_seconds()) & (dt <= query.circle_within.total_seconds())
    g = r.groupby("visit")
    visits = pd.DataFrame({
        "plate": g["plate"].first(), "start": g["ts"].min(), "end": g["ts"].max(), "reads": g.size(),
        "circles": g["again"].any(),
    })
    visits["minutes"] = (visits["end"] - visits["start"]).dt.total_seconds() / 60.0
    return visits.reset_index(drop=True)


def _stops(store: Store, query: LoiterQuery, plates: list[str]) -> pd.DataFrame:
    """The listed vehicles' stops anywhere in the city: time after a read that the drive to the next read
    does not explain (``min_stop`` or more). Columns: plate, ts (the read before), camera_id, next_cam,
    next_ts, slack_s."""
    window = query.period.window
    con = store.con
    con.register("_loiter_plates", pd.DataFrame({"plate": plates}))
    try:
        gaps = con.execute(f"""
            WITH s AS (
                SELECT plate, camera_id, ts, lead(camera_id) OVER w AS next_cam, lead(ts) OVER w AS next_ts
                FROM reads WHERE {time_filter(window)} AND plate IN (SELECT plate FROM _loiter_plates)
                WINDOW w AS (PARTITION BY plate ORDER BY ts)
            )
            SELECT plate, camera_id, ts, next_cam, next_ts FROM s
            WHERE next_ts IS NOT NULL AND next_ts - ts >= INTERVAL {int(query.min_stop.total_seconds())} SECOND
        """).df()
        cams = con.execute("SELECT camera_id, lon, lat FROM cameras").df().set_index("camera_id")
    finally:
        con.unregister("_loiter_plates")
    if gaps.empty:
        return gaps.assign(slack_s=pd.Series(dtype=float))
    a = cams.reindex(gaps["camera_id"])
    b = cams.reindex(gaps["next_cam"])
    km = np.nan_to_num(haversine_km(a["lon"].to_numpy(), a["lat"].to_numpy(), b["lon"].to_numpy(),
                                    b["lat"].to_numpy()), nan=0.0)
    slack = (gaps["next_ts"] - gaps["ts"]).dt.total_seconds().to_numpy() - km / _STOP_KMH * 3600.0
    gaps["slack_s"] = slack
    return gaps[slack >= query.min_stop.total_seconds()].reset_index(drop=True)


def _surprise(k: np.ndarray, n: np.ndarray, p0: float) -> np.ndarray:
    """−log10 P(X ≥ k) for X ~ Binomial(n, p0); 0 where k is 0."""
    p0 = min(max(p0, 1e-4), 0.5)
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    out = -binom.logsf(k - 1, np.maximum(n, k), p0) / np.log(10)
    return np.where(k > 0, out, 0.0)


def loitering(store: Store, query: LoiterQuery) -> LoiterResult:
    """Vehicles that keep coming to the area and stop, or circle in it, most marked first.

    The score is the surprise of the vehicle's stops here among all its stops, plus the surprise of its
    circling visits among its visits, each against the vehicles the area sees (see the module doc).
    """
    window = query.period.window
    area = set(query.cameras)
    reads = store.con.execute(
        f"SELECT plate, camera_id, ts, confidence FROM reads WHERE {time_filter(window)} "
        f"AND camera_id IN ({', '.join(sql_str(c) for c in sorted(area))})"
    ).df()
    if reads.empty:
        return LoiterResult(query, 0, [])
    offset = utc_offset(window)
    visits = _visits(reads, query)
    per = visits.groupby("plate").agg(visits=("start", "size"), circling=("circles", "sum"),
                                      reads=("reads", "sum"), longest=("minutes", "max"))
    seen = len(per)
    listed = per[(per["visits"] >= query.min_visits) | (per["circling"] >= 1)].copy()
    if listed.empty:
        return LoiterResult(query, seen, [])
    visits = visits[visits["plate"].isin(listed.index)]
    local_start = visits["start"] + offset
    visits = visits.assign(hour=local_start.dt.hour, day=local_start.dt.date)
    # routine: three or more visits, most of them starting in the same local hour, never circling
    hour_counts = visits.groupby(["plate", "hour"]).size()
    top_hour = hour_counts.groupby(level=0).max()
    listed["days"] = visits.groupby("plate")["day"].nunique()
    listed["top_hour"] = hour_counts.groupby(level=0).idxmax().map(lambda ph: ph[1])
    listed["routine"] = (listed["visits"] >= 3) & (top_hour / listed["visits"] >= 0.7) & (listed["circling"] == 0)
    listed = listed.join(_stop_evidence(store, query, listed.index.tolist(), area, offset))
    # how often the area's regulars stop here, and circle here: the baselines of the surprise
    p_stop = float(listed["stops_here"].sum()) / max(float(listed["stops"].sum()), 1.0)
    p_circle = float(listed["circling"].sum()) / max(float(listed["visits"].sum()), 1.0)
    listed["stop_score"] = _surprise(listed["stops_here"].to_numpy(), listed["stops"].to_numpy(), p_stop)
    listed["circle_score"] = _surprise(listed["circling"].to_numpy(), listed["visits"].to_numpy(), p_circle)
    listed["score"] = listed["stop_score"] + listed["circle_score"]
    listed = listed.assign(_neg=-listed["score"], _negv=-listed["visits"])
    listed = listed.sort_index(kind="stable").sort_values(["_neg", "_negv"], kind="stable")
    if query.top is not None:
        listed = listed.head(query.top)
    shown = visits[visits["plate"].isin(listed.index)]
    hours = shown.groupby("plate")["hour"].agg(lambda h: sorted(set(int(x) for x in h)))
    out = [_loiterer(str(plate), row, hours[plate], p_stop, p_circle, query) for plate, row in listed.iterrows()]
    for rank, v in enumerate(out, start=1):
        v.rank = rank
    by_plate = {p: g for p, g in reads[reads["plate"].isin([v.plate for v in out])].groupby("plate")}
    for v in out:
        g = by_plate[v.plate].sort_values("ts")
        v.supporting = reads_json(g.assign(plate_raw=None), 20)
    return LoiterResult(query, seen, out)


def _stop_evidence(store: Store, query: LoiterQuery, plates: list[str], area: set[str],
                   offset: timedelta) -> pd.DataFrame:
    """Per plate: stops (all, short ones), stops here not explained by routine or home/work, stay days here."""
    columns = ["stops", "stops_here", "stop_days_here", "stop_hours", "stay_days", "lives_or_works_here",
               "routine_stops"]
    stops = _stops(store, query, plates)
    if stops.empty:
        return pd.DataFrame(0, index=pd.Index(plates, name="plate"), columns=columns).assign(
            stop_hours=[[] for _ in plates], lives_or_works_here=False)
    local = stops["ts"] + offset
    stops = stops.assign(day=local.dt.date, hour=local.dt.hour,
                         here=stops["camera_id"].isin(area).to_numpy(),
                         next_here=stops["next_cam"].isin(area).to_numpy(),
                         long=stops["slack_s"] >= query.long_stay.total_seconds())
    short = stops[~stops["long"]]
    # where it spends its nights and its working days. It lives here when most of its nights begin or end
    # at the area's cameras; it works here when most of its daytime stays of hours both begin and end there
    # (it came in past them and left past them). One end is not enough by day: a car whose home has no camera
    # on the way comes to the area straight from hours at home, and goes straight back.
    shift = offset - timedelta(hours=3)  # a stay across 03:00 local is a night
    long = stops[stops["long"]]
    night = ((long["ts"] + shift).dt.date != (long["next_ts"] + shift).dt.date).to_numpy()
    stays = long.assign(night=night, touches=np.where(night, long["here"] | long["next_here"],
                                                      long["here"] & long["next_here"]))
    share = stays.groupby(["plate", "night"])["touches"].agg(["sum", "size"])
    anchored = share[(share["sum"] >= 2) & (share["sum"] >= 0.5 * share["size"])]
    anchored_plates = set(anchored.index.get_level_values(0))
    stay_days = stays[stays["touches"]].groupby("plate")["day"].nunique()
    active_days = stops.groupby("plate")["day"].nunique()
    here = short[short["here"]]
    # a stop here at the same hour (±1 h) on at least half its days, and three or more: a routine
    routine = np.zeros(len(here), dtype=bool)
    if not here.empty:
        by_hour = here.groupby(["plate", "hour"])["day"].nunique().unstack(fill_value=0)
        by_hour = by_hour.reindex(columns=range(24), fill_value=0)
        counts = by_hour.to_numpy()
        near_hour = counts + np.roll(counts, 1, axis=1) + np.roll(counts, -1, axis=1)  # days within ±1 h
        row = by_hour.index.get_indexer(here["plate"])
        days = near_hour[row, here["hour"].to_numpy()]
        routine = days >= np.maximum(3, 0.5 * active_days.reindex(here["plate"]).fillna(0).to_numpy())
    counted = here[~routine]
    out = pd.DataFrame(index=pd.Index(plates, name="plate"))
    out["stops"] = short.groupby("plate").size()
    out["stay_days"] = stay_days
    out["routine_stops"] = here[routine].groupby("plate").size()
    out = out.fillna(0).astype(int)
    out["lives_or_works_here"] = out.index.isin(anchored_plates)
    kept = counted[~counted["plate"].map(out["lives_or_works_here"]).fillna(False).astype(bool)]
    out["stops_here"] = kept.groupby("plate").size().reindex(out.index).fillna(0).astype(int)
    out["stop_days_here"] = kept.groupby("plate")["day"].nunique().reindex(out.index).fillna(0).astype(int)
    hours = kept.groupby("plate")["hour"].agg(lambda h: sorted(set(int(x) for x in h)))
    out["stop_hours"] = [hours.get(p, []) for p in out.index]
    return out[columns]


def _loiterer(plate: str, row: pd.Series, hours: list[int], p_stop: float, p_circle: float,
              query: LoiterQuery) -> Loiterer:
    reasons = [f"{int(row.visits)} visit(s) to the area on {int(row.days)} day(s)"]
    if row.stops_here:
        reasons.append(
            f"stopped just after passing the area's cameras {int(row.stops_here)} time(s) on "
            f"{int(row.stop_days_here)} day(s), at {', '.join(f'{h:02d}h' for h in row.stop_hours)}: "
            f"{row.stops_here / max(row.stops, 1):.0%} of its {int(row.stops)} stops in the period, where the "
            f"area's regulars make {p_stop:.0%} of theirs")
    if row.circling:
        reasons.append(
            f"circled in {int(row.circling)} of {int(row.visits)} visit(s) (passed one of its cameras again "
            f"{_minutes(query.min_circle)}–{_minutes(query.circle_within)} later; {p_circle:.0%} of the regulars' "
            f"visits do); longest visit {row.longest:.0f} min")
    if row.lives_or_works_here:
        reasons.append(f"lives or works by the area: most of its nights begin or end at the area's cameras, or most "
                       f"of its stays of {_minutes(query.long_stay)} or more by day begin and end there "
                       f"({int(row.stay_days)} day(s)), so its stops here are not counted")
    if row.routine_stops:
        reasons.append(f"{int(row.routine_stops)} stop(s) here at its usual hour on most days (a routine) "
                       "are not counted")
    if row.routine:
        reasons.append(f"comes at the same hour ({int(row.top_hour):02d}h) on most visits: looks like a routine")
    return Loiterer(0, plate, int(row.visits), int(row.days), int(row.circling), int(row.reads), float(row.longest),
                    hours, float(row.score), bool(row.routine), reasons, stops_here=int(row.stops_here),
                    stops=int(row.stops), lives_or_works_here=bool(row.lives_or_works_here))


def _minutes(delta: timedelta) -> str:
    minutes = delta.total_seconds() / 60
    return f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"


__all__ = ["LoiterQuery", "LoiterResult", "Loiterer", "loitering"]
