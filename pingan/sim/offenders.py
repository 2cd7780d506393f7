"""Planted offences: who did it, where, when, and the drive there and back.

An offender drives from home to the scene (a village more often than not, at night more often than
not), stays 20–90 minutes, and drives home. About 70 % of offenders are on the watchlist, most with a
prior for the same kind of offence, some with an unrelated one; the rest are unknown to the police,
and some of those are roving offenders from outside the county who come in at an entrance and leave
again. Serial offenders strike 3–4 times on different days and places, with an accomplice's car
travelling with theirs (same cameras, seconds apart). For some offences one of the offender's reads
near the scene is misread on purpose.

The case window in ``cases.csv`` is a few hours around the true time, as a victim would report it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pingan.sim.cameras import CameraSet
from pingan.sim.categories import CATEGORIES, PLANTED_SHARES, SERIAL_CATEGORIES, draw_hour, draw_window
from pingan.sim.config import SimConfig
from pingan.sim.network import NodeKind
from pingan.sim.population import Behaviour, Population
from pingan.sim.platebook import VEHICLE_TYPES
from pingan.sim.routes import RouteTable, Zones
from pingan.sim.trips import DAY_S, Trips, congestion

H = 3600.0
#: A scene must have a camera on the offender's route this close (the answer key promises reads).
_SCENE_CAMERA_KM = 4.5


@dataclass
class Offence:
    """One planted offence and its truth."""

    index: int
    category: str
    zone: int
    x: float
    y: float
    t: float
    """When it happened (period seconds)."""
    start: float
    end: float
    reported: float
    vehicle: int
    accomplice: int | None
    watchlisted: bool
    watch_list: str | None
    watch_categories: list[str]
    serial_id: str | None
    force_misread: bool
    roving: bool
    night: bool
    case_id: str = ""


@dataclass
class Serial:
    """A serial offender: one vehicle, one accomplice, several planted offences."""

    serial_id: str
    vehicle: int
    accomplice: int
    category: str
    offences: list[int] = field(default_factory=list)


@dataclass
class Plan:
    """Everything planted: offences, their trips, and when the vehicles involved are busy."""

    offences: list[Offence] = field(default_factory=list)
    trips: list[Trips] = field(default_factory=list)
    blocks: list[tuple[int, float, float]] = field(default_factory=list)
    serials: list[Serial] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    accomplices: list[tuple[int, int]] = field(default_factory=list)
    listed: dict[int, tuple[str, list[str]]] = field(default_factory=dict)
    """Planted vehicles that must be on the watchlist: (list, categories)."""
    unlisted: set[int] = field(default_factory=set)
    """Planted vehicles that must not be on the watchlist."""
    next_tour: int = -1

    def tour_id(self) -> int:
        self.next_tour -= 1
        return self.next_tour

    def all_trips(self) -> Trips:
        return Trips.concat(self.trips)

    def scene_xy(self) -> np.ndarray:
        return np.array([[o.x, o.y] for o in self.offences]).reshape(-1, 2)

    def force_misread(self) -> np.ndarray:
        return np.array([o.force_misread for o in self.offences], dtype=bool)


class _Planter:
    def __init__(self, rng: np.random.Generator, config: SimConfig, pop: Population, zones: Zones,
                 routes: RouteTable, cams: CameraSet, plan: Plan) -> None:
        self.rng, self.config, self.pop, self.zones, self.routes, self.cams, self.plan = (
            rng, config, pop, zones, routes, cams, plan)
        kinds = {"village": NodeKind.VILLAGE, "town": NodeKind.TOWN, "core": NodeKind.CORE}
        self.scene_zones = {name: zones.of_kind(k) for name, k in kinds.items()}
        n = pop.n_residents
        self.resident_ok = (
            np.isin(pop.behaviour[:n], (Behaviour.COMMUTER, Behaviour.ERRANDS, Behaviour.NIGHT_OWL, Behaviour.RARE))
            & (pop.active_from[:n] == 0)
            & np.isin(pop.vehicle_type[:n], [VEHICLE_TYPES.index(t) for t in ("car", "suv", "van")]))
        self.free = np.ones(pop.n, dtype=bool)
        self.free[np.fromiter(plan.used, dtype=np.int64)] = False

    # --- choosing people -----------------------------------------------------------------------

    def resident(self, near_home: int | None = None, within_km: float = 10.0) -> int:
        """An unused resident who could plausibly drive to a crime (optionally living near a zone)."""
        pop = self.pop
        ok = self.resident_ok & self.free[: pop.n_residents]
        if near_home is not None:
            home = pop.home[: pop.n_residents]
            dist = np.hypot(self.zones.x[home] - self.zones.x[near_home], self.zones.y[home] - self.zones.y[near_home])
            near = ok & (dist <= within_km)
            ok = near if near.any() else ok
        candidates = np.flatnonzero(ok)
        vehicle = int(self.rng.choice(candidates)) if len(candidates) else int(self.rng.integers(0, pop.n_residents))
        self.take(vehicle)
        return vehicle

    def visitor(self) -> int:
        """An unused visiting vehicle, from another province when there is one."""
        pool = self.pop.visitors()
        pool = pool[self.free[pool]]
        other = pool[self.pop.codes[pool, 0] != ord(self.config.province)]
        vehicle = int(self.rng.choice(other if len(other) else pool))
        self.take(vehicle)
        return vehicle

    def take(self, vehicle: int) -> None:
        self.plan.used.add(vehicle)
        self.free[vehicle] = False

    def watch(self, category: str, p: float = 0.7) -> tuple[bool, str | None, list[str]]:
        """Is the offender on the watchlist, on which list, with which prior categories?"""
        if self.rng.random() >= p:
            return False, None, []
        if self.rng.random() < 0.8:
            cats = [category]
            if self.rng.random() < 0.3:
                cats.append(str(self.rng.choice([c for c in CATEGORIES if c != category])))
        else:
            cats = [str(self.rng.choice([c for c in CATEGORIES if c != category]))]
        return True, "wanted" if self.rng.random() < 0.15 else "priors", cats

    # --- choosing a scene and a time -----------------------------------------------------------

    def scene(self, origin: int, back_to: int, kind_weights: tuple[float, float, float]) -> tuple[int, float, float, bool]:
        """A scene zone and point with a camera on the way there; and whether the way back has one too."""
        names = ("village", "town", "core")
        for attempt in range(400):
            kind = names[int(self.rng.choice(3, p=np.asarray(kind_weights) / sum(kind_weights)))]
            zone = int(self.rng.choice(self.scene_zones[kind]))
            dist = float(np.hypot(self.zones.x[zone] - self.zones.x[origin], self.zones.y[zone] - self.zones.y[origin]))
            if not (2.0 <= dist <= 26.0) and attempt < 300:
                continue
            r, a = self.rng.uniform(0.15, 0.8), self.rng.uniform(0, 2 * np.pi)
            x, y = self.zones.x[zone] + r * np.cos(a), self.zones.y[zone] + r * np.sin(a)
            if self._camera_near(origin, zone, x, y):
                return zone, float(x), float(y), self._camera_near(zone, back_to, x, y)
        raise RuntimeError("no scene with a camera nearby")  # pragma: no cover - every zone has routes

    def _camera_near(self, origin: int, dest: int, x: float, y: float) -> bool:
        cams, _ = self.routes.cameras(origin, dest)
        return bool(len(cams)) and bool(np.any(np.hypot(self.cams.x[cams] - x, self.cams.y[cams] - y)
                                               <= _SCENE_CAMERA_KM))

    def when(self, day: int, category: str) -> tuple[float, bool]:
        """A time on ``day`` at the category's usual hours, ending well inside the period."""
        # Keep the drive there (and an accomplice's drive to meet up) and back inside the period.
        first, end = 4.5 * H, self.config.days * DAY_S - 2 * H
        for _ in range(50):
            hours, night = draw_hour(self.rng, category)
            if first <= day * DAY_S + hours * H < end:
                break
        else:
            hours, night = float(self.rng.uniform(9.0, 17.0)), False
        return day * DAY_S + hours * H, night

    def weekday(self, t: float) -> bool:
        return (self.config.start_date.weekday() + int(t // DAY_S)) % 7 < 5

    def factor(self, vehicle: int, origin: int, dest: int, t: float) -> float:
        share = self.routes.urban_share[origin, dest]
        rush = congestion(np.array([t]), self.weekday(t), np.array([share]))[0]
        return float(self.pop.speed[vehicle] * rush * self.rng.lognormal(0.0, 0.05))

    # --- planting ------------------------------------------------------------------------------

    def offence(self, category: str, vehicle: int, home: int, leave_to: int, day: int,
                kind_weights: tuple[float, float, float], accomplice: int | None, watch: tuple[bool, str | None, list[str]],
                serial_id: str | None, roving: bool) -> Offence:
        plan, rng, routes = self.plan, self.rng, self.routes
        index = len(plan.offences)
        zone, x, y, back_camera = self.scene(home, leave_to, kind_weights)
        t, night = self.when(day, category)
        dwell = rng.uniform(20, 90) * 60
        arrive = t - rng.uniform(0.2, 0.8) * dwell
        leave = arrive + dwell
        f_out = self.factor(vehicle, home, zone, arrive)
        f_back = self.factor(vehicle, zone, leave_to, leave)
        depart = arrive - routes.seconds[home, zone] * f_out
        home_again = leave + routes.seconds[zone, leave_to] * f_back
        tour = plan.tour_id()
        plan.trips.append(Trips.make([vehicle, vehicle], [home, zone], [zone, leave_to], [depart, leave],
                                     [f_out, f_back], [tour, tour], fixed=True, plant=index, role=[1, 2]))
        plan.blocks.append((vehicle, depart, home_again))
        if accomplice is not None:
            self._accomplice(accomplice, index, home, zone, leave_to, depart, leave, f_out, f_back, home_again)
        start, end = draw_window(rng, category, t)
        offence = Offence(
            index=index, category=category, zone=zone, x=x, y=y, t=t, start=start, end=end,
            reported=float(end + rng.uniform(0.2, 12.0) * H), vehicle=vehicle, accomplice=accomplice,
            watchlisted=watch[0], watch_list=watch[1], watch_categories=watch[2], serial_id=serial_id,
            force_misread=bool(back_camera and rng.random() < 0.3), roving=roving, night=night,
        )
        plan.offences.append(offence)
        if watch[0]:
            plan.listed.setdefault(vehicle, (watch[1] or "priors", watch[2]))
        else:
            plan.unlisted.add(vehicle)
        return offence

    def _accomplice(self, accomplice: int, index: int, home: int, zone: int, leave_to: int, depart: float,
                    leave: float, f_out: float, f_back: float, home_again: float) -> None:
        plan, rng, routes = self.plan, self.rng, self.routes
        lag = rng.uniform(8.0, 40.0)
        own_home = int(self.pop.home[accomplice])
        tour = plan.tour_id()
        vehicles = [accomplice, accomplice]
        origins, dests = [home, zone], [zone, leave_to]
        departs, factors, roles = [depart + lag, leave + lag], [f_out, f_back], [3, 3]
        first, last = depart + lag, home_again + lag
        if own_home != home:
            f_meet = self.factor(accomplice, own_home, home, depart)
            meet = depart - routes.seconds[own_home, home] * f_meet - rng.uniform(5, 20) * 60
            back = home_again + lag + rng.uniform(3, 15) * 60
            f_ret = self.factor(accomplice, leave_to, own_home, back)
            vehicles = [accomplice, *vehicles, accomplice]
            origins, dests = [own_home, *origins, leave_to], [home, *dests, own_home]
            departs, factors, roles = [meet, *departs, back], [f_meet, *factors, f_ret], [0, *roles, 0]
            first, last = meet, back + routes.seconds[leave_to, own_home] * f_ret
        plan.trips.append(Trips.make(vehicles, origins, dests, departs, factors, [tour] * len(vehicles), fixed=True,
                                     plant=[index if r else -1 for r in roles], role=roles))
        plan.blocks.append((accomplice, first, last))


def plant_offences(rng: np.random.Generator, config: SimConfig, pop: Population, zones: Zones, routes: RouteTable,
                   cams: CameraSet, used: set[int]) -> Plan:
    """One-off offences and serial offenders with their accomplices."""
    plan = Plan(used=set(used))
    planter = _Planter(rng, config, pop, zones, routes, cams, plan)
    first_day = 1 if config.days > 1 else 0
    categories = list(PLANTED_SHARES)
    shares = np.array(list(PLANTED_SHARES.values()))
    entrances = zones.of_kind(NodeKind.ENTRANCE)
    for _ in range(config.offences):
        category = str(rng.choice(categories, p=shares / shares.sum()))
        watch = planter.watch(category)
        roving = not watch[0] and rng.random() < 0.4
        day = int(rng.integers(first_day, config.days))
        if roving:
            vehicle = planter.visitor()
            entry = int(pop.home[vehicle])
            leave_to = int(rng.choice(entrances)) if rng.random() < 0.5 else entry
            planter.offence(category, vehicle, entry, leave_to, day, (0.6, 0.3, 0.1), None, watch, None, True)
        else:
            vehicle = planter.resident()
            home = int(pop.home[vehicle])
            planter.offence(category, vehicle, home, home, day, (0.55, 0.25, 0.2), None, watch, None, False)
    for s in range(config.serial_offenders):
        serial_id = f"S{s + 1:02d}"
        category = str(rng.choice(SERIAL_CATEGORIES))
        watch = planter.watch(category)
        vehicle = planter.resident()
        home = int(pop.home[vehicle])
        accomplice = planter.resident(near_home=home)
        plan.accomplices.append((vehicle, accomplice))
        known, listed, cats = planter.watch(category, p=0.3)
        if known:
            plan.listed[accomplice] = (listed or "priors", cats)
        else:
            plan.unlisted.add(accomplice)
        n_cases = min(int(rng.integers(3, 5)), config.days)
        pool = np.arange(first_day, config.days) if config.days - first_day >= n_cases else np.arange(config.days)
        days = np.sort(rng.choice(pool, size=n_cases, replace=False))
        case_indices = []
        for k, day in enumerate(days):
            along = accomplice if (k == 0 or rng.random() < 0.85) else None
            offence = planter.offence(category, vehicle, home, home, int(day), (0.7, 0.25, 0.05), along, watch,
                                      serial_id, False)
            case_indices.append(offence.index)
        plan.serials.append(Serial(serial_id, vehicle, accomplice, category, case_indices))
    return plan
