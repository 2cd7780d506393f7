"""Trips between zones: a columnar container, tours built from stops, rush-hour slowing, no double booking.

Times are seconds since local midnight of the first simulated day (``period seconds``). A trip's
``factor`` scales the free-flow time of its route: the driver's habit, a little chance, and the
congestion of the hour on the urban part of the route.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from pingan.sim.arrays import cummax_by_group, exclusive_cumsum_by_group, ragged_index
from pingan.sim.routes import RouteTable

DAY_S = 86_400.0
#: The shortest stop between two trips of one vehicle (parking, getting out, getting back in).
MIN_GAP_S = 90.0

# Congestion multiplier on urban roads by hour of day (weekday, weekend).
_WEEKDAY = np.array([0.90, 0.88, 0.88, 0.88, 0.90, 0.95, 1.05, 1.35, 1.40, 1.18, 1.10, 1.10,
                     1.12, 1.10, 1.10, 1.12, 1.20, 1.40, 1.42, 1.22, 1.10, 1.02, 0.96, 0.92])
_WEEKEND = np.array([0.92, 0.90, 0.88, 0.88, 0.88, 0.90, 0.92, 0.98, 1.05, 1.12, 1.18, 1.20,
                     1.18, 1.15, 1.15, 1.18, 1.20, 1.20, 1.18, 1.12, 1.05, 1.00, 0.96, 0.94])


@dataclass
class Trips:
    """One row per trip."""

    vehicle: np.ndarray
    origin: np.ndarray
    dest: np.ndarray
    depart: np.ndarray
    factor: np.ndarray
    tour: np.ndarray
    """Trips of one tour leave home and come back together; whole tours are dropped, never single trips."""
    fixed: np.ndarray
    """Planted or copied trips whose times must not move."""
    plant: np.ndarray
    """Index of the planted offence the trip belongs to, or -1."""
    role: np.ndarray
    """For planted trips: 1 to the scene, 2 back from it, 3 an accomplice's; 0 otherwise."""
    stop_s: np.ndarray
    """An unplanned stop on the way (petrol, a parcel, a friend), in seconds; 0 for most trips."""
    stop_at: np.ndarray
    """Where on the route the stop happens, as a share of the free-flow time."""

    @staticmethod
    def empty() -> Trips:
        return Trips(*(np.zeros(0, dtype=dt) for dt in _DTYPES))

    @staticmethod
    def make(vehicle: np.ndarray, origin: np.ndarray, dest: np.ndarray, depart: np.ndarray, factor: np.ndarray,
             tour: np.ndarray, fixed: bool = False, plant: int | np.ndarray = -1, role: int | np.ndarray = 0) -> Trips:
        n = len(vehicle)
        return Trips(
            vehicle=np.asarray(vehicle, dtype=np.int32), origin=np.asarray(origin, dtype=np.int32),
            dest=np.asarray(dest, dtype=np.int32), depart=np.asarray(depart, dtype=np.float64),
            factor=np.asarray(factor, dtype=np.float32), tour=np.asarray(tour, dtype=np.int64),
            fixed=np.full(n, fixed), plant=np.broadcast_to(np.asarray(plant, dtype=np.int32), (n,)).copy(),
            role=np.broadcast_to(np.asarray(role, dtype=np.int8), (n,)).copy(),
            stop_s=np.zeros(n, dtype=np.float32), stop_at=np.zeros(n, dtype=np.float32),
        )

    def __len__(self) -> int:
        return len(self.vehicle)

    def take(self, index: np.ndarray) -> Trips:
        return Trips(*(getattr(self, f.name)[index] for f in fields(self)))

    @staticmethod
    def concat(parts: list[Trips]) -> Trips:
        parts = [p for p in parts if len(p)]
        if not parts:
            return Trips.empty()
        return Trips(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Trips)))

    def seconds(self, routes: RouteTable) -> np.ndarray:
        """How long each trip takes."""
        return routes.seconds[self.origin, self.dest] * self.factor + self.stop_s


_DTYPES = (np.int32, np.int32, np.int32, np.float64, np.float32, np.int64, bool, np.int32, np.int8, np.float32,
           np.float32)


def congestion(depart_s: np.ndarray, weekday: bool, urban_share: np.ndarray) -> np.ndarray:
    """Rush-hour multiplier of a trip's travel time: mostly on its urban part, a little elsewhere."""
    hour = ((np.asarray(depart_s) % DAY_S) // 3600).astype(np.int64)
    level = (_WEEKDAY if weekday else _WEEKEND)[hour]
    return 1.0 + (level - 1.0) * (0.25 + 0.75 * urban_share)


def add_stops(rng: np.random.Generator, trips: Trips, share: float = 0.12) -> None:
    """Give a share of the trips an unplanned stop of 2–12 minutes somewhere along the way."""
    n = len(trips)
    stopping = rng.random(n) < share
    trips.stop_s = np.where(stopping, rng.uniform(120.0, 720.0, n), 0.0).astype(np.float32)
    trips.stop_at = rng.random(n).astype(np.float32)


def trip_factor(rng: np.random.Generator, routes: RouteTable, origin: np.ndarray, dest: np.ndarray,
                depart: np.ndarray, habit: np.ndarray, weekday: bool) -> np.ndarray:
    """Travel-time factor of each trip: habit × chance × congestion at its hour."""
    chance = rng.lognormal(0.0, 0.07, len(origin))
    share = routes.urban_share[origin, dest]
    return (habit * chance * congestion(depart, weekday, share)).astype(np.float32)


def build_tours(rng: np.random.Generator, routes: RouteTable, vehicle: np.ndarray, home: np.ndarray,
                stops: np.ndarray, n_stops: np.ndarray, start: np.ndarray, dwell: np.ndarray,
                habit: np.ndarray, weekday: bool, first_tour: int) -> Trips:
    """Trips of home-based tours: home → stop 1 → … → stop k → home, each stop with its dwell.

    ``stops`` and ``dwell`` are (tours × max stops); only the first ``n_stops`` of a row count.
    """
    legs = np.asarray(n_stops, dtype=np.int64) + 1
    tour, leg = ragged_index(legs)
    last = leg == n_stops[tour]
    prev = np.where(leg == 0, home[tour], stops[tour, np.maximum(leg - 1, 0)])
    nxt = np.where(last, home[tour], stops[tour, np.minimum(leg, stops.shape[1] - 1)])
    rough = trip_factor(rng, routes, prev, nxt, start[tour], habit[tour], weekday)
    stay = np.where(last, 0.0, dwell[tour, np.minimum(leg, dwell.shape[1] - 1)])
    step = routes.seconds[prev, nxt] * rough + stay
    depart = start[tour] + exclusive_cumsum_by_group(step, tour)
    factor = trip_factor(rng, routes, prev, nxt, depart, habit[tour], weekday)
    return Trips.make(vehicle[tour], prev, nxt, depart, factor, tour + first_tour)


def no_overlap(trips: Trips, routes: RouteTable, busy_until: np.ndarray,
               last_zone: np.ndarray | None = None) -> tuple[Trips, np.ndarray]:
    """Trips with departures pushed back so that a vehicle never starts a trip before ending the last.

    A vehicle drives its tours one after the other, in the order they were meant to start: a tour
    (home → stops → home) is finished before the next begins, even when pushing it back makes it end
    after the next one was meant to start; interleaving their trips would make the car leave home while
    it is still at a shop across town. ``trips`` must hold each tour's trips together and in order, as
    every builder makes them. A trip that starts somewhere other than where the vehicle's last trip
    ended (a visitor coming back in at another entrance) first needs the time to get there.

    ``busy_until`` holds, per vehicle, when its last trip (from earlier days) ends, and ``last_zone``
    (optional) where it ended (-1: anywhere); both are updated. Returns the trips sorted by vehicle and
    tour start, and the planned departure before the push.
    """
    n = len(trips)
    if n == 0:
        return trips, trips.depart.copy()
    vehicle, tour = trips.vehicle, trips.tour
    run = np.flatnonzero(np.r_[True, (vehicle[1:] != vehicle[:-1]) | (tour[1:] != tour[:-1])])
    tour_start = np.repeat(np.minimum.reduceat(trips.depart, run), np.diff(np.r_[run, n]))
    # One int64 key (vehicle, then tour start to the second) sorts faster than a lexsort of two columns;
    # the stable sort keeps each tour's trips together and in order, even when two tours start in one second.
    key = vehicle.astype(np.int64) << 32 | (tour_start + 30 * DAY_S).astype(np.int64)
    trips = trips.take(np.argsort(key, kind="stable"))
    planned = trips.depart.copy()
    vehicle = trips.vehicle
    first = np.r_[True, vehicle[1:] != vehicle[:-1]]
    last = np.r_[vehicle[1:] != vehicle[:-1], True]
    seconds = trips.seconds(routes)
    # Getting from where the last trip ended to where the next starts, unseen (0 when it starts there).
    elsewhere = np.r_[(trips.dest[:-1] != trips.origin[1:]) & ~last[:-1], False]
    reposition = np.zeros(n)
    reposition[elsewhere] = routes.seconds[trips.dest[:-1][elsewhere[:-1]], trips.origin[1:][elsewhere[:-1]]]
    x = trips.depart.copy()
    ready = busy_until[vehicle[first]] + MIN_GAP_S
    if last_zone is not None:
        was = last_zone[vehicle[first]]
        moved = (was >= 0) & (was != trips.origin[first])
        ready[moved] += routes.seconds[was[moved], trips.origin[first][moved]]
    x[first] = np.maximum(x[first], ready)
    step = seconds + MIN_GAP_S + reposition
    before = exclusive_cumsum_by_group(step, vehicle)
    trips.depart = cummax_by_group(x - before, vehicle) + before
    end = trips.depart + seconds
    busy_until[vehicle[last]] = end[last]
    if last_zone is not None:
        last_zone[vehicle[last]] = trips.dest[last]
    return trips, planned


def drop_blocked_tours(trips: Trips, routes: RouteTable, blocks: list[tuple[int, float, float]],
                       margin_s: float = 1800.0) -> Trips:
    """Trips without the ordinary tours that would clash with a vehicle's planted trips.

    A tour is dropped whole (its vehicle stays home), so nobody teleports.
    """
    if not blocks or len(trips) == 0:
        return trips
    blocked = np.array(sorted({v for v, _, _ in blocks}))
    rows = np.flatnonzero(np.isin(trips.vehicle, blocked) & ~trips.fixed)
    if len(rows) == 0:
        return trips
    end = trips.depart[rows] + trips.seconds(routes)[rows]
    spans: dict[int, list[float]] = {}
    for r, e in zip(rows, end, strict=True):
        tour = int(trips.tour[r])
        span = spans.setdefault(tour, [float(trips.depart[r]), float(e), float(trips.vehicle[r])])
        span[0], span[1] = min(span[0], float(trips.depart[r])), max(span[1], float(e))
    by_vehicle: dict[int, list[tuple[float, float]]] = {}
    for v, b0, b1 in blocks:
        by_vehicle.setdefault(v, []).append((b0 - margin_s, b1 + margin_s))
    dropped = {tour for tour, (t0, t1, v) in spans.items()
               if any(t0 < b1 and t1 > b0 for b0, b1 in by_vehicle[int(v)])}
    if not dropped:
        return trips
    return trips.take(np.flatnonzero(~np.isin(trips.tour, np.array(sorted(dropped)))))


def settle(trips: Trips, routes: RouteTable, busy_until: np.ndarray, last_zone: np.ndarray | None = None) -> Trips:
    """:func:`no_overlap`, making sure planted (fixed) trips keep their exact times.

    When an earlier ordinary tour would push a fixed trip back, that tour is dropped instead.
    """
    for _ in range(5):
        busy = busy_until.copy()
        zone = last_zone.copy() if last_zone is not None else None
        out, planned = no_overlap(trips, routes, busy, zone)
        moved = out.fixed & (np.abs(out.depart - planned) > 1e-3)
        if not moved.any():
            busy_until[:] = busy
            if last_zone is not None and zone is not None:
                last_zone[:] = zone
            return out
        out.depart = planned
        bad = np.unique(out.vehicle[moved])
        first_fixed = {int(v): float(planned[moved & (out.vehicle == v)].min()) for v in bad}
        early = np.zeros(len(out), dtype=bool)
        for v, t in first_fixed.items():
            early |= (out.vehicle == v) & ~out.fixed & (planned < t)
        if not early.any():
            busy_until[bad] = -np.inf  # yesterday's late trip: let the planted trip win
            if last_zone is not None:
                last_zone[bad] = -1
        tours = np.unique(out.tour[early])
        trips = out.take(np.flatnonzero(~(np.isin(out.tour, tours) & ~out.fixed)))
    busy = busy_until.copy()
    zone = last_zone.copy() if last_zone is not None else None
    out, _ = no_overlap(trips, routes, busy, zone)
    busy_until[:] = busy
    if last_zone is not None and zone is not None:
        last_zone[:] = zone
    return out
