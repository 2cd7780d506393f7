"""Patterns of a whole fleet over a period: first appearance (首次入城), night activity (昼伏夜出),
and vehicles that keep coming back to an area or circle within it (loitering).

Each runs as one aggregation over the period's reads with literal time bounds, then scores the small
result in Python against what is normal for the city (or the area) in the same period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

from pingan.anpr.area import Window
from pingan.anpr.tactic_common import (
    Period,
    misread_ghosts,
    plate_reads,
    reads_json,
    sql_str,
    sql_ts,
    time_filter,
    utc_offset,
)
from pingan.anpr.trajectory import plate_variants
from pingan.anpr.watchlist import Match, Watchlists
from pingan.errors import BadInput
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local

# --- first appearance ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstSeenQuery:
    """Vehicles seen in the period and never in the ``lookback`` before it, anywhere in the city.

    ``cameras``: only vehicles seen by these cameras in the period (an area); None for the whole city.
    ``min_passes``: passes (distinct camera and minute) a vehicle needs in the period — one stray read
    is usually a misread plate, not a newcomer. ``min_days``: days it was seen on in the period (2 or
    more keeps newcomers who stay, and leaves out vehicles passing through once).
    """

    period: Period
    lookback: timedelta = timedelta(days=30)
    cameras: tuple[str, ...] | None = None
    min_passes: int = 2
    min_days: int = 1
    fuzzy: bool = True
    top: int | None = None

    def __post_init__(self) -> None:
        if self.lookback <= timedelta(0):
            raise BadInput(f"--lookback must be more than 0, not {self.lookback}.")
        if self.min_passes < 1:
            raise BadInput(f"--min-passes must be at least 1, not {self.min_passes}.")
        if self.min_days < 1:
            raise BadInput(f"--min-days must be at least 1, not {self.min_days}.")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")


@dataclass
class Newcomer:
    rank: int
    plate: str
    first_seen: datetime
    last_seen: datetime
    reads: int
    passes: int
    cameras: int
    days: int
    watchlist: Match | None
    misread_of: list[str]
    reasons: list[str]
    supporting: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "first_seen": iso_local(self.first_seen),
            "last_seen": iso_local(self.last_seen), "reads": self.reads, "passes": self.passes,
            "cameras": self.cameras, "days": self.days,
            "watchlist": self.watchlist.to_json() if self.watchlist else None,
            "possible_misread_of": self.misread_of, "reasons": self.reasons, "reads_sample": self.supporting,
        }


@dataclass
class FirstSeenResult:
    query: FirstSeenQuery
    lookback: Window
    vehicles_in_period: int
    vehicles: list[Newcomer]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.query.period.to_json(), "lookback": self.lookback.to_json(),
            "lookback_days": self.query.lookback.total_seconds() / 86400,
            "cameras": list(self.query.cameras) if self.query.cameras is not None else None,
            "vehicles_in_period": self.vehicles_in_period,
            "vehicles": [v.to_json() for v in self.vehicles],
        }


def _cameras_filter(cameras: tuple[str, ...] | None, alias: str = "") -> str:
    if cameras is None:
        return "TRUE"
    if not cameras:
        return "FALSE"
    p = f"{alias}." if alias else ""
    return f"{p}camera_id IN ({', '.join(sql_str(c) for c in cameras)})"


def first_seen(store: Store, query: FirstSeenQuery) -> FirstSeenResult:
    """Vehicles seen for the first time in the look-back, newest to the city first, watchlisted on top."""
    period = query.period.window
    lookback = Window(period.start - query.lookback, period.start - timedelta(microseconds=1))
    con = store.con
    seen = con.execute(
        "SELECT plate, count(*) AS n, count(DISTINCT (camera_id, date_trunc('minute', ts))) AS passes, "
        "count(DISTINCT camera_id) AS cams, count(DISTINCT day) AS days, min(ts) AS first, max(ts) AS last "
        f"FROM reads WHERE {time_filter(period)} AND {_cameras_filter(query.cameras)} GROUP BY plate"
    ).df()
    in_period = len(seen)
    cands = seen[(seen["passes"] >= query.min_passes) & (seen["days"] >= query.min_days)]
    if cands.empty:
        return FirstSeenResult(query, lookback, in_period, [])
    seen_before = seen_in(store, set(cands["plate"]), lookback)
    new = cands[~cands["plate"].isin(seen_before)]
    # a newcomer one camera-confusion away from a vehicle seen lately may be its misread
    variant_of = {p: plate_variants(p) for p in new["plate"]} if query.fuzzy else {}
    recent = Window(max(lookback.start, lookback.end - timedelta(days=7)), lookback.end)
    before = seen_in(store, {v for vs in variant_of.values() for v in vs}, recent)
    # or of a vehicle read far more often in the period itself (a new taxi's misread "ghosts")
    ghosts = misread_ghosts(store, new["plate"].tolist(), period) if query.fuzzy else {}
    watchlists = Watchlists.load(store, valid_at=period.start)
    vehicles: list[Newcomer] = []
    for row in new.itertuples(index=False):
        matches = watchlists.match(row.plate, fuzzy=query.fuzzy)
        match = matches[0] if matches else None
        misread_of = sorted(v for v in variant_of.get(row.plate, ()) if v in before)
        if row.plate in ghosts and ghosts[row.plate][0] not in misread_of:
            misread_of.append(ghosts[row.plate][0])
        reasons = [f"first seen {iso_local(row.first.to_pydatetime())}; not seen anywhere in the "
                   f"{query.lookback.days} day(s) before the period",
                   f"{row.n} read(s), {row.passes} pass(es), {row.cams} camera(s), {row.days} day(s) in the period"]
        if match is not None:
            reasons.insert(0, f"on watchlist '{match.entry.list}' (person {match.entry.person_id}: "
                              f"{', '.join(match.entry.categories)})"
                              + (f", matched despite a misread (listed as {match.entry.plate})"
                                 if match.kind == "fuzzy" else ""))
        if misread_of:
            reasons.append(f"may be a misread of {', '.join(misread_of[:3])} (one camera-confusion away, "
                           "seen in the look-back or far more often)")
        vehicles.append(Newcomer(0, row.plate, row.first.to_pydatetime(), row.last.to_pydatetime(), int(row.n),
                                 int(row.passes), int(row.cams), int(row.days), match, misread_of, reasons, []))
    kind_rank = {"exact": 0, "fuzzy": 1}
    vehicles.sort(key=lambda v: (kind_rank.get(v.watchlist.kind, 2) if v.watchlist else 2, bool(v.misread_of),
                                 -v.passes, v.first_seen, v.plate))
    if query.top is not None:
        vehicles = vehicles[: query.top]
    _attach_reads(store, vehicles, period)
    for rank, v in enumerate(vehicles, start=1):
        v.rank = rank
    return FirstSeenResult(query, lookback, in_period, vehicles)


def seen_in(store: Store, plates: set[str], window: Window) -> set[str]:
    """Which of these plates were read in the window: a day at a time, latest first, each day asking only
    about the plates not found yet (regulars are found on the first day; the rest shrink to a few)."""
    remaining = set(plates)
    found: set[str] = set()
    first, last = window.days()
    day = last
    con = store.con
    while remaining and day >= first:
        where = (f"day = DATE '{day}' AND ts BETWEEN {sql_ts(window.start)} AND {sql_ts(window.end)} AND plate IN ")
        if len(remaining) <= 300:  # literals: zone maps on plate skip the row groups that cannot hold them
            rows = con.execute(f"SELECT DISTINCT plate FROM reads WHERE {where}("
                               + ", ".join(sql_str(p) for p in sorted(remaining)) + ")").fetchall()
        else:
            con.register("_seen_in", pd.DataFrame({"plate": sorted(remaining)}))
            try:
                rows = con.execute(f"SELECT DISTINCT plate FROM reads WHERE {where}(SELECT plate FROM _seen_in)"
                                   ).fetchall()
            finally:
                con.unregister("_seen_in")
        hits = {r[0] for r in rows}
        found |= hits
        remaining -= hits
        day -= timedelta(days=1)
    return found


def _attach_reads(store: Store, vehicles: list[Any], window: Window, limit: int = 20) -> None:
    """Supporting reads for the listed vehicles (one query; at most ``limit`` each)."""
    shown = vehicles[:200]
    if not shown:
        return
    reads = plate_reads(store, [v.plate for v in shown], window)
    by_plate = {p: g for p, g in reads.groupby("plate", sort=False)}
    for v in shown:
        g = by_plate.get(v.plate)
        v.supporting = reads_json(g, limit) if g is not None else []


# --- night activity -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NightQuery:
    """Vehicles whose reads concentrate at night (local ``night_start`` to ``night_end`` o'clock)."""

    period: Period
    night_start: int = 22
    night_end: int = 6
    min_reads: int = 10
    min_nights: int = 3
    min_share: float = 0.5
    include_misreads: bool = False
    top: int | None = 50

    def __post_init__(self) -> None:
        for name in ("night_start", "night_end"):
            value = getattr(self, name)
            if not 0 <= value <= 23:
                raise BadInput(f"--{name.replace('_', '-')} must be an hour from 0 to 23, not {value}.")
        if self.night_start == self.night_end:
            raise BadInput("The night must start and end at different hours.")
        if self.min_reads < 1 or self.min_nights < 1:
            raise BadInput("--min-reads and --min-nights must be at least 1.")
        if not 0.0 <= self.min_share <= 1.0:
            raise BadInput(f"--min-share must be a share between 0 and 1, not {self.min_share}.")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")

    def night_sql(self, hour: str) -> str:
        if self.night_start > self.night_end:
            return f"({hour} >= {self.night_start} OR {hour} < {self.night_end})"
        return f"({hour} >= {self.night_start} AND {hour} < {self.night_end})"

    @property
    def label(self) -> str:
        return f"{self.night_start:02d}:00–{self.night_end:02d}:00"


@dataclass
class NightVehicle:
    rank: int
    plate: str
    night_share: float
    reads: int
    night_reads: int
    nights: int
    days: int
    night_cameras: int
    score: float
    pattern: str
    reasons: list[str]
    supporting: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "night_share": round(self.night_share, 4), "reads": self.reads,
            "night_reads": self.night_reads, "nights": self.nights, "days": self.days,
            "night_cameras": self.night_cameras, "score": round(self.score, 3), "pattern": self.pattern,
            "reasons": self.reasons, "reads_sample": self.supporting,
        }


@dataclass
class NightResult:
    query: NightQuery
    city_night_share: float
    vehicles_considered: int
    vehicles: list[NightVehicle]
    misreads_left_out: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.query.period.to_json(), "night": self.query.label,
            "city_night_share": round(self.city_night_share, 4), "min_reads": self.query.min_reads,
            "min_nights": self.query.min_nights, "min_share": self.query.min_share,
            "vehicles_considered": self.vehicles_considered, "misread_plates_left_out": self.misreads_left_out,
            "vehicles": [v.to_json() for v in self.vehicles],
        }


def night_active(store: Store, query: NightQuery) -> NightResult:
    """Vehicles whose activity concentrates at night, most marked first.

    The score is −log10 of the chance that a vehicle with this many reads would have this many or more
    at night if it drove like the city does (binomial, with the city's night share of reads in the
    period): many reads, nearly all at night, score highest.
    """
    window = query.period.window
    offset = int(utc_offset(window).total_seconds())
    local = f"(ts + INTERVAL {offset} SECOND)"
    night = query.night_sql(f"hour({local})")
    # a night runs across midnight: it is named by the date twelve hours earlier
    night_id = f"CAST({local} - INTERVAL 12 HOUR AS DATE)"
    # one pass, no DISTINCT: reads and night reads per plate, and the city's share
    sql = f"""
        WITH g AS MATERIALIZED (
            SELECT plate, count(*) AS n, count(*) FILTER (WHERE {night}) AS nn
            FROM reads WHERE {time_filter(window)} GROUP BY plate
        ), city AS (SELECT sum(nn)::DOUBLE / greatest(sum(n), 1) AS share, count(*) AS vehicles FROM g)
        SELECT g.*, city.share, city.vehicles FROM g, city
        WHERE g.n >= {int(query.min_reads)} AND g.nn > g.n * city.share
          AND g.nn >= g.n * {float(query.min_share)!r}
    """
    found = store.con.execute(sql).df()
    if not found.empty:
        # nights, days and cameras only for the vehicles that can still qualify
        found = found.merge(_night_detail(store, query, found["plate"].tolist(), night, night_id), on="plate")
        found = found[found["nights"] >= query.min_nights]
    ghosts: dict[str, tuple[str, int]] = {}
    if not found.empty and not query.include_misreads:
        # a night-shift taxi read a thousand times leaves misread "ghost" plates with its habits
        ghosts = misread_ghosts(store, found["plate"].tolist(), window)
        found = found[~found["plate"].isin(set(ghosts))]
    if found.empty:
        row = store.con.execute(
            f"SELECT count(*) FILTER (WHERE {night})::DOUBLE / greatest(count(*), 1) FROM reads "
            f"WHERE {time_filter(window)}").fetchall()[0]
        return NightResult(query, float(row[0] or 0.0), 0, [], len(ghosts))
    share = float(found["share"].iloc[0])
    considered = int(found["vehicles"].iloc[0])
    p0 = min(max(share, 1e-6), 1 - 1e-6)
    log_tail = binom.logsf(found["nn"].to_numpy() - 1, found["n"].to_numpy(), p0)
    found = found.assign(score=-log_tail / np.log(10), night_share=found["nn"] / found["n"])
    found = found.sort_values(["score", "night_share", "plate"], ascending=[False, False, True])
    if query.top is not None:
        found = found.head(query.top)
    reads = plate_reads(store, found["plate"].tolist(), window)
    by_plate = {p: g for p, g in reads.groupby("plate", sort=False)}
    vehicles = []
    for rank, row in enumerate(found.itertuples(index=False), start=1):
        g = by_plate.get(row.plate, reads.iloc[0:0])
        night_reads = g[_is_night(g["ts"], query)]
        sameness = route_sameness(night_reads)
        pattern = "regular" if sameness >= 0.5 else "roaming"
        reasons = [
            f"{row.nn} of {row.n} reads ({row.night_share:.0%}) between {query.label}; the city's share is {share:.0%}",
            f"active on {row.nights} night(s) and {row.days} day(s) in the period",
            (f"the same cameras night after night ({sameness:.0%} alike): a regular night route (night shift?)"
             if pattern == "regular" else
             f"different cameras from night to night ({row.night_cams} in all, {sameness:.0%} alike): roams"),
        ]
        vehicles.append(NightVehicle(rank, row.plate, float(row.night_share), int(row.n), int(row.nn), int(row.nights),
                                     int(row.days), int(row.night_cams), float(row.score), pattern, reasons,
                                     reads_json(night_reads, 10)))
    return NightResult(query, share, considered, vehicles, len(ghosts))


def _night_detail(store: Store, query: NightQuery, plates: list[str], night: str, night_id: str) -> pd.DataFrame:
    """Nights active, days seen and night cameras for some plates (literal plates prune row groups)."""
    window = query.period.window
    sql = (f"SELECT plate, count(DISTINCT {night_id}) FILTER (WHERE {night}) AS nights, "
           f"count(DISTINCT day) AS days, count(DISTINCT camera_id) FILTER (WHERE {night}) AS night_cams "
           f"FROM reads WHERE {time_filter(window)} AND plate IN ")
    if len(plates) <= 500:
        return store.con.execute(sql + "(" + ", ".join(sql_str(p) for p in plates) + ") GROUP BY plate").df()
    store.con.register("_night_plates", pd.DataFrame({"plate": plates}))
    try:
        return store.con.execute(sql + "(SELECT plate FROM _night_plates) GROUP BY plate").df()
    finally:
        store.con.unregister("_night_plates")


def _is_night(ts: pd.Series, query: NightQuery) -> np.ndarray:
    hours = np.array([to_local(t.to_pydatetime()).hour for t in ts], dtype=int)
    if query.night_start > query.night_end:
        return (hours >= query.night_start) | (hours < query.night_end)
    return (hours >= query.night_start) & (hours < query.night_end)


def route_sameness(night_reads: pd.DataFrame) -> float:
    """How alike the cameras of one night are to the next night's (mean Jaccard of consecutive nights)."""
    if night_reads.empty:
        return 0.0
    nights = [(to_local(t.to_pydatetime()) - timedelta(hours=12)).date() for t in night_reads["ts"]]
    sets = night_reads.assign(night=nights).groupby("night", sort=True)["camera_id"].agg(frozenset).tolist()
    if len(sets) < 2:
        return 1.0
    return float(np.mean([len(a & b) / len(a | b) for a, b in zip(sets[:-1], sets[1:], strict=True)]))


# --- loitering ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoiterQuery:
    """Vehicles that keep coming back to an area (its cameras) or circle within it, over a period.

    A *visit* is a run of reads at the area's cameras with no gap over ``visit_gap``. A visit *circles*
    when the vehicle passes one camera again after ``min_circle`` or more, or reads ``circle_reads`` times.
    """

    period: Period
    cameras: tuple[str, ...]
    min_visits: int = 3
    visit_gap: timedelta = timedelta(minutes=30)
    min_circle: timedelta = timedelta(minutes=3)
    circle_reads: int = 4
    top: int | None = 50

    def __post_init__(self) -> None:
        if not self.cameras:
            raise BadInput("The area has no cameras; choose a larger radius or another place.")
        if self.min_visits < 1:
            raise BadInput(f"--min-visits must be at least 1, not {self.min_visits}.")
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
    supporting: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "visits": self.visits, "days": self.days,
            "circling_visits": self.circling_visits, "reads": self.reads,
            "longest_visit_min": round(self.longest_visit_min, 1), "local_hours": self.hours,
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


def _visits(reads: pd.DataFrame, query: LoiterQuery) -> pd.DataFrame:
    """One row per visit: plate, start, minutes, reads, circles (bool)."""
    r = reads.sort_values(["plate", "ts"], kind="stable").reset_index(drop=True)
    t = r["ts"].to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6
    new_plate = np.concatenate([[True], r["plate"].to_numpy()[1:] != r["plate"].to_numpy()[:-1]])
    gap = np.concatenate([[np.inf], np.diff(t)])
    r["visit"] = np.cumsum(new_plate | (gap > query.visit_gap.total_seconds()))
    # a camera passed again after min_circle within one visit
    r = r.sort_values(["visit", "camera_id", "ts"], kind="stable")
    t2 = r["ts"].to_numpy().astype("datetime64[us]").astype(np.int64) / 1e6
    same = np.concatenate([[False], (r["visit"].to_numpy()[1:] == r["visit"].to_numpy()[:-1])
                           & (r["camera_id"].to_numpy()[1:] == r["camera_id"].to_numpy()[:-1])])
    again = same & (np.concatenate([[0.0], np.diff(t2)]) >= query.min_circle.total_seconds())
    r["again"] = again
    g = r.groupby("visit")
    visits = pd.DataFrame({
        "plate": g["plate"].first(), "start": g["ts"].min(), "end": g["ts"].max(), "reads": g.size(),
        "again": g["again"].any(),
    })
    visits["minutes"] = (visits["end"] - visits["start"]).dt.total_seconds() / 60.0
    visits["circles"] = visits["again"] | (visits["reads"] >= query.circle_reads)
    return visits.reset_index(drop=True)


def loitering(store: Store, query: LoiterQuery) -> LoiterResult:
    """Vehicles that keep coming back to the area or circle in it, most marked first.

    The score is how rare the vehicle's number of visits is among the vehicles the area saw (−log10 of
    the share with as many), plus one for each visit in which it circled. A vehicle that comes at the same
    hour on most days (a commute, a school run) is marked routine and its visits count half.
    """
    window = query.period.window
    reads = store.con.execute(
        f"SELECT plate, camera_id, ts, confidence FROM reads WHERE {time_filter(window)} "
        f"AND {_cameras_filter(query.cameras)}"
    ).df()
    if reads.empty:
        return LoiterResult(query, 0, [])
    visits = _visits(reads, query)
    per = visits.groupby("plate").agg(visits=("start", "size"), circling=("circles", "sum"),
                                      reads=("reads", "sum"), longest=("minutes", "max"))
    seen = len(per)
    counts = per["visits"].to_numpy()
    # share of the area's vehicles with at least this many visits
    sorted_counts = np.sort(counts)
    at_least = (seen - np.searchsorted(sorted_counts, counts, side="left")) / seen
    per["rarity"] = -np.log10(at_least)
    listed = per[(per["visits"] >= query.min_visits) | (per["circling"] >= 1)]
    visits = visits[visits["plate"].isin(listed.index)]
    local_start = visits["start"] + utc_offset(window)
    visits = visits.assign(hour=local_start.dt.hour, day=local_start.dt.date)
    # routine: three or more visits, most of them starting in the same local hour, never circling
    hour_counts = visits.groupby(["plate", "hour"]).size()
    top_hour = hour_counts.groupby(level=0).max()
    listed = listed.assign(
        days=visits.groupby("plate")["day"].nunique(),
        top_hour=hour_counts.groupby(level=0).idxmax().map(lambda ph: ph[1]),
        routine=(listed["visits"] >= 3) & (top_hour / listed["visits"] >= 0.7) & (listed["circling"] == 0),
    )
    listed["score"] = listed["rarity"] * np.where(listed["routine"], 0.5, 1.0) + listed["circling"]
    listed = listed.assign(_neg=-listed["score"], _negv=-listed["visits"])
    listed = listed.sort_index(kind="stable").sort_values(["_neg", "_negv"], kind="stable")
    if query.top is not None:
        listed = listed.head(query.top)
    hours = visits.groupby("plate")["hour"].agg(lambda h: sorted(set(h)))
    out: list[Loiterer] = []
    for plate, row in listed.iterrows():
        reasons = [f"{int(row.visits)} visit(s) to the area on {int(row.days)} day(s); "
                   f"{at_least_text(float(row.rarity))} of the vehicles seen here came as often"]
        if row.circling:
            reasons.append(f"circled or lingered in {int(row.circling)} visit(s) (passed a camera again, or "
                           f"{query.circle_reads}+ reads); longest visit {row.longest:.0f} min")
        if row.routine:
            reasons.append(f"comes at the same hour ({int(row.top_hour):02d}h) on most visits: looks like a routine")
        out.append(Loiterer(0, str(plate), int(row.visits), int(row.days), int(row.circling), int(row.reads),
                            float(row.longest), hours[plate], float(row.score), bool(row.routine), reasons))
    for rank, v in enumerate(out, start=1):
        v.rank = rank
    by_plate = {p: g for p, g in reads[reads["plate"].isin([v.plate for v in out])].groupby("plate")}
    for v in out:
        g = by_plate[v.plate].sort_values("ts")
        v.supporting = reads_json(g.assign(plate_raw=None), 20)
    return LoiterResult(query, seen, out)


def at_least_text(rarity: float) -> str:
    share = 10 ** (-rarity)
    return f"{share:.1%}" if share >= 0.001 else "under 0.1%"


__all__ = [
    "FirstSeenQuery", "FirstSeenResult", "Newcomer", "first_seen",
    "NightQuery", "NightResult", "NightVehicle", "night_active",
    "LoiterQuery", "LoiterResult", "Loiterer", "loitering",
]
