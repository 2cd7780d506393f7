"""Loiterers (徘徊车): vehicles that keep coming back to one area, or circle within it.

A loiterer is an ordinary resident (it commutes, shops, goes out like anyone) with an interest in
one place that is neither its home nor its workplace: a bank, a school, a shop, a village. On some
days, at hours that vary, it drives there from home and back, on top of its usual day:

* **returns**: it comes on many days (35–60 % of the period), stops a few minutes to three quarters
  of an hour, and drives home;
* **circles**: on a few days it drives round the place, out to a nearby junction or village and back,
  two to four times within the hour, passing the same cameras again and again;
* **both**: many days, circling on about half of them.

The area is a zone with checkpoints within ``AREA_KM`` of it, chosen so that the loiterer's way in
and its circles pass them. Nothing marks the area as special: its residents and the people who work
or shop there pass the same cameras every day, and are the negatives a loitering tactic must leave
out. The loiterer's trips are planted (fixed times); ordinary tours that would clash are dropped,
as for an offender.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pingan.sim.arrays import ragged_index
from pingan.sim.cameras import CameraSet
from pingan.sim.config import SimConfig
from pingan.sim.network import NodeKind
from pingan.sim.offenders import Plan
from pingan.sim.population import Behaviour, Population
from pingan.sim.platebook import VEHICLE_TYPES
from pingan.sim.routes import RouteTable, Zones
from pingan.sim.trips import DAY_S, Trips, congestion

H = 3600.0
MIN = 60.0
#: Radius of a loitering area around its point (the tactic's default search radius).
AREA_KM = 1.0
#: A loiterer lives and works at least this far from its area (else the visits are its own comings and goings).
AWAY_KM = 3.0
KINDS = ("returns", "circles", "both")
_AREA_KINDS = {"core": NodeKind.CORE, "town": NodeKind.TOWN, "village": NodeKind.VILLAGE}
_AREA_ORDER = ("core", "town", "village")


@dataclass
class Loiterer:
    """One planted loiterer and its area."""

    vehicle: int
    kind: str
    """``returns``, ``circles`` or ``both``."""
    zone: int
    """The zone the area is centred on."""
    x: float
    y: float
    radius_km: float
    area_kind: str
    """``core``, ``town`` or ``village``."""
    cameras: np.ndarray
    """Cameras within the radius (local km)."""
    days: list[int] = field(default_factory=list)
    circling_days: list[int] = field(default_factory=list)
    residents: int = 0
    """Resident vehicles that live or work in the area (its ordinary traffic)."""


def loiterer_count(config: SimConfig) -> int:
    """About one loiterer per 2,000 vehicles, at least three."""
    return max(3, round(config.vehicles / 2000))


def plant_loiterers(rng: np.random.Generator, config: SimConfig, pop: Population, zones: Zones, routes: RouteTable,
                    cams: CameraSet, plan: Plan) -> list[Loiterer]:
    """Choose loiterers and their areas, and add their visits to the plan (trips and busy blocks)."""
    out: list[Loiterer] = []
    n = pop.n_residents
    ok = (np.isin(pop.behaviour[:n], (Behaviour.COMMUTER, Behaviour.ERRANDS, Behaviour.RARE))
          & (pop.active_from[:n] == 0)
          & np.isin(pop.vehicle_type[:n], (VEHICLE_TYPES.index("car"), VEHICLE_TYPES.index("suv"))))
    ok[[v for v in plan.used if v < n]] = False
    # zones with two cameras or more within the radius; areas are taken (and ruled out) as we go
    inside = np.hypot(zones.x[:, None] - cams.x[None, :], zones.y[:, None] - cams.y[None, :]) <= AREA_KM - 0.02
    open_zone = inside.sum(axis=1) >= 2
    # a balanced mix: kinds of behaviour and of area take turns (in a random order), so even three show all
    kinds = [KINDS[i] for i in rng.permutation(len(KINDS))]
    areas = [_AREA_ORDER[i] for i in rng.permutation(len(_AREA_ORDER))]
    for i in range(loiterer_count(config)):
        found = None
        for attempt in range(3 * len(areas)):
            area_kind = areas[(i + attempt // 3) % len(areas)]
            candidates = np.flatnonzero(open_zone & (zones.kind == _AREA_KINDS[area_kind]))
            if len(candidates) == 0:
                continue
            zone = int(rng.choice(candidates))
            partner = _partner(rng, zones, routes, zone, inside[zone])
            vehicle = _vehicle(rng, pop, zones, routes, zone, inside[zone], ok) if partner is not None else None
            if vehicle is None:
                open_zone[zone] = False
                continue
            found = area_kind, zone, partner, vehicle
            break
        if found is None:
            break
        area_kind, zone, partner, vehicle = found
        ok[vehicle] = False
        plan.used.add(vehicle)
        x, y = float(zones.x[zone]), float(zones.y[zone])
        open_zone &= np.hypot(zones.x - x, zones.y - y) > 2 * AREA_KM  # areas do not overlap
        kind = kinds[(i + i // len(areas)) % len(kinds)]  # every pairing of behaviour and area in turn
        in_area = np.hypot(zones.x - x, zones.y - y) <= AREA_KM
        near = in_area[pop.home[:n]] | in_area[pop.work[:n]]
        loiterer = Loiterer(vehicle=vehicle, kind=kind, zone=zone, x=x, y=y, radius_km=AREA_KM, area_kind=area_kind,
                            cameras=np.flatnonzero(inside[zone]), residents=int(near.sum()))
        _visits(rng, config, pop, routes, plan, loiterer, partner)
        out.append(loiterer)
    return out


def _passes(routes: RouteTable, origins: np.ndarray, dests: np.ndarray, inside: np.ndarray) -> np.ndarray:
    """Does the route from each origin to its destination pass one of the cameras marked ``inside``?"""
    pair = routes.pair(np.asarray(origins), np.asarray(dests))
    lo = routes.ptr[pair]
    group, position = ragged_index(routes.ptr[pair + 1] - lo)
    hits = inside[routes.camera[lo[group] + position]]
    return np.bincount(group, weights=hits, minlength=len(pair)) > 0


def _partner(rng: np.random.Generator, zones: Zones, routes: RouteTable, zone: int,
             inside: np.ndarray) -> int | None:
    """A zone 0.4–3 km away to circle out to and back, the circle passing the area's cameras every time round."""
    dist = np.hypot(zones.x - zones.x[zone], zones.y - zones.y[zone])
    partners = np.flatnonzero((dist >= 0.4) & (dist <= 3.0) & (zones.kind != NodeKind.ENTRANCE))
    here = np.full(len(partners), zone)
    good = partners[_passes(routes, partners, here, inside) | _passes(routes, here, partners, inside)]
    return int(rng.choice(good)) if len(good) else None


def _vehicle(rng: np.random.Generator, pop: Population, zones: Zones, routes: RouteTable, zone: int,
             inside: np.ndarray, ok: np.ndarray) -> int | None:
    """An ordinary resident living and working away from the area, whose way there or back passes its cameras.

    Decided per zone (a few hundred), then one resident drawn: fast however large the county.
    """
    n = pop.n_residents
    dist = np.hypot(zones.x - zones.x[zone], zones.y - zones.y[zone])
    homes = np.flatnonzero((dist >= AWAY_KM) & (dist <= 20.0))
    here = np.full(len(homes), zone)
    home_ok = np.zeros(zones.n, dtype=bool)
    home_ok[homes[_passes(routes, homes, here, inside) | _passes(routes, here, homes, inside)]] = True
    work_ok = dist >= AWAY_KM
    commuter = pop.behaviour[:n] == Behaviour.COMMUTER
    candidates = np.flatnonzero(ok & home_ok[pop.home[:n]] & (~commuter | work_ok[pop.work[:n]]))
    return int(candidates[rng.integers(0, len(candidates))]) if len(candidates) else None


def _visits(rng: np.random.Generator, config: SimConfig, pop: Population, routes: RouteTable, plan: Plan,
            lo: Loiterer, partner: int) -> None:
    days = config.days
    if lo.kind == "circles":
        n_days = int(np.clip(round(rng.uniform(0.15, 0.3) * days), 2, 5))
    else:
        n_days = max(3, round(rng.uniform(0.35, 0.6) * days))
    chosen = np.sort(rng.choice(days, size=min(n_days, days), replace=False))
    if lo.kind == "circles":
        circling = np.ones(len(chosen), dtype=bool)
    elif lo.kind == "both":
        circling = rng.random(len(chosen)) < 0.5
        circling[int(rng.integers(0, len(chosen)))] = True
    else:
        circling = np.zeros(len(chosen), dtype=bool)
    home, zone, v = int(pop.home[lo.vehicle]), lo.zone, lo.vehicle
    for day, circles in zip(chosen.tolist(), circling.tolist(), strict=True):
        weekday = (config.start_date.weekday() + day) % 7 < 5
        t = day * DAY_S + rng.uniform(8.0, 21.5) * H
        origins, dests, departs, factors = [], [], [], []

        def drive(a: int, b: int, depart: float) -> float:
            share = routes.urban_share[a, b]
            rush = congestion(np.array([depart]), weekday, np.array([share]))[0]
            f = float(pop.speed[v] * rush * rng.lognormal(0.0, 0.05))
            origins.append(a)
            dests.append(b)
            departs.append(depart)
            factors.append(f)
            return depart + float(routes.seconds[a, b]) * f

        arrive = drive(home, zone, t)
        if circles:
            for _ in range(int(rng.integers(2, 5))):
                turn = drive(zone, partner, arrive + rng.uniform(0.5, 5.0) * MIN)
                arrive = drive(partner, zone, turn + rng.uniform(0.3, 3.0) * MIN)
        else:
            arrive += rng.uniform(5.0, 45.0) * MIN
        end = drive(zone, home, arrive + (rng.uniform(0.5, 3.0) * MIN if circles else 0.0))
        tour = plan.tour_id()
        plan.trips.append(Trips.make(np.full(len(origins), v), origins, dests, departs, factors,
                                     np.full(len(origins), tour), fixed=True))
        plan.blocks.append((v, t, end))
        lo.days.append(day)
        if circles:
            lo.circling_days.append(day)
