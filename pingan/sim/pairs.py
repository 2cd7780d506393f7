"""Vehicles linked to other vehicles: cloned plates and companions.

* A clone (套牌车) is a second vehicle carrying a copy of a real resident's plate. It lives and works
  on the far side of the county and keeps the real car's hours (each of its trips leaves within a
  few minutes of the real car's corresponding trip, between its own home, workplace and shops), so
  the plate is seen in two places at once.
* Companions (伴随车) are pairs that often travel together: the follower lives and works where the
  leader does and, on most days, drives the leader's trips a few seconds behind. (The accomplices of
  serial offenders are companions too, on the nights of their offences.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pingan.sim.arrays import RowSampler
from pingan.sim.config import SimConfig
from pingan.sim.population import Behaviour, Population, gravity
from pingan.sim.platebook import VEHICLE_TYPES
from pingan.sim.routes import RouteTable, Zones
from pingan.sim.trips import Trips


@dataclass(frozen=True)
class Clone:
    victim: int
    clone: int


@dataclass(frozen=True)
class Companion:
    leader: int
    follower: int
    days: np.ndarray
    """Per day: do they travel together?"""
    lag_s: np.ndarray
    """Per day: how far behind the follower drives."""


def _eligible(pop: Population, used: set[int]) -> np.ndarray:
    n = pop.n_residents
    ok = ((pop.behaviour[:n] == Behaviour.COMMUTER) & (pop.active_from[:n] == 0)
          & np.isin(pop.vehicle_type[:n], (VEHICLE_TYPES.index("car"), VEHICLE_TYPES.index("suv"))))
    ok[[v for v in used if v < n]] = False
    return np.flatnonzero(ok)


def plant_clones(rng: np.random.Generator, config: SimConfig, pop: Population, zones: Zones,
                 used: set[int]) -> list[Clone]:
    """Second vehicles carrying copies of real plates, based far from the real ones."""
    clones: list[Clone] = []
    jobs = gravity(zones, zones.job, scale_km=9.0)
    homes = np.flatnonzero(zones.home > 0)
    far = 0.45 * config.county_km
    for _ in range(config.clones):
        candidates = _eligible(pop, used)
        if len(candidates) == 0:
            break
        victim = int(rng.choice(candidates))
        used.add(victim)
        vh = pop.home[victim]
        dist = np.hypot(zones.x[homes] - zones.x[vh], zones.y[homes] - zones.y[vh])
        options = homes[dist >= far] if np.any(dist >= far) else homes[np.argsort(dist)[-10:]]
        home = int(rng.choice(options))
        work = int(jobs.sample(rng, np.array([home]))[0])
        index = pop.extend(
            behaviour=np.array([Behaviour.COMMUTER], dtype=np.int8), home=np.array([home], dtype=np.int32),
            work=np.array([work], dtype=np.int32), active_from=np.zeros(1, dtype=np.int16),
            vehicle_type=pop.vehicle_type[[victim]], colour=pop.colour[[victim]], codes=pop.codes[[victim]],
            plate_id=np.array([victim]), night_shift=np.zeros(1, dtype=bool), visitor_weight=np.zeros(1),
            speed=rng.lognormal(0.0, 0.09, 1),
        )
        used.add(int(index[0]))
        clones.append(Clone(victim=victim, clone=int(index[0])))
    return clones


def plant_companions(rng: np.random.Generator, config: SimConfig, pop: Population, used: set[int]) -> list[Companion]:
    """Pairs of commuters that often drive together."""
    pairs: list[Companion] = []
    for _ in range(config.companions):
        candidates = _eligible(pop, used)
        if len(candidates) < 2:
            break
        leader, follower = (int(v) for v in rng.choice(candidates, size=2, replace=False))
        used.update((leader, follower))
        pop.home[follower] = pop.home[leader]
        pop.work[follower] = pop.work[leader]
        days = rng.random(config.days) < 0.65
        days[int(rng.integers(0, config.days))] = True
        pairs.append(Companion(leader=leader, follower=follower, days=days, lag_s=rng.uniform(5.0, 40.0, config.days)))
    return pairs


def follow(trips: Trips, pairs: list[Companion], day: int, routes: RouteTable,
           busy_until: np.ndarray, last_zone: np.ndarray | None = None) -> Trips:
    """Trips of the day with each together-day follower driving its leader's trips, seconds behind."""
    together = [p for p in pairs if p.days[day] and np.any(trips.vehicle == p.leader)]
    if not together:
        return trips
    followers = np.array([p.follower for p in together])
    copies = [trips.take(np.flatnonzero(~np.isin(trips.vehicle, followers)))]
    for p in together:
        copy = trips.take(np.flatnonzero(trips.vehicle == p.leader))
        copy.vehicle = np.full(len(copy), p.follower, dtype=np.int32)
        copy.depart = copy.depart + p.lag_s[day]
        copy.fixed = np.ones(len(copy), dtype=bool)
        copies.append(copy)
        end = copy.depart + copy.seconds(routes)
        busy_until[p.follower] = float(np.max(end))
        if last_zone is not None:
            last_zone[p.follower] = int(copy.dest[int(np.argmax(end))])
    return Trips.concat(copies)


def mirror(rng: np.random.Generator, trips: Trips, clones: list[Clone], pop: Population, shops: RowSampler,
           routes: RouteTable, busy_until: np.ndarray, last_zone: np.ndarray | None = None) -> Trips:
    """Trips of the day with each clone driving at its victim's hours between its own places."""
    active = [c for c in clones if np.any(trips.vehicle == c.victim)]
    if not active:
        return trips
    clone_ids = np.array([c.clone for c in clones])
    parts = [trips.take(np.flatnonzero(~np.isin(trips.vehicle, clone_ids)))]
    for c in active:
        copy = trips.take(np.flatnonzero(trips.vehicle == c.victim))
        home, work = pop.home[c.clone], pop.work[c.clone]
        place = {int(pop.home[c.victim]): int(home), int(pop.work[c.victim]): int(work)}
        elsewhere = shops.sample(rng, np.full(len(copy), home))
        copy.origin = np.array([place.get(int(z), -1) for z in copy.origin], dtype=np.int32)
        copy.dest = np.array([place.get(int(z), -1) for z in copy.dest], dtype=np.int32)
        # A stop the clone's owner makes somewhere of their own: the next trip starts from there.
        for i in range(len(copy)):
            if copy.dest[i] < 0:
                copy.dest[i] = elsewhere[i]
            if copy.origin[i] < 0:
                copy.origin[i] = copy.dest[i - 1] if i > 0 else home
        copy.vehicle = np.full(len(copy), c.clone, dtype=np.int32)
        copy.depart = copy.depart + rng.uniform(-180.0, 180.0)
        copy.fixed = np.ones(len(copy), dtype=bool)
        parts.append(copy)
        end = copy.depart + copy.seconds(routes)
        busy_until[c.clone] = float(np.max(end))
        if last_zone is not None:
            last_zone[c.clone] = int(copy.dest[int(np.argmax(end))])
    return Trips.concat(parts)
