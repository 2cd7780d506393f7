"""Who beats the offender? Replay the simulator's trips and class the cars ranked above it by what they did.

    python bench/miss_replay.py --seeds 1 2 3 4 5 101 … 128 --frames /tmp/cv.parquet

The frames are the labelled candidates of ``bench/accuracy.py crossval`` (same file, same seeds; they carry
each candidate's plate). Each county's cases are scored by trees fitted on the other folds' counties, as
``crossval`` does. For every offence the simulator's trips of that day and the day before are replayed
(the same steps as ``pingan.sim.simulate``'s daily loop, reads skipped), and every vehicle is classed by its
true stay during the case window:

* ``scene_zone_visit``: a visit to the zone the offence was planted in (the offender's own class);
* ``near_visit``: a visit to another place within 5 km of the scene;
* ``home_near``: at home, within 5 km;
* ``no_stay_near``: none of these (passing through, or stopped farther out).

It prints, for the watchlisted offenders not ranked first, the class of the best car above them, the
feature medians of those cars against the offenders', and top-1 by the number of vehicles seen. A replay
that does not find an offender's own planted trip to its scene stops with an error: the replay has
drifted from the simulator.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.accuracy import by_traffic  # noqa: E402
from pingan.anpr.tuning import cross_validated_scores  # noqa: E402
from pingan.plates import normalise  # noqa: E402
from pingan.sim.config import SimConfig  # noqa: E402
from pingan.sim.platebook import to_strings  # noqa: E402

sim = importlib.import_module("pingan.sim.simulate")  # the module (``pingan.sim.simulate`` is also a function)

NEAR_KM = 5.0
KINDS = ("scene_zone_visit", "near_visit", "home_near", "no_stay_near")
COMPARED = ["relevance", "history_days", "far_km", "dark_overlap", "could_be_there", "stay_hours", "near_km",
            "turn_km", "approach", "depart", "hour_rarity", "own_hour_rarity", "reads"]


def true_stays(config: SimConfig) -> pd.DataFrame:
    """Per offence (case_id) and vehicle: its stay class during the case window (vehicles with no stay
    within NEAR_KM are left out: they are ``no_stay_near``)."""
    def rng(*stream: int) -> np.random.Generator:
        return np.random.default_rng([config.seed, *stream])

    world = rng(sim._WORLD)
    net = sim.build_network(world, config.county_km, config.n_towns, config.n_villages, None)
    cams = sim.place_cameras(world, net)
    zones = sim.choose_zones(world, net)
    routes = sim.build_routes(net, cams, zones)
    pop = sim.make_population(rng(sim._PEOPLE), config, zones)
    plant_rng, used = rng(sim._PLANT), set()
    clones = sim.plant_clones(plant_rng, config, pop, zones, used)
    companions = sim.plant_companions(plant_rng, config, pop, used)
    plan = sim.plant_offences(plant_rng, config, pop, zones, routes, cams, used)
    sim.plant_loiterers(rng(sim._LOITER), config, pop, zones, routes, cams, plan)
    crime_rng = rng(sim._CRIME)
    cases = sim.assign_case_ids(sim.background_cases(crime_rng, config, zones, net)
                                + sim.planted_cases(crime_rng, plan.offences, zones, net), config)
    case_of = {c.planted: c.case_id for c in cases if c.planted >= 0}
    dest = sim.Destinations.for_zones(zones)
    planted = plan.all_trips()
    planted_day = (planted.depart // sim.DAY_S).astype(np.int64)
    busy, last_zone, next_tour = np.full(pop.n, -np.inf), np.full(pop.n, -1, dtype=np.int32), 0
    offence_days = {int(o.t // sim.DAY_S) for o in plan.offences}
    kept: dict[int, pd.DataFrame] = {}
    for day in range(max(offence_days) + 1):
        weekday = (config.start_date.weekday() + day) % 7 < 5
        trips = sim.daily_trips(rng(sim._TRIPS, day), day, weekday, pop, routes, dest, config.through_share, next_tour)
        next_tour = int(trips.tour.max()) + 1 if len(trips) else next_tour
        trips = sim.drop_blocked_tours(trips, routes, plan.blocks)
        trips = sim.Trips.concat([trips, planted.take(np.flatnonzero(planted_day == day))])
        trips = sim.settle(trips, routes, busy, last_zone)
        trips = sim.follow(trips, companions, day, routes, busy, last_zone)
        trips = sim.mirror(rng(sim._CLONES, day), trips, clones, pop, dest.shop, routes, busy, last_zone)
        if day in offence_days or day + 1 in offence_days:
            kept[day] = pd.DataFrame({"vehicle": trips.vehicle, "origin": trips.origin, "dest": trips.dest,
                                      "depart": trips.depart, "factor": trips.factor, "stop": trips.stop_s})
    plates = to_strings(pop.codes)
    rows = []
    for o in plan.offences:
        day = int(o.t // sim.DAY_S)
        t = pd.concat([kept.get(day - 1, pd.DataFrame()), kept[day]], ignore_index=True).sort_values(["vehicle", "depart"])
        t["arrive"] = t["depart"] + routes.seconds[t["origin"].to_numpy(), t["dest"].to_numpy()] * t["factor"] + t["stop"]
        t["leave"] = t.groupby("vehicle")["depart"].shift(-1).fillna(np.inf)
        km = np.hypot(zones.x[t["dest"].to_numpy()] - o.x, zones.y[t["dest"].to_numpy()] - o.y)
        at_home = pop.home[t["vehicle"].to_numpy()] == t["dest"].to_numpy()
        over = ((t["arrive"] < o.end) & (t["leave"] > o.start)).to_numpy() & (km <= NEAR_KM)
        stays = t[over].assign(km=km[over], kind=np.where(
            at_home[over], "home_near", np.where(t["dest"].to_numpy()[over] == o.zone, "scene_zone_visit", "near_visit")))
        stays = stays.sort_values("kind", key=lambda k: k.map(KINDS.index)).drop_duplicates("vehicle")
        if not ((stays["vehicle"] == o.vehicle) & (stays["kind"] == "scene_zone_visit")).any():
            raise SystemExit(f"seed {config.seed}: the replay lost offence {o.index}'s trip to its scene; "
                             "bench/miss_replay.py no longer follows pingan.sim.simulate")
        for vehicle, kind, stay_km in zip(stays["vehicle"], stays["kind"], stays["km"], strict=True):
            rows.append((f"{config.seed}", case_of[o.index], str(normalise(plates[vehicle])), kind, float(stay_km)))
    return pd.DataFrame(rows, columns=["seed", "case_id", "plate", "kind", "stay_km"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--frames", type=Path, required=True, help="the crossval frames (with plates)")
    parser.add_argument("--vehicles", type=int, default=20_000)
    parser.add_argument("--misread", type=float, default=0.03)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    frames = pd.read_parquet(args.frames)
    if "plate" not in frames:
        raise SystemExit(f"{args.frames} has no plates: collect it again with bench/accuracy.py crossval")
    county = f"-{args.misread}-{args.vehicles}"
    frames = frames[frames["group"].str.split("/", n=1).str[0].str.endswith(county)]
    scored = cross_validated_scores([frames], folds=args.folds)
    scored["seed"] = scored["group"].str.split("-", n=1).str[0]
    stays = pd.concat([true_stays(SimConfig(vehicles=args.vehicles, days=35, seed=s, misread_rate=args.misread))
                       for s in args.seeds], ignore_index=True)
    d = scored.merge(stays, on=["seed", "case_id", "plate"], how="left")
    d["kind"] = d["kind"].fillna("no_stay_near")

    best_above, offenders, density = [], [], []
    for group, case in d.groupby("group"):
        offender = case[case["label"] == 1]
        if offender.empty or offender["watchlisted"].max() < 1:
            continue
        top = offender.loc[offender["cv_score"].idxmax()]
        hit = not (case["cv_score"] > top["cv_score"]).any()
        density.append((len(case), hit))
        above = case[(case["cv_score"] > top["cv_score"]) & (case["accomplice"] == 0)]
        if not hit and len(above):
            best_above.append(above.loc[above["cv_score"].idxmax()])
            offenders.append(top)
    above, offs = pd.DataFrame(best_above), pd.DataFrame(offenders)
    misses = sum(1 for _, hit in density if not hit)
    print(f"{len(density)} watchlisted offences, {misses} not ranked first; the best other car above the "
          f"offender (accomplice cars aside) in {len(above)}:")
    print(above["kind"].value_counts().reindex(list(KINDS), fill_value=0).to_string())
    for kind in ("near_visit", "no_stay_near"):
        mask = (above["kind"] == kind).to_numpy()
        if mask.any():
            print(f"\nfeature medians, {kind} ({mask.sum()}): the car above / the offender")
            print(pd.DataFrame({"car above": above.loc[mask, COMPARED].median(),
                                "offender": offs.loc[mask, COMPARED].median()}).round(2).to_string())
    seen = pd.DataFrame(density, columns=["seen", "hit"])
    print("\nwatchlisted top-1 by vehicles seen:", by_traffic(seen["seen"], seen["hit"]))


if __name__ == "__main__":
    main()
