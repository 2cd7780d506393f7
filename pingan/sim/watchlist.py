"""The watchlist (重点人员车辆): plates of people with priors, wanted people, and stolen vehicles.

About ``watchlist_share`` of the county's vehicles are listed. Planted offenders who are meant to be
known get an entry with the categories the plan chose; offenders meant to be unknown never do.
Some people have two plates, a few entries have expired, and a few list plates that no longer drive
in the county (sold, scrapped). Person ids are pseudonymous (``P`` + six digits).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pingan.sim.config import SimConfig
from pingan.sim.categories import CATEGORIES
from pingan.sim.offenders import Plan
from pingan.sim.platebook import random_plates, render, to_strings
from pingan.sim.population import Population

_CATEGORY_SHARES = {"theft": 0.25, "burglary": 0.15, "drugs": 0.15, "fraud": 0.12, "assault": 0.12,
                    "vehicle_theft": 0.10, "cable_theft": 0.11}
WATCHLIST_COLUMNS = ["plate", "person_id", "categories", "list", "valid_until", "note"]


@dataclass
class WatchEntry:
    vehicle: int
    """-1 for a plate that no longer drives in the county."""
    plate: str
    plate_raw: str
    person_id: str
    categories: list[str]
    list: str
    valid_until: date
    note: str


def make_watchlist(rng: np.random.Generator, config: SimConfig, pop: Population, plan: Plan) -> list[WatchEntry]:
    """Watchlist entries, sorted by person and plate, honouring what the plan says about planted vehicles."""
    start = config.start_date
    wanted = min(999_999, int(config.watchlist_share * config.vehicles * 1.3) + 2000)
    persons = iter(rng.choice(np.arange(1, 1_000_000), size=wanted, replace=False))
    entries: list[WatchEntry] = []
    person_of: dict[int, str] = {}

    def add(vehicle: int, codes: np.ndarray, person: str, cats: list[str], listed: str, valid: date,
            note: str) -> None:
        style = int(rng.choice(4, p=[0.8, 0.12, 0.04, 0.04]))
        raw = str(render(codes[None, :], (0, 1, 2, 4)[style])[0])
        entries.append(WatchEntry(vehicle, str(to_strings(codes[None, :])[0]), raw, person, cats, listed, valid, note))

    for vehicle, (listed, cats) in plan.listed.items():
        person = f"P{next(persons):06d}"
        person_of[vehicle] = person
        add(vehicle, pop.codes[vehicle], person, cats, listed, start + timedelta(days=int(rng.integers(200, 1000))),
            _note(rng, listed, start))

    target = round(config.watchlist_share * config.vehicles)
    blocked = set(person_of) | plan.unlisted
    candidates = np.setdiff1d(np.arange(pop.n_residents), np.fromiter(blocked, dtype=np.int64))
    n_random = max(0, min(len(candidates), target - len(entries)))
    chosen = np.sort(rng.choice(candidates, size=n_random, replace=False))
    entries.extend(_random_entries(rng, pop, chosen, persons, start))

    gone = max(1, round(0.05 * target))
    plates_now = set(to_strings(pop.codes).tolist())
    province = np.full(gone, ord(config.province), dtype=np.uint32)
    letter = np.full(gone, ord(config.city_letter), dtype=np.uint32)
    codes = random_plates(rng, province, letter, np.zeros(gone, dtype=bool), np.zeros(gone, dtype=bool))
    for row in codes:
        plate = str(to_strings(row[None, :])[0])
        if plate in plates_now:
            continue
        plates_now.add(plate)
        cats = [str(rng.choice(CATEGORIES))]
        add(-1, row, f"P{next(persons):06d}", cats, "priors", start + timedelta(days=int(rng.integers(60, 600))),
            _note(rng, "priors", start))
    entries.sort(key=lambda e: (e.person_id, e.plate))
    return entries


def _random_entries(rng: np.random.Generator, pop: Population, chosen: np.ndarray, persons: Iterator[int],
                    start: date) -> list[WatchEntry]:
    """Entries for people with priors, wanted people and stolen cars (vectorised draws)."""
    m = len(chosen)
    if m == 0:
        return []
    cats_all = np.array(list(_CATEGORY_SHARES))
    shares = np.array(list(_CATEGORY_SHARES.values()))
    new_person = rng.random(m) >= 0.1  # one in ten people has a second listed vehicle
    new_person[0] = True
    person = np.array([next(persons) for _ in range(int(new_person.sum()))])[np.cumsum(new_person) - 1]
    roll = rng.random(m)
    listed = np.where(roll < 0.12, "stolen", np.where(roll < 0.2, "wanted", "priors"))
    two = rng.random(m) >= 0.75
    # Two distinct categories by weight: the Gumbel top-k trick.
    keys = np.log(shares)[None, :] - np.log(-np.log(rng.random((m, len(shares)))))
    top = np.argsort(-keys, axis=1)[:, :2]
    expired = rng.random(m) < 0.06
    valid = np.where(expired, rng.integers(-200, -1, m), rng.integers(60, 1000, m))
    style = rng.choice(np.array([0, 1, 2, 4]), size=m, p=[0.8, 0.12, 0.04, 0.04])
    raw = np.empty(m, dtype="<U12")
    for s in np.unique(style):
        rows = np.flatnonzero(style == s)
        raw[rows] = render(pop.codes[chosen[rows]], int(s))
    plates = to_strings(pop.codes[chosen])
    ago = rng.integers(30, 2500, m)
    stolen_ago = rng.integers(1, 120, m)
    released = rng.random(m) < 0.4
    out = []
    for i in range(m):
        if listed[i] == "stolen":
            cats = ["vehicle_theft"]
            note = f"reported stolen {(start - timedelta(days=int(stolen_ago[i]))).isoformat()}"
        else:
            cats = [str(cats_all[top[i, 0]])] + ([str(cats_all[top[i, 1]])] if two[i] else [])
            when = start - timedelta(days=int(ago[i]))
            note = (f"wanted since {when.isoformat()}" if listed[i] == "wanted"
                    else f"released {when.isoformat()[:7]}" if released[i] else f"conviction {when.year}")
        out.append(WatchEntry(int(chosen[i]), str(plates[i]), str(raw[i]), f"P{int(person[i]):06d}", cats,
                              str(listed[i]), start + timedelta(days=int(valid[i])), note))
    return out


def _note(rng: np.random.Generator, listed: str, start: date) -> str:
    when = start - timedelta(days=int(rng.integers(30, 2500)))
    if listed == "stolen":
        return f"reported stolen {(start - timedelta(days=int(rng.integers(1, 120)))).isoformat()}"
    if listed == "wanted":
        return f"wanted since {when.isoformat()}"
    return f"conviction {when.year}" if rng.random() < 0.6 else f"released {when.isoformat()[:7]}"


def watchlist_rows(entries: list[WatchEntry]) -> list[list[str]]:
    """CSV rows in :data:`WATCHLIST_COLUMNS` order."""
    return [[e.plate_raw, e.person_id, ";".join(e.categories), e.list,
             f"{e.valid_until.isoformat()}T23:59:59+08:00", e.note] for e in entries]
