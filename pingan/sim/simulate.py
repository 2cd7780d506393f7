"""``simulate(out_dir, config)``: build a county, drive it for ``days`` days, write every file and the answer key.

Random streams are split by purpose and day (``numpy.random.default_rng([seed, stream, day])``), so
the same seed gives byte-identical files. Reads are generated a day at a time and streamed to disk,
so memory stays bounded however many days are simulated.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pingan.sim.answer import KeyInputs, build_answer_key
from pingan.sim.cameras import place_cameras
from pingan.sim.config import SimConfig
from pingan.sim.core import load_osm_core
from pingan.sim.crimes import assign_case_ids, background_cases, planted_cases
from pingan.sim.disputes import make_disputes
from pingan.sim.files import (Clock, camera_lonlat, write_cameras, write_cases, write_disputes, write_officers,
                              write_watchlist)
from pingan.sim.grids import grids_geojson, make_grids
from pingan.sim.loiterers import plant_loiterers
from pingan.sim.network import build_network
from pingan.sim.offenders import plant_offences
from pingan.sim.pairs import follow, mirror, plant_clones, plant_companions
from pingan.sim.platebook import make_platebook
from pingan.sim.population import make_population
from pingan.sim.projection import LocalProjection
from pingan.sim.readgen import ObservationRates, ReadBatch, expand, observe
from pingan.sim.routes import build_routes, choose_zones
from pingan.sim.schedule import Destinations, daily_trips
from pingan.sim.trips import DAY_S, Trips, drop_blocked_tours, settle
from pingan.sim.truth import Truth
from pingan.sim.watchlist import make_watchlist
from pingan.sim.writer import ReadsWriter

# Random stream numbers (never reuse one for another purpose: it would change every county).
_WORLD, _PEOPLE, _PLANT, _CRIME, _WATCH, _GRIDS, _LOITER = 1, 2, 3, 4, 5, 6, 7
_TRIPS, _CAMERAS, _CLONES = 100, 200, 300


@dataclass
class SimResult:
    """What :func:`simulate` wrote: files, counts and how long it took."""

    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def reads_per_second(self) -> float:
        """Reads generated and written per second of the traffic phase."""
        seconds = self.timings.get("traffic", 0.0)
        return self.counts.get("reads", 0) / seconds if seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), **self.counts,
                "seconds": round(sum(self.timings.values()), 2),
                "reads_per_second": round(self.reads_per_second),
                "files": {k: str(v) for k, v in self.files.items()},
                "timings": {k: round(v, 3) for k, v in self.timings.items()}}


def simulate(out_dir: Path, config: SimConfig | None = None) -> SimResult:
    """Write a synthetic county into ``out_dir`` (created if needed) and return a summary.

    The files it writes (see ``docs/simulator.md``) replace any of the same name in ``out_dir``.
    """
    config = config or SimConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = SimResult(out_dir=out_dir)
    tick = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal tick
        now = time.perf_counter()
        result.timings[name] = result.timings.get(name, 0.0) + now - tick
        tick = now

    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([config.seed, *stream])

    # --- the county ------------------------------------------------------------------------------
    world = rng(_WORLD)
    core = load_osm_core(Path(config.core_network)) if config.core_network else None
    net = build_network(world, config.county_km, config.n_towns, config.n_villages, core)
    cams = place_cameras(world, net)
    zones = choose_zones(world, net)
    routes = build_routes(net, cams, zones)
    proj = LocalProjection(config.center_lon, config.center_lat)
    clock = Clock(config.start_date)
    lap("network")

    # --- people, and what is planted -------------------------------------------------------------
    pop = make_population(rng(_PEOPLE), config, zones)
    plant_rng = rng(_PLANT)
    used: set[int] = set()
    clones = plant_clones(plant_rng, config, pop, zones, used)
    companions = plant_companions(plant_rng, config, pop, used)
    plan = plant_offences(plant_rng, config, pop, zones, routes, cams, used)
    loiterers = plant_loiterers(rng(_LOITER), config, pop, zones, routes, cams, plan)
    book = make_platebook(pop.codes, pop.plate_id, pop.colour, pop.vehicle_type)
    watch = make_watchlist(rng(_WATCH), config, pop, plan)
    crime_rng = rng(_CRIME)
    cases = assign_case_ids(background_cases(crime_rng, config, zones, net)
                            + planted_cases(crime_rng, plan.offences, zones, net), config)
    grid_rng = rng(_GRIDS)
    home_counts = np.bincount(pop.home[: pop.n_residents], minlength=zones.n)
    grids, officers = make_grids(grid_rng, config, zones, net, home_counts)
    disputes = make_disputes(grid_rng, config, zones, sorted({e.person_id for e in watch}))
    lap("plan")

    files = result.files
    files["cameras"] = out_dir / "cameras.csv"
    result.counts["cameras"] = write_cameras(files["cameras"], cams, proj)
    files["cases"] = out_dir / "cases.csv"
    result.counts["cases"] = write_cases(files["cases"], cases, proj, clock)
    files["watchlist"] = out_dir / "watchlist.csv"
    result.counts["watchlist"] = write_watchlist(files["watchlist"], watch)
    files["grids"] = out_dir / "grids.geojson"
    files["grids"].write_text(grids_geojson(grids, proj), encoding="utf-8")
    result.counts["grids"] = len(grids)
    files["officers"] = out_dir / "officers.csv"
    result.counts["officers"] = write_officers(files["officers"], officers)
    files["disputes"] = out_dir / "disputes.csv"
    result.counts["disputes"] = write_disputes(files["disputes"], disputes, proj, clock)
    lap("files")

    # --- traffic, a day at a time ----------------------------------------------------------------
    cam_lon, cam_lat = camera_lonlat(cams, proj)
    scene_lon, scene_lat = proj.to_lonlat(plan.scene_xy()[:, 0], plan.scene_xy()[:, 1])
    truth = Truth(pop.plate_id, cams, (cam_lon, cam_lat), plan, np.column_stack([scene_lon, scene_lat]),
                  loiterers)
    for fmt, name in (("parquet", "reads.parquet"), ("csv", "reads.csv")):
        if config.reads_format not in (fmt, "both"):
            (out_dir / name).unlink(missing_ok=True)  # a stale file from an earlier run would contradict the key
    writer = ReadsWriter(out_dir, config.reads_format, book, cams, config.start_date, config.seed)
    rates = ObservationRates(miss=config.miss_rate, double=config.double_read_rate, misread=config.misread_rate)
    dest = Destinations.for_zones(zones)
    planted = plan.all_trips()
    planted_day = (planted.depart // DAY_S).astype(np.int64)
    scene_xy, force = plan.scene_xy(), plan.force_misread()
    busy = np.full(pop.n, -np.inf)
    last_zone = np.full(pop.n, -1, dtype=np.int32)
    carry = ReadBatch.empty()
    companion_days: dict[int, int] = {}
    stats = {"passes": 0, "trips": 0}
    next_tour = 0
    # Writing a day (Arrow, Parquet) overlaps with generating the next one; one day in flight at most.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pingan-sim-writer")
    pending: Future[None] | None = None
    for day in range(config.days):
        weekday = (config.start_date.weekday() + day) % 7 < 5
        trips = daily_trips(rng(_TRIPS, day), day, weekday, pop, routes, dest, config.through_share, next_tour)
        next_tour = int(trips.tour.max()) + 1 if len(trips) else next_tour
        trips = drop_blocked_tours(trips, routes, plan.blocks)
        trips = Trips.concat([trips, planted.take(np.flatnonzero(planted_day == day))])
        trips = settle(trips, routes, busy, last_zone)
        for p in companions:
            if p.days[day] and np.any(trips.vehicle == p.leader):
                companion_days[p.follower] = companion_days.get(p.follower, 0) + 1
        trips = follow(trips, companions, day, routes, busy, last_zone)
        trips = mirror(rng(_CLONES, day), trips, clones, pop, dest.shop, routes, busy, last_zone)
        observe_rng = rng(_CAMERAS, day)
        passes = expand(trips, routes, observe_rng)
        batch = observe(passes, trips, observe_rng, cams, pop.codes, pop.vehicle_type, rates, scene_xy, force)
        stats["trips"] += len(trips)
        stats["passes"] += len(passes.camera)
        carry = ReadBatch.concat(carry, batch) if len(carry) else batch
        # Today's reads go out in time order; those after midnight (night trips) wait for tomorrow's.
        boundary = (day + 1) * DAY_S if day + 1 < config.days else np.inf
        today = np.flatnonzero(carry.t < boundary)
        emit = carry.take(today[np.argsort(carry.t[today])])
        carry = carry.take(np.flatnonzero(carry.t >= boundary))
        truth.add(emit)
        if pending is not None:
            pending.result()
        pending = pool.submit(writer.write, emit)
    if pending is not None:
        pending.result()
    pool.shutdown()
    writer.close()
    for path in writer.paths:
        files[path.stem + "_" + path.suffix.lstrip(".")] = path
    result.counts["reads"] = truth.reads
    lap("traffic")

    key = build_answer_key(KeyInputs(
        config=config, plan=plan, clones=clones, companions=companions, companion_days=companion_days, pop=pop,
        loiterers=loiterers, proj=proj,
        book=book, watchlist=watch, cases=cases, truth=truth, clock=clock, zones=zones, net=net,
        stats={"trips": stats["trips"], "passes": stats["passes"], "reads": truth.reads, "misreads": truth.misreads,
               "misread_share": round(truth.misreads / max(truth.reads, 1), 5)},
    ))
    files["answer_key"] = out_dir / "answer_key.json"
    files["answer_key"].write_text(json.dumps(key, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    result.counts.update(vehicles=config.vehicles, visitors=int(len(pop.visitors())), days=config.days,
                         planted_offences=len(plan.offences), background_cases=len(key["background_cases"]),
                         misreads=truth.misreads, passes=stats["passes"])
    lap("answer_key")
    return result
