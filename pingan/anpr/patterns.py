"""Patterns of a whole fleet over a period: first appearance (首次入城), night activity (昼伏夜出),
and vehicles that keep coming back to an area or circle within it (loitering, in
:mod:`pingan.anpr.loitering`, re-exported here).

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
from pingan.anpr.loitering import LoiterQuery, Loiterer, LoiterResult, loitering
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
from pingan.anpr.watchlist import Match, match_seen_plates
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
    _, listed = match_seen_plates(store, new["plate"].tolist(), valid_at=period.start, fuzzy=query.fuzzy)
    vehicles: list[Newcomer] = []
    for row in new.itertuples(index=False):
        matches = listed.get(row.plate, [])
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


__all__ = [
    "FirstSeenQuery", "FirstSeenResult", "Newcomer", "first_seen",
    "NightQuery", "NightResult", "NightVehicle", "night_active",
    "LoiterQuery", "LoiterResult", "Loiterer", "loitering",
]
