"""Community officers (社区民警) and the police grids they own; the workload each one carries.

The ``officer_id`` on a police grid (from the grids file, or set by :func:`assign`) says who owns it;
the ``officers`` table holds each officer's name and the list of their grids. :func:`assign` keeps the
two in step. Where they disagree (an old officers list), the grid's own ``officer_id`` wins.

Workload per officer: police grids, the governance grids fused into them, residents, area, cases that
started in a period, disputes not resolved at its end, and the colours of their grids at the latest
grading.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from pingan.errors import BadInput, NotFound
from pingan.grids import disputes as disputes_mod
from pingan.grids.geometry import GridSet, load_grids
from pingan.grids.scoring import populations
from pingan.store.db import Store
from pingan.timeutil import iso_local


@dataclass(frozen=True)
class Officer:
    officer_id: str
    name: str
    grid_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id, "name": self.name, "grid_ids": list(self.grid_ids)}


def assign(store: Store, officer_id: str, grid_ids: list[str], *, name: str | None = None) -> Officer:
    """Give police grids to an officer (taking them from whoever had them); creates the officer if new."""
    officer_id = str(officer_id).strip()
    if not officer_id:
        raise BadInput("The officer id is empty; give the id the force uses for the officer.")
    if not grid_ids:
        raise BadInput("Give at least one police grid to assign.")
    levels = dict(store.con.execute("SELECT grid_id, level FROM grids WHERE grid_id IN (SELECT unnest(?))",
                                    [list(grid_ids)]).fetchall())
    missing = [g for g in grid_ids if g not in levels]
    if missing:
        raise NotFound(f"There is no grid {missing[0]!r}; assign police grids listed by `pingan grids show`.")
    not_police = [g for g in grid_ids if levels[g] != "police"]
    if not_police:
        raise BadInput(f"'{not_police[0]}' is a governance grid; officers are assigned police grids, and a "
                       "governance grid follows the police grid it is fused into.")
    with store.atomic() as con:
        row = con.execute("SELECT name, grid_ids FROM officers WHERE officer_id = ?", [officer_id]).fetchone()
        if row is None:
            con.execute("INSERT INTO officers (officer_id, name, grid_ids) VALUES (?, ?, [])",
                        [officer_id, name or officer_id])
        elif name:
            con.execute("UPDATE officers SET name = ? WHERE officer_id = ?", [name, officer_id])
        con.execute("UPDATE officers SET grid_ids = list_filter(grid_ids, lambda g: NOT list_contains(?, g)) "
                    "WHERE officer_id <> ? AND grid_ids IS NOT NULL", [list(grid_ids), officer_id])
        con.execute("UPDATE officers SET grid_ids = list_sort(list_distinct(list_concat(coalesce(grid_ids, []), ?))) "
                    "WHERE officer_id = ?", [list(grid_ids), officer_id])
        con.execute("UPDATE grids SET officer_id = ? WHERE grid_id IN (SELECT unnest(?))", [officer_id, list(grid_ids)])
    return officer(store, officer_id)


def officer(store: Store, officer_id: str) -> Officer:
    row = store.con.execute("SELECT officer_id, name, grid_ids FROM officers WHERE officer_id = ?",
                            [officer_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no officer '{officer_id}'; list them with `pingan grids officers`.")
    return Officer(row[0], row[1], tuple(row[2] or ()))


def owners(store: Store, police: GridSet) -> list[str | None]:
    """The officer owning each police grid: the grid's own ``officer_id``, else the officers list."""
    listed: dict[str, str] = {}
    for oid, grids in store.con.execute("SELECT officer_id, grid_ids FROM officers ORDER BY officer_id").fetchall():
        for g in grids or ():
            listed.setdefault(g, oid)
    return [police.officers[i] or listed.get(gid) for i, gid in enumerate(police.ids)]


@dataclass
class Workload:
    """What one officer carries."""

    officer_id: str
    name: str | None
    police_grids: list[str] = field(default_factory=list)
    governance_grids: int = 0
    population: float | None = None
    area_km2: float = 0.0
    cases: int = 0
    open_disputes: int = 0
    colours: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {"officer_id": self.officer_id, "name": self.name, "grids": len(self.police_grids),
                "police_grids": self.police_grids, "governance_grids": self.governance_grids,
                "population": None if self.population is None else int(self.population),
                "area_km2": round(self.area_km2, 3), "cases": self.cases, "open_disputes": self.open_disputes,
                "colours": {c: self.colours.get(c, 0) for c in ("red", "yellow", "green")}}


@dataclass
class WorkloadReport:
    start: datetime
    end: datetime
    officers: list[Workload]
    unassigned: list[str]
    graded_as_of: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        cases = [w.cases for w in self.officers]
        return {
            "period": {"start": iso_local(self.start), "end": iso_local(self.end)},
            "graded_as_of": iso_local(self.graded_as_of),
            "officers": [{"rank": i + 1, **w.to_json()} for i, w in enumerate(self.officers)],
            "unassigned_grids": self.unassigned,
            "cases_per_officer": {"mean": round(float(np.mean(cases)), 2) if cases else 0.0,
                                  "max": max(cases, default=0)},
        }


def workload(store: Store, *, start: datetime | None = None, end: datetime | None = None) -> WorkloadReport:
    """Each officer's workload for cases that started in [start, end) and disputes unresolved at ``end``.

    ``end`` defaults to the latest grading (else now), ``start`` to 30 days before ``end``. Officers are
    listed busiest first (cases, then unresolved disputes).
    """
    graded = store.con.execute("SELECT max(as_of) FROM grid_gradings").fetchone()
    graded_as_of = graded[0] if graded else None
    end = end or graded_as_of or disputes_mod.now_utc()
    start = start or end - timedelta(days=30)
    if start >= end:
        raise BadInput(f"The period starts ({iso_local(start)}) after it ends ({iso_local(end)}); swap the dates.")
    police = load_grids(store, "police")
    owner = owners(store, police)
    names = dict(store.con.execute("SELECT officer_id, name FROM officers").fetchall())
    children = Counter(dict(store.con.execute(
        "SELECT parent_id, count(*) FROM grids WHERE level = 'governance' AND parent_id IS NOT NULL "
        "GROUP BY parent_id").fetchall()))
    people = populations(store, police)
    cases = store.con.execute("SELECT lon, lat FROM cases WHERE start_ts >= ? AND start_ts < ?",
                              [start, end]).fetchnumpy()
    case_counts = np.bincount(police.locate_index(cases["lon"], cases["lat"]) + 1, minlength=len(police) + 1)[1:]
    open_ = disputes_mod.open_at(store, end)
    dispute_counts = np.bincount(police.locate_index(open_.lon, open_.lat) + 1, minlength=len(police) + 1)[1:]
    colours: dict[str, str] = {}
    if graded_as_of is not None:
        colours = dict(store.con.execute(
            "SELECT grid_id, colour FROM grid_grades WHERE as_of = (SELECT max(as_of) FROM grid_gradings "
            "WHERE as_of <= ?)", [end]).fetchall())
    loads: dict[str, Workload] = {}
    for oid in names:
        loads[oid] = Workload(officer_id=oid, name=names[oid])
    unassigned: list[str] = []
    totals: defaultdict[str, list[float]] = defaultdict(list)
    for i, gid in enumerate(police.ids):
        oid = owner[i]
        if oid is None:
            unassigned.append(gid)
            continue
        w = loads.setdefault(oid, Workload(officer_id=oid, name=names.get(oid)))
        w.police_grids.append(gid)
        w.governance_grids += children.get(gid, 0)
        if people[i] is not None:
            totals[oid].append(people[i])  # type: ignore[arg-type]
        w.area_km2 += float(police.areas_km2[i])
        w.cases += int(case_counts[i])
        w.open_disputes += int(dispute_counts[i])
        if gid in colours:
            w.colours[colours[gid]] += 1
    for oid, values in totals.items():
        loads[oid].population = float(sum(values))
    ranked = sorted(loads.values(), key=lambda w: (-w.cases, -w.open_disputes, w.officer_id))
    return WorkloadReport(start=start, end=end, officers=ranked, unassigned=unassigned, graded_as_of=graded_as_of)
