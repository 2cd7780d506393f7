"""A day of ordinary driving: commutes, errands, deliveries, taxis, night shifts, visitors.

Each behaviour class has its own day: commuters leave home around 07:40 on weekdays and come back
around 17:40 (with jitter), sometimes via a shop, sometimes out again in the evening; weekends bring
leisure trips. Errand drivers go out mid-morning and afternoon; vans and trucks make delivery rounds;
taxis run day or night shifts of many short trips; night workers leave at 22:30 and return before
dawn; night owls go out late. Destinations follow gravity models (shops, friends, businesses nearby
are likelier). Visitors enter at a county entrance and either cross the county or stay a while.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pingan.sim.arrays import RowSampler
from pingan.sim.network import NodeKind
from pingan.sim.population import Behaviour, Population, gravity
from pingan.sim.platebook import VEHICLE_TYPES
from pingan.sim.routes import RouteTable, Zones
from pingan.sim.trips import DAY_S, Trips, add_stops, build_tours, trip_factor

H = 3600.0
MIN = 60.0


@dataclass
class Destinations:
    """Where people go: gravity samplers over zones, one per kind of trip."""

    shop: RowSampler
    social: RowSampler
    business: RowSampler
    taxi: RowSampler
    visit: RowSampler
    entrances: np.ndarray

    @staticmethod
    def for_zones(zones: Zones) -> Destinations:
        return Destinations(
            shop=gravity(zones, zones.shop, 5.0),
            social=gravity(zones, zones.home, 8.0),
            business=gravity(zones, zones.job + zones.shop, 14.0),
            taxi=gravity(zones, zones.shop + zones.home, 4.0),
            visit=gravity(zones, zones.job + zones.shop, 30.0),
            entrances=zones.of_kind(NodeKind.ENTRANCE),
        )


class _Day:
    """Builds the tours of one day; keeps the tour counter."""

    def __init__(self, rng: np.random.Generator, day: int, weekday: bool, pop: Population, routes: RouteTable,
                 dest: Destinations, first_tour: int) -> None:
        self.rng, self.day, self.weekday, self.pop, self.routes, self.dest = rng, day, weekday, pop, routes, dest
        self.next_tour = first_tour
        self.parts: list[Trips] = []
        self.t0 = day * DAY_S

    def hours(self, mean: float, sd: float, lo: float, hi: float, n: int) -> np.ndarray:
        return self.t0 + np.clip(self.rng.normal(mean, sd, n), lo, hi) * H

    def pick(self, vehicles: np.ndarray, p: float) -> np.ndarray:
        return vehicles[self.rng.random(len(vehicles)) < p]

    def tours(self, vehicles: np.ndarray, start: np.ndarray, n_stops: np.ndarray,
              sampler: RowSampler | Callable[[np.ndarray], np.ndarray], dwell_min: tuple[float, float],
              fixed_first: np.ndarray | None = None, first_dwell: np.ndarray | None = None,
              home: np.ndarray | None = None) -> None:
        """Home-based tours; stop j is drawn from the sampler around stop j-1 (or home)."""
        m = len(vehicles)
        if m == 0:
            return
        k = int(max(n_stops.max(), 1))
        home = self.pop.home[vehicles] if home is None else home
        stops = np.zeros((m, k), dtype=np.int64)
        prev = home
        for j in range(k):
            if j == 0 and fixed_first is not None:
                stops[:, 0] = fixed_first
            else:
                stops[:, j] = sampler(prev) if callable(sampler) else sampler.sample(self.rng, prev)
            prev = stops[:, j]
        dwell = self.rng.uniform(dwell_min[0] * MIN, dwell_min[1] * MIN, (m, k))
        if first_dwell is not None:
            dwell[:, 0] = first_dwell
        trips = build_tours(self.rng, self.routes, vehicles, home, stops, n_stops, start, dwell,
                            self.pop.speed[vehicles], self.weekday, self.next_tour)
        self.next_tour += m
        self.parts.append(trips)

    def shop_or_social(self, share_shop: float) -> Callable[[np.ndarray], np.ndarray]:
        def sample(prev: np.ndarray) -> np.ndarray:
            shop = self.dest.shop.sample(self.rng, prev)
            social = self.dest.social.sample(self.rng, prev)
            return np.where(self.rng.random(len(prev)) < share_shop, shop, social)

        return sample


def daily_trips(rng: np.random.Generator, day: int, weekday: bool, pop: Population,
                routes: RouteTable, dest: Destinations, through_share: float, first_tour: int) -> Trips:
    """Every ordinary trip that starts on ``day`` (before any planted trips or fixes)."""
    d = _Day(rng, day, weekday, pop, routes, dest, first_tour)
    active = np.flatnonzero((pop.behaviour != Behaviour.VISITOR) & (pop.active_from <= day))
    by = {b: active[pop.behaviour[active] == b] for b in Behaviour}
    _commuters(d, by[Behaviour.COMMUTER])
    _errands(d, by[Behaviour.ERRANDS])
    _commercial(d, by[Behaviour.COMMERCIAL])
    _taxis(d, by[Behaviour.TAXI])
    _night_workers(d, by[Behaviour.NIGHT_WORKER])
    _night_owls(d, by[Behaviour.NIGHT_OWL])
    rare = d.pick(by[Behaviour.RARE], 0.22)
    d.tours(rare, d.hours(11, 2.5, 7, 20, len(rare)), np.ones(len(rare), dtype=np.int64), dest.shop, (20, 120))
    _visitors(d, through_share)
    trips = Trips.concat(d.parts)
    add_stops(rng, trips)
    return trips


def _commuters(d: _Day, commuters: np.ndarray) -> None:
    rng, routes, pop = d.rng, d.routes, d.pop
    if d.weekday:
        v = d.pick(commuters, 0.93)
        start = d.hours(7.6, 0.45, 5.5, 10.5, len(v))
        back = d.hours(17.6, 0.6, 15.0, 21.5, len(v))
        home, work = pop.home[v], pop.work[v]
        at_work = back - (start + routes.seconds[home, work] * pop.speed[v])
        n_stops = np.where(rng.random(len(v)) < 0.2, 2, 1)
        d.tours(v, start, n_stops, d.dest.shop, (10, 40), fixed_first=work, first_dwell=np.maximum(at_work, H))
        evening = d.pick(commuters, 0.22)
        d.tours(evening, d.hours(19.6, 0.8, 18.0, 23.0, len(evening)), np.ones(len(evening), dtype=np.int64),
                d.shop_or_social(0.6), (15, 100))
    else:
        v = d.pick(commuters, 0.75)
        morning = d.pick(v, 0.85)
        d.tours(morning, d.t0 + rng.uniform(8.5, 12.5, len(morning)) * H, rng.integers(1, 3, len(morning)),
                d.shop_or_social(0.6), (20, 180))
        afternoon = d.pick(v, 0.45)
        d.tours(afternoon, d.t0 + rng.uniform(14.0, 19.5, len(afternoon)) * H,
                np.ones(len(afternoon), dtype=np.int64), d.shop_or_social(0.5), (20, 150))
    late = d.pick(commuters, 0.025 if d.weekday else 0.05)
    d.tours(late, d.t0 + rng.uniform(22.0, 25.5, len(late)) * H, np.ones(len(late), dtype=np.int64),
            d.dest.social, (20, 120))


def _errands(d: _Day, drivers: np.ndarray) -> None:
    rng = d.rng
    one = d.pick(drivers, 0.7)
    d.tours(one, d.hours(9.5, 1.0, 7.0, 12.0, len(one)), rng.integers(1, 3, len(one)), d.dest.shop, (15, 120))
    two = d.pick(drivers, 0.5)
    d.tours(two, d.hours(14.8, 1.2, 12.5, 17.5, len(two)), rng.integers(1, 3, len(two)), d.dest.shop, (15, 120))
    three = d.pick(drivers, 0.18)
    d.tours(three, d.hours(19.3, 0.7, 18.0, 22.0, len(three)), np.ones(len(three), dtype=np.int64),
            d.shop_or_social(0.5), (15, 90))


def _commercial(d: _Day, vans: np.ndarray) -> None:
    v = d.pick(vans, 0.9 if d.weekday else 0.4)
    d.tours(v, d.hours(8.2, 0.6, 6.0, 11.0, len(v)), d.rng.integers(3, 9, len(v)), d.dest.business, (8, 50))


def _taxis(d: _Day, taxis: np.ndarray) -> None:
    night = d.pop.night_shift[taxis]
    day_shift = d.pick(taxis[~night], 0.9)
    d.tours(day_shift, d.hours(7.0, 0.5, 5.5, 9.0, len(day_shift)), d.rng.integers(12, 25, len(day_shift)),
            d.dest.taxi, (2, 18))
    night_shift = d.pick(taxis[night], 0.85)
    d.tours(night_shift, d.hours(18.5, 0.5, 17.0, 20.0, len(night_shift)),
            d.rng.integers(10, 21, len(night_shift)), d.dest.taxi, (2, 20))


def _night_workers(d: _Day, workers: np.ndarray) -> None:
    pop, routes = d.pop, d.routes
    v = d.pick(workers, 0.8 if d.weekday else 0.5)
    start = d.hours(22.5, 0.3, 21.5, 23.5, len(v))
    back = d.hours(28.5, 0.4, 27.0, 29.5, len(v))
    at_work = back - (start + routes.seconds[pop.home[v], pop.work[v]] * pop.speed[v])
    d.tours(v, start, np.ones(len(v), dtype=np.int64), d.dest.shop, (0, 1),
            fixed_first=pop.work[v], first_dwell=np.maximum(at_work, H))
    errand = d.pick(workers, 0.25)
    d.tours(errand, d.hours(14.5, 1.0, 12.0, 17.0, len(errand)), np.ones(len(errand), dtype=np.int64),
            d.dest.shop, (15, 90))


def _night_owls(d: _Day, owls: np.ndarray) -> None:
    v = d.pick(owls, 0.8)
    d.tours(v, d.hours(22.6, 1.0, 20.5, 26.5, len(v)), d.rng.integers(1, 3, len(v)), d.shop_or_social(0.3),
            (30, 150))
    day = d.pick(owls, 0.25)
    d.tours(day, d.hours(15.0, 2.0, 10.0, 19.0, len(day)), np.ones(len(day), dtype=np.int64), d.dest.shop, (20, 90))


def _visitors(d: _Day, through_share: float) -> None:
    rng, pop = d.rng, d.pop
    pool = pop.visitors()
    n_today = min(len(pool), round(through_share * pop.n_residents * (1.0 if d.weekday else 0.8)))
    if n_today == 0:
        return
    weight = pop.visitor_weight[pool]
    v = np.sort(rng.choice(pool, size=n_today, replace=False, p=weight / weight.sum()))
    truck = np.isin(pop.vehicle_type[v], (VEHICLE_TYPES.index("truck"), VEHICLE_TYPES.index("bus")))
    at_night = truck & (rng.random(len(v)) < 0.4)
    start = np.where(at_night, d.t0 + rng.uniform(0.0, 24.0, len(v)) * H, d.hours(13.0, 4.0, 5.0, 23.5, len(v)))
    entrances = d.dest.entrances
    usual = rng.random(len(v)) < 0.7
    entry = np.where(usual, pop.home[v], entrances[rng.integers(0, len(entrances), len(v))])
    visit = rng.random(len(v)) < 0.3
    # Visitors stay a while somewhere in the county and leave the way they came.
    stay = v[visit]
    d.tours(stay, start[visit], np.ones(len(stay), dtype=np.int64), d.dest.visit, (30, 240), home=entry[visit])
    cross = ~visit
    if cross.any() and len(entrances) > 1:
        origin = entry[cross]
        shift = rng.integers(1, len(entrances), int(cross.sum()))
        position = np.searchsorted(entrances, origin)
        exit_ = entrances[(position + shift) % len(entrances)]
        depart = start[cross]
        factor = trip_factor(rng, d.routes, origin, exit_, depart, pop.speed[v[cross]], d.weekday)
        n = int(cross.sum())
        d.parts.append(Trips.make(v[cross], origin, exit_, depart, factor, np.arange(d.next_tour, d.next_tour + n)))
        d.next_tour += n
