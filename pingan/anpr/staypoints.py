"""Stay points (落脚点): where a vehicle's trips end and it stays — its likely home, workplace, hideouts.

A *stay* is the time between the end of one trip and the start of the next, when it is at least
``min_dwell`` long. The vehicle was parked somewhere past the last camera of the trip; when the next
trip starts at a camera near that one, the stay is placed between the two and called confirmed.
Stays are gathered into places (cameras within ``radius_km`` of each other), and each place is described
by its visits, hours of dwell, nights spent (a stay across local 03:00) and weekday working hours spent.
The place with the most nights is the likely home; the one with the most weekday daytime hours the
likely workplace; other places with repeated long stays are places it keeps going to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.tactic_common import TRIP_GAP, Period, plate_reads, read_json, trip_ids
from pingan.errors import BadInput
from pingan.geo import haversine_km
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local


@dataclass(frozen=True)
class StayQuery:
    plate: str
    period: Period
    min_dwell: timedelta = timedelta(hours=1)
    trip_gap: timedelta = TRIP_GAP
    radius_km: float = 1.0
    top: int | None = None

    def __post_init__(self) -> None:
        if self.min_dwell < self.trip_gap:
            raise BadInput(f"--min-dwell ({self.min_dwell}) must be at least the trip gap ({self.trip_gap}).")
        if not self.radius_km > 0:
            raise BadInput(f"--radius-km must be more than 0, not {self.radius_km}.")


@dataclass
class Stay:
    arrive: pd.Series  # the read that ended the trip
    leave: pd.Series  # the read that started the next one
    lon: float
    lat: float
    confirmed: bool

    @property
    def hours(self) -> float:
        return (self.leave.ts - self.arrive.ts).total_seconds() / 3600.0

    def overnight(self) -> bool:
        """Does the stay cover local 03:00?"""
        a, b = to_local(self.arrive.ts.to_pydatetime()), to_local(self.leave.ts.to_pydatetime())
        three = datetime.combine(a.date(), time(3), tzinfo=a.tzinfo)
        if three < a:
            three += timedelta(days=1)
        return three <= b

    def working_hours(self) -> float:
        """Hours of the stay inside weekday 09:00–17:00 (local)."""
        a, b = to_local(self.arrive.ts.to_pydatetime()), to_local(self.leave.ts.to_pydatetime())
        total, day = 0.0, a.date()
        while day <= b.date():
            if day.weekday() < 5:
                lo = max(a, datetime.combine(day, time(9), tzinfo=a.tzinfo))
                hi = min(b, datetime.combine(day, time(17), tzinfo=a.tzinfo))
                total += max(0.0, (hi - lo).total_seconds() / 3600.0)
            day += timedelta(days=1)
        return total


@dataclass
class StayPoint:
    rank: int
    lon: float
    lat: float
    visits: int
    dwell_hours: float
    overnights: int
    working_hours: float
    label: str
    cameras: list[str]
    first: datetime
    last: datetime
    arrive_hhmm: str
    leave_hhmm: str
    reasons: list[str]
    reads: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "lon": round(self.lon, 6), "lat": round(self.lat, 6), "visits": self.visits,
            "dwell_hours": round(self.dwell_hours, 2), "overnights": self.overnights,
            "working_hours": round(self.working_hours, 2), "label": self.label, "cameras": self.cameras,
            "first_visit": iso_local(self.first), "last_visit": iso_local(self.last),
            "typical_arrival": self.arrive_hhmm, "typical_departure": self.leave_hhmm,
            "reasons": self.reasons, "reads": self.reads,
        }


@dataclass
class StayPointsResult:
    query: StayQuery
    reads: int
    trips: int
    stays: int
    points: list[StayPoint]
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "plate": self.query.plate, "period": self.query.period.to_json(),
            "min_dwell_hours": self.query.min_dwell.total_seconds() / 3600, "reads": self.reads,
            "trips": self.trips, "stays": self.stays, "points": [p.to_json() for p in self.points],
            "reasons": self.reasons,
        }


def find_stays(reads: pd.DataFrame, query: StayQuery) -> list[Stay]:
    """Stays between consecutive trips of one plate's time-ordered reads."""
    if len(reads) < 2:
        return []
    trips = trip_ids(reads["ts"], query.trip_gap)
    ends = np.flatnonzero(np.diff(trips) > 0)  # index of the last read of each trip but the last
    stays = []
    for i in ends:
        arrive, leave = reads.iloc[i], reads.iloc[i + 1]
        if leave.ts - arrive.ts < query.min_dwell:
            continue
        km = float(haversine_km(arrive.lon, arrive.lat, leave.lon, leave.lat))
        confirmed = km <= query.radius_km
        lon, lat = ((arrive.lon + leave.lon) / 2, (arrive.lat + leave.lat) / 2) if confirmed else (arrive.lon, arrive.lat)
        stays.append(Stay(arrive, leave, float(lon), float(lat), confirmed))
    return stays


def _cluster(stays: list[Stay], radius_km: float) -> list[list[Stay]]:
    """Stays grouped into places: greedy, busiest camera first, each place a circle of ``radius_km``."""
    by_cam: dict[str, list[Stay]] = {}
    for s in stays:
        by_cam.setdefault(s.arrive.camera_id, []).append(s)
    centres: list[tuple[float, float]] = []
    groups: list[list[Stay]] = []
    for _, group in sorted(by_cam.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lon = float(np.mean([s.lon for s in group]))
        lat = float(np.mean([s.lat for s in group]))
        for k, (clon, clat) in enumerate(centres):
            if float(haversine_km(lon, lat, clon, clat)) <= radius_km:
                groups[k].extend(group)
                break
        else:
            centres.append((lon, lat))
            groups.append(list(group))
    return groups


def _median_hhmm(times: list[datetime]) -> str:
    minutes = sorted(t.hour * 60 + t.minute for t in times)
    m = minutes[len(minutes) // 2]
    return f"{m // 60:02d}:{m % 60:02d}"


def stay_points(store: Store, query: StayQuery) -> StayPointsResult:
    """Where the vehicle stays, most important (most hours spent) first, with reasons and reads."""
    reads = plate_reads(store, [query.plate], query.period.window)
    reads = reads.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    if reads.empty:
        return StayPointsResult(query, 0, 0, 0, [], ["no reads of this plate in the period"])
    n_trips = int(trip_ids(reads["ts"], query.trip_gap).max()) + 1
    stays = find_stays(reads, query)
    points: list[StayPoint] = []
    for group in _cluster(stays, query.radius_km):
        hours = sum(s.hours for s in group)
        nights = sum(s.overnight() for s in group)
        work = sum(s.working_hours() for s in group)
        cams = list(dict.fromkeys([s.arrive.camera_id for s in group] + [s.leave.camera_id for s in group]))
        arrivals = [to_local(s.arrive.ts.to_pydatetime()) for s in group]
        departures = [to_local(s.leave.ts.to_pydatetime()) for s in group]
        supporting = []
        for s in sorted(group, key=lambda s: s.arrive.ts)[:20]:
            supporting.append({**read_json(s.arrive), "role": "arrive"})
            supporting.append({**read_json(s.leave), "role": "leave"})
        points.append(StayPoint(
            rank=0, lon=float(np.mean([s.lon for s in group])), lat=float(np.mean([s.lat for s in group])),
            visits=len(group), dwell_hours=hours, overnights=nights, working_hours=work, label="",
            cameras=cams, first=min(s.arrive.ts for s in group).to_pydatetime(),
            last=max(s.leave.ts for s in group).to_pydatetime(), arrive_hhmm=_median_hhmm(arrivals),
            leave_hhmm=_median_hhmm(departures), reasons=[], reads=supporting,
        ))
    points.sort(key=lambda p: (-p.dwell_hours, -p.visits, p.cameras[0]))
    _label(points)
    for rank, p in enumerate(points, start=1):
        p.rank = rank
        p.reasons = _reasons(p, query)
    if query.top is not None:
        points = points[: query.top]
    reasons = [f"{len(reads)} read(s) in {n_trips} trip(s); {len(stays)} stay(s) of "
               f"{query.min_dwell.total_seconds() / 3600:g} h or more between trips, at {len(points)} place(s)"]
    return StayPointsResult(query, len(reads), n_trips, len(stays), points, reasons)


def _label(points: list[StayPoint]) -> None:
    home = max((p for p in points if p.overnights >= 2), key=lambda p: (p.overnights, p.dwell_hours), default=None)
    if home is not None:
        home.label = "home"
    work = max((p for p in points if p is not home and p.working_hours >= 8), key=lambda p: p.working_hours,
               default=None)
    if work is not None:
        work.label = "workplace"
    for p in points:
        if p.label:
            continue
        if p.overnights >= 1:
            p.label = "overnight stop"
        elif p.visits >= 2:
            p.label = "frequent stop"
        else:
            p.label = "stop"


def _reasons(p: StayPoint, query: StayQuery) -> list[str]:
    out = [f"{p.visits} stay(s) totalling {p.dwell_hours:.1f} h near camera(s) {', '.join(p.cameras[:4])}"
           + (" …" if len(p.cameras) > 4 else "")]
    if p.overnights:
        out.append(f"spent {p.overnights} night(s) here")
    if p.working_hours >= 1:
        out.append(f"{p.working_hours:.0f} weekday working hour(s) here")
    out.append(f"typically arrives {p.arrive_hhmm}, leaves {p.leave_hhmm}")
    if p.label == "home":
        out.append("most nights are spent here: likely home")
    elif p.label == "workplace":
        out.append("most weekday working hours are spent here: likely workplace")
    return out
