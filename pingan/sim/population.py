"""The county's vehicles: who drives what, where they live and work, and how they use the car.

Residents have a home zone, and commuters a workplace drawn by a gravity model (jobs nearby are
likelier). Each resident belongs to one behaviour class (commuter, errands, commercial, taxi,
night worker, night owl, rarely used); newcomers only start driving part-way through the period.
A pool of visiting vehicles (through traffic and day visitors, mostly with other cities' and
provinces' plates) enters and leaves the county at its entrances.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from pingan.sim.arrays import RowSampler
from pingan.sim.config import SimConfig
from pingan.sim.network import NodeKind
from pingan.sim.platebook import VEHICLE_TYPES, province_codes, unique_plates
from pingan.sim.routes import Zones


class Behaviour(IntEnum):
    COMMUTER = 0
    ERRANDS = 1
    COMMERCIAL = 2
    TAXI = 3
    NIGHT_WORKER = 4
    NIGHT_OWL = 5
    RARE = 6
    VISITOR = 7


_TYPE_SHARES_RESIDENT = (0.62, 0.18, 0.08, 0.10, 0.02)
_TYPE_SHARES_VISITOR = (0.42, 0.12, 0.10, 0.33, 0.03)


@dataclass
class Population:
    """Vehicles by index: residents first, then visitors; plates are rows of ``codes``."""

    behaviour: np.ndarray
    home: np.ndarray
    """Home zone (residents) or the entrance a visitor usually uses."""
    work: np.ndarray
    active_from: np.ndarray
    """First day index the vehicle drives (newcomers start late)."""
    vehicle_type: np.ndarray
    colour: np.ndarray
    codes: np.ndarray
    plate_id: np.ndarray
    night_shift: np.ndarray
    """Taxis that work nights."""
    visitor_weight: np.ndarray
    """How often a visitor comes (0 for residents)."""
    speed: np.ndarray
    """The driver's habitual speed factor (>1 is slower)."""
    n_residents: int

    @property
    def n(self) -> int:
        return len(self.behaviour)

    def residents(self) -> np.ndarray:
        return np.arange(self.n_residents)

    def visitors(self) -> np.ndarray:
        return np.flatnonzero(self.behaviour == Behaviour.VISITOR)

    def extend(self, **columns: np.ndarray) -> np.ndarray:
        """Append vehicles (every column given); returns their indices."""
        start = self.n
        count = len(columns["behaviour"])
        for name in ("behaviour", "home", "work", "active_from", "vehicle_type", "colour", "codes", "plate_id",
                     "night_shift", "visitor_weight", "speed"):
            setattr(self, name, np.concatenate([getattr(self, name), columns[name]]))
        return np.arange(start, start + count)


def gravity(zones: Zones, attraction: np.ndarray, scale_km: float) -> RowSampler:
    """Destinations by attraction, decaying with distance from each origin zone."""
    dist = np.hypot(zones.x[:, None] - zones.x[None, :], zones.y[:, None] - zones.y[None, :])
    weights = attraction[None, :] * np.exp(-dist / scale_km)
    weights[:, zones.kind == NodeKind.ENTRANCE] = 0.0
    return RowSampler(weights)


def make_population(rng: np.random.Generator, config: SimConfig, zones: Zones) -> Population:
    """Residents with homes, workplaces and behaviours, and the pool of visiting vehicles."""
    n = config.vehicles
    vtype = rng.choice(len(VEHICLE_TYPES), size=n, p=_TYPE_SHARES_RESIDENT).astype(np.int8)
    behaviour = _behaviours(rng, config, vtype)
    home = rng.choice(zones.n, size=n, p=zones.home)
    jobs = gravity(zones, zones.job, scale_km=9.0)
    work = jobs.sample(rng, home)
    active_from = np.zeros(n, dtype=np.int16)
    movable = np.flatnonzero(np.isin(behaviour, (Behaviour.COMMUTER, Behaviour.ERRANDS)))
    n_new = min(len(movable), round(config.newcomer_share * n))
    if n_new and config.newcomer_day < config.days:
        newcomers = rng.choice(movable, size=n_new, replace=False)
        active_from[newcomers] = rng.integers(config.newcomer_day, config.days, n_new)
    # Plates: the city's own letter mostly, some from next door, a few from other provinces.
    roll = rng.random(n)
    province = np.where(roll < 0.97, ord(config.province), 0).astype(np.uint32)
    other = province == 0
    province[other] = province_codes(config.other_provinces)[rng.integers(0, len(config.other_provinces),
                                                                           int(other.sum()))]
    letter = np.full(n, ord(config.city_letter), dtype=np.uint32)
    nextdoor = (~other) & (rng.random(n) < 0.06)
    letter[nextdoor] = _letters(rng, config.neighbour_letters, int(nextdoor.sum()))
    letter[other] = _letters(rng, "ABCDEFGH", int(other.sum()))

    n_vis = max(10, int(np.ceil(config.through_share * n * 2.5)))
    vis_type = rng.choice(len(VEHICLE_TYPES), size=n_vis, p=_TYPE_SHARES_VISITOR).astype(np.int8)
    vis_roll = rng.random(n_vis)
    vis_province = np.where(vis_roll < 0.5, ord(config.province), 0).astype(np.uint32)
    vis_other = vis_province == 0
    vis_province[vis_other] = province_codes(config.other_provinces)[
        rng.integers(0, len(config.other_provinces), int(vis_other.sum()))]
    vis_letter = _letters(rng, "ABCDEFGH", n_vis)
    local_vis = ~vis_other
    vis_letter[local_vis] = _letters(rng, config.neighbour_letters, int(local_vis.sum()))
    entrances = zones.of_kind(NodeKind.ENTRANCE)

    all_type = np.concatenate([vtype, vis_type])
    large = np.isin(all_type, (VEHICLE_TYPES.index("truck"), VEHICLE_TYPES.index("bus")))
    new_energy = np.where(large, rng.random(len(all_type)) < 0.03, rng.random(len(all_type)) < 0.12)
    codes = unique_plates(rng, np.concatenate([province, vis_province]), np.concatenate([letter, vis_letter]),
                          new_energy, large)
    colour = np.where(new_energy, np.where(large, 3, 1), np.where(large, 2, 0)).astype(np.int8)
    total = n + n_vis
    return Population(
        behaviour=np.concatenate([behaviour, np.full(n_vis, Behaviour.VISITOR, dtype=np.int8)]),
        home=np.concatenate([home, rng.choice(entrances, size=n_vis)]).astype(np.int32),
        work=np.concatenate([work, np.zeros(n_vis, dtype=np.int64)]).astype(np.int32),
        active_from=np.concatenate([active_from, np.zeros(n_vis, dtype=np.int16)]),
        vehicle_type=all_type,
        colour=colour,
        codes=codes,
        plate_id=np.arange(total),
        night_shift=np.concatenate([rng.random(n) < 0.3, np.zeros(n_vis, dtype=bool)]),
        visitor_weight=np.concatenate([np.zeros(n), rng.pareto(1.2, n_vis) + 0.05]),
        speed=rng.lognormal(0.0, 0.09, total),
        n_residents=n,
    )


def _behaviours(rng: np.random.Generator, config: SimConfig, vtype: np.ndarray) -> np.ndarray:
    n = len(vtype)
    car_like = np.isin(vtype, (VEHICLE_TYPES.index("car"), VEHICLE_TYPES.index("suv")))
    shares = {
        Behaviour.COMMUTER: 0.60, Behaviour.ERRANDS: 0.22, Behaviour.COMMERCIAL: 0.03, Behaviour.TAXI: 0.035,
        Behaviour.NIGHT_WORKER: config.night_worker_share, Behaviour.NIGHT_OWL: 0.012, Behaviour.RARE: 0.06,
    }
    keys = list(shares)
    p = np.array([shares[k] for k in keys])
    car_behaviour = np.array(keys, dtype=np.int8)[rng.choice(len(keys), size=n, p=p / p.sum())]
    work_vehicle = np.where(rng.random(n) < 0.8, Behaviour.COMMERCIAL, Behaviour.COMMUTER).astype(np.int8)
    return np.where(car_like, car_behaviour, work_vehicle).astype(np.int8)


def _letters(rng: np.random.Generator, letters: str, n: int) -> np.ndarray:
    pool = np.array([ord(c) for c in letters], dtype=np.uint32)
    return pool[rng.integers(0, len(pool), n)]
