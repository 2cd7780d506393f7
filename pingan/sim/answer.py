"""The answer key: what was planted, so every tactic's accuracy can be measured.

Plates in the answer key are always normalised (:func:`pingan.plates.normalise`), whatever spelling
the cameras used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pingan.plates import normalise
from pingan.sim.config import SimConfig
from pingan.sim.crimes import CaseRow
from pingan.sim.files import Clock
from pingan.sim.loiterers import Loiterer
from pingan.sim.network import RoadNetwork
from pingan.sim.offenders import Plan
from pingan.sim.pairs import Clone, Companion
from pingan.sim.platebook import VEHICLE_TYPES, PlateBook
from pingan.sim.population import Behaviour, Population
from pingan.sim.projection import LocalProjection
from pingan.sim.routes import Zones
from pingan.sim.truth import NIGHT_END_H, NIGHT_START_H, Truth
from pingan.sim.watchlist import WatchEntry


@dataclass
class KeyInputs:
    config: SimConfig
    plan: Plan
    clones: list[Clone]
    companions: list[Companion]
    companion_days: dict[int, int]
    pop: Population
    book: PlateBook
    watchlist: list[WatchEntry]
    cases: list[CaseRow]
    truth: Truth
    clock: Clock
    zones: Zones
    net: RoadNetwork
    stats: dict[str, int]
    loiterers: list[Loiterer] = field(default_factory=list)
    proj: LocalProjection | None = None


def build_answer_key(k: KeyInputs) -> dict[str, Any]:
    """The answer key as a JSON-ready dict."""
    plate = _Plates(k.book)
    by_vehicle: dict[int, WatchEntry] = {}
    for entry in k.watchlist:
        if entry.vehicle >= 0:
            by_vehicle.setdefault(entry.vehicle, entry)
    case_id = {c.planted: c.case_id for c in k.cases if c.planted >= 0}
    offences = []
    for o in sorted(k.plan.offences, key=lambda o: case_id[o.index]):
        entry = by_vehicle.get(o.vehicle) if o.watchlisted else None
        offences.append({
            "case_id": case_id[o.index],
            "category": o.category,
            "plate": plate(o.vehicle),
            "person_id": entry.person_id if entry else None,
            "watchlisted": entry is not None,
            "list": entry.list if entry else None,
            "watchlist_categories": list(entry.categories) if entry else [],
            "misread_near_scene": bool(k.truth.near_misreads[o.index] > 0),
            "reads_near_scene": int(k.truth.near_reads[o.index]),
            "serial_id": o.serial_id,
            "accomplice_plate": plate(o.accomplice) if o.accomplice is not None else None,
            "roving": o.roving,
            "night": o.night,
            "time": k.clock.iso(o.t),
        })
    serials = [{
        "serial_id": s.serial_id,
        "plate": plate(s.vehicle),
        "accomplice_plate": plate(s.accomplice),
        "category": s.category,
        "case_ids": sorted(case_id[i] for i in s.offences),
    } for s in k.plan.serials]
    places = k.net.places
    clones = [{
        "plate": plate(c.victim),
        "vehicles": 2,
        "notes": (f"a second {VEHICLE_TYPES[int(k.pop.vehicle_type[c.clone])]} carries a copy of this plate; the real "
                  f"one is based in {places[k.zones.place[k.pop.home[c.victim]]]}, the copy in "
                  f"{places[k.zones.place[k.pop.home[c.clone]]]}; both commute at the same hours"),
    } for c in k.clones]
    companions = [{"plate": plate(leader), "companion": plate(acc), "kind": "accomplice",
                   "days_together": len({int(o.t // 86400) for o in k.plan.offences if o.accomplice == acc})}
                  for leader, acc in k.plan.accomplices]
    companions += [{"plate": plate(p.leader), "companion": plate(p.follower), "kind": "companion",
                    "days_together": k.companion_days.get(p.follower, 0)} for p in k.companions]
    newcomer_day = k.config.newcomer_day
    residents = range(k.pop.n_residents)
    newcomers = sorted(plate(v) for v in residents
                       if k.pop.active_from[v] >= newcomer_day and k.truth.first_day[v] >= newcomer_day)
    day = k.clock.day
    # every vehicle first read on or after the newcomer day (plate ids: a clone's copy shares its victim's)
    first_appearances = sorted(
        ({"plate": plate(v), "kind": _first_kind(k, v, newcomer_day),
          "first_day": day(int(k.truth.first_day[v]) * 86400).isoformat(), "reads": int(k.truth.total[v])}
         for v in range(len(k.truth.first_day)) if k.truth.first_day[v] >= newcomer_day),
        key=lambda e: (e["first_day"], e["plate"]))
    return {
        "seed": k.config.seed,
        "config": k.config.to_dict(),
        "period": {"start": k.clock.iso(0), "end": k.clock.iso(k.config.days * 86400)},
        "offences": offences,
        "serials": serials,
        "clones": clones,
        "companions": companions,
        "night_active": sorted(plate(int(v)) for v in k.truth.night_active()),
        "night_active_rule": f"at least 8 reads, at least 60 % of them between {NIGHT_START_H}:00 and "
                             f"{NIGHT_END_H:02d}:00 local time",
        "newcomers": newcomers,
        "newcomer_after_day": newcomer_day,
        "newcomer_after_date": k.clock.day(newcomer_day * 86400).isoformat(),
        "first_appearances": first_appearances,
        "first_appearances_rule": "every vehicle whose first read in the county (as the vehicle, whatever the "
                                  "cameras read) is on or after newcomer_after_date; kind: newcomer (a resident who "
                                  "starts driving then), resident (a resident not driven before then), visitor; "
                                  "reads: all its reads in the period, misread or not",
        "loiterers": _loiterers(k, plate),
        "background_cases": [c.case_id for c in k.cases if c.planted < 0],
        "stats": k.stats,
    }


def _first_kind(k: KeyInputs, vehicle: int, newcomer_day: int) -> str:
    if k.pop.behaviour[vehicle] == Behaviour.VISITOR:
        return "visitor"
    return "newcomer" if k.pop.active_from[vehicle] >= newcomer_day else "resident"


def _loiterers(k: KeyInputs, plate: _Plates) -> list[dict[str, Any]]:
    out = []
    day = k.clock.day
    for lo, seen in zip(k.loiterers, k.truth.loiterer_days, strict=True):
        assert k.proj is not None
        lon, lat = k.proj.to_lonlat(lo.x, lo.y)
        out.append({
            "plate": plate(lo.vehicle),
            "kind": lo.kind,
            "area": {"lon": float(lon), "lat": float(lat), "radius_km": lo.radius_km,
                     "place": k.net.places[k.zones.place[lo.zone]], "kind": lo.area_kind,
                     "cameras": int(len(lo.cameras)), "residents": lo.residents},
            "days": [day(d * 86400).isoformat() for d in lo.days],
            "circling_days": [day(d * 86400).isoformat() for d in lo.circling_days],
            "days_seen": [day(d * 86400).isoformat() for d in sorted(seen)],
        })
    return sorted(out, key=lambda e: e["plate"])


class _Plates:
    """Normalised plate of a vehicle (checked against :func:`pingan.plates.normalise`)."""

    def __init__(self, book: PlateBook) -> None:
        self.book = book

    def __call__(self, vehicle: int) -> str:
        raw = self.book.plate(vehicle)
        plate = normalise(raw)
        assert plate == raw, f"a simulated plate must be born normalised: {raw!r}"
        return plate
