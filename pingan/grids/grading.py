"""Three-colour grading of police grids (红黄绿三色动态分级): grade as of a date, keep the history.

:func:`grade` scores every police grid (:mod:`pingan.grids.scoring`), turns scores into raw colours with
the policy's colour rule, then applies the hysteresis (:class:`pingan.grids.policy.Hysteresis`) against
the grid's earlier gradings, and stores one row per grid in ``grid_grades`` with the colour, the score,
each component, the previous colour and the reasons in plain words. Gradings go forward in time: grading
the latest date again replaces it (no duplicate history); grading a date before the latest one is refused
— regrade a series instead (:func:`grade_series`), which replaces everything from its first date on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from pingan.errors import BadInput, Conflict, NotFound
from pingan.grids.disputes import now_utc
from pingan.grids.geometry import GridSet, load_grids
from pingan.grids.policy import COLOURS, RANK, Cutoffs, GradingPolicy, Hysteresis
from pingan.grids.scoring import score_grids
from pingan.store.db import Store
from pingan.timeutil import iso_local


@dataclass(frozen=True)
class PastGrade:
    """What hysteresis needs from one earlier grading of a grid."""

    as_of: datetime
    colour: str
    raw_colour: str
    hold_colour: str


@dataclass(frozen=True)
class GridGrade:
    """One police grid's colour in one grading, and why."""

    grid_id: str
    as_of: datetime
    colour: str
    score: float
    components: dict[str, Any]
    previous_colour: str | None
    raw_colour: str
    hold_colour: str
    reasons: list[str]
    name: str | None = None
    officer_id: str | None = None

    @property
    def changed(self) -> bool:
        return self.previous_colour is not None and self.previous_colour != self.colour

    def to_json(self) -> dict[str, Any]:
        return {
            "grid_id": self.grid_id, "name": self.name, "officer_id": self.officer_id,
            "as_of": iso_local(self.as_of), "colour": self.colour, "score": self.score,
            "previous_colour": self.previous_colour, "changed": self.changed, "raw_colour": self.raw_colour,
            "hold_colour": self.hold_colour, "reasons": self.reasons, "components": self.components,
        }


def _finite(x: float) -> float | None:
    return None if x is None or math.isinf(x) else round(x, 4)


@dataclass
class Grading:
    """One grading of all police grids."""

    as_of: datetime
    policy: dict[str, Any]
    cutoffs: Cutoffs
    grades: list[GridGrade] = field(default_factory=list)
    graded_at: datetime | None = None

    def count(self, colour: str) -> int:
        return sum(g.colour == colour for g in self.grades)

    @property
    def changes(self) -> list[GridGrade]:
        return [g for g in self.grades if g.changed]

    @property
    def held(self) -> list[GridGrade]:
        """Grids whose colour differs from the one their score alone qualifies for."""
        return [g for g in self.grades if g.colour != g.raw_colour]

    def summary(self) -> str:
        return (f"Graded {len(self.grades)} police grids as of {iso_local(self.as_of)}: "
                f"{self.count('red')} red, {self.count('yellow')} yellow, {self.count('green')} green; "
                f"{len(self.changes)} changed colour, {len(self.held)} held by hysteresis.")

    def to_json(self, *, colour: str | None = None) -> dict[str, Any]:
        grades = [g for g in self.grades if colour is None or g.colour == colour]
        return {
            "as_of": iso_local(self.as_of),
            "graded_at": iso_local(self.graded_at),
            "policy": self.policy,
            "cutoffs": {"red": _finite(self.cutoffs.red), "yellow": _finite(self.cutoffs.yellow)},
            "counts": {c: self.count(c) for c in ("red", "yellow", "green")},
            "changed": len(self.changes),
            "held": len(self.held),
            "grids": [{"rank": i + 1, **g.to_json()} for i, g in enumerate(grades)],
        }


# --- hysteresis ---------------------------------------------------------------------------------

def _num(x: float) -> str:
    """A score in a reason: one decimal at most (12, 12.5)."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _since(start: datetime, as_of: datetime, n: int) -> str:
    days = (as_of - start).total_seconds() / 86400
    local = iso_local(start)
    return f"since {local[:10] if local else start.date()} ({n} grading{'s' if n != 1 else ''} over {_num(days)} days)"


def _run_start(as_of: datetime, past: Sequence[PastGrade], holds: Callable[[PastGrade], bool]) -> tuple[datetime, int]:
    """Where the current run of gradings that all meet ``holds`` began, and how many gradings it has,
    counting the current one (which is taken to meet it)."""
    start, n = as_of, 1
    for p in past:
        if not holds(p):
            break
        start, n = p.as_of, n + 1
    return start, n


def decide(*, as_of: datetime, previous: str | None, raw: str, hold: str, score: float, cutoffs: Cutoffs,
           past: Sequence[PastGrade], hysteresis: Hysteresis) -> tuple[str, str]:
    """The colour after hysteresis, and the reason in plain words.

    ``past`` holds the grid's earlier gradings, newest first; ``previous`` is the colour of the newest.
    Up: the highest colour above ``previous`` that the raw colour reached on every grading for
    ``up_days``. Down: the lowest colour below ``previous`` that the hold colour stayed at or under on
    every grading for ``down_days``.
    """
    if previous is None:
        return raw, f"first grading: {raw}"
    h = hysteresis
    up, down = timedelta(days=h.up_days), timedelta(days=h.down_days)
    if RANK[raw] > RANK[previous]:
        for target in COLOURS[RANK[raw]:RANK[previous]:-1]:  # highest first
            start, n = _run_start(as_of, past, lambda p, t=target: RANK[p.raw_colour] >= RANK[t])
            if as_of - start >= up:
                return target, (f"moved up from {previous} to {target}: qualified for {target} on every grading "
                                f"{_since(start, as_of, n)}")
        if h.jump is not None and score >= h.jump * cutoffs.of(raw):
            return raw, (f"moved up from {previous} to {raw} at once: score {_num(score)} is over {h.jump:g} × "
                         f"the {raw} cut-off {_num(cutoffs.of(raw))}")
        start, n = _run_start(as_of, past, lambda p: RANK[p.raw_colour] >= RANK[raw])
        return previous, (f"stays {previous}: qualifies for {raw} {_since(start, as_of, n)}; moves up once that "
                          f"lasts {h.up_days:g} days")
    if RANK[hold] < RANK[previous]:
        margin = f"less {h.down_margin:.0%}"
        for target in COLOURS[RANK[hold]:RANK[previous]]:  # lowest first
            start, n = _run_start(as_of, past, lambda p, t=target: RANK[p.hold_colour] <= RANK[t])
            if as_of - start >= down:
                return target, (f"moved down from {previous} to {target}: under the "
                                f"{COLOURS[RANK[target] + 1]} cut-off {margin} on every grading "
                                f"{_since(start, as_of, n)}")
        start, n = _run_start(as_of, past, lambda p: RANK[p.hold_colour] < RANK[previous])
        return previous, (f"stays {previous}: under the {previous} cut-off {margin} {_since(start, as_of, n)}; "
                          f"moves down once that lasts {h.down_days:g} days")
    if RANK[raw] < RANK[previous]:
        return previous, (f"stays {previous}: score {_num(score)} is within {h.down_margin:.0%} under the "
                          f"{previous} cut-off {_num(cutoffs.of(previous))}")
    return previous, f"stays {previous}"


# --- grading ------------------------------------------------------------------------------------

def _past(store: Store, as_of: datetime, days: float) -> dict[str, list[PastGrade]]:
    """Each grid's gradings before ``as_of`` back to ``days`` before it, plus the one just before that
    (so a run reaching it is known to be long enough), newest first."""
    cut = as_of - timedelta(days=days)
    rows = store.con.execute(
        """
        SELECT grid_id, as_of, colour, raw_colour, hold_colour FROM (
            SELECT *, row_number() OVER (PARTITION BY grid_id, as_of >= $cut ORDER BY as_of DESC) AS rn
            FROM grid_grades WHERE as_of < $as_of
        ) WHERE as_of >= $cut OR rn = 1
        ORDER BY grid_id, as_of DESC
        """,
        {"as_of": as_of, "cut": cut},
    ).fetchall()
    out: dict[str, list[PastGrade]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(PastGrade(r[1], r[2], r[3], r[4]))
    return out


def latest_as_of(store: Store) -> datetime | None:
    row = store.con.execute("SELECT max(as_of) FROM grid_gradings").fetchone()
    return row[0] if row else None


def grade(store: Store, as_of: datetime, policy: GradingPolicy | None = None, *, user: str | None = None,
          police: GridSet | None = None) -> Grading:
    """Grade every police grid as of ``as_of`` (naive UTC) and store the grading in the history.

    Grading the latest date again replaces it; a date before the latest grading raises Conflict.
    """
    policy = policy or GradingPolicy()
    latest = latest_as_of(store)
    if latest is not None and as_of < latest:
        raise Conflict(f"The grids were already graded as of {iso_local(latest)}, after {iso_local(as_of)}; "
                       "gradings go forward in time, so regrade the series from that date with "
                       "`pingan grids grade --from DATE --as-of DATE`.")
    police = police if police is not None else load_grids(store, "police")
    if not len(police):
        raise NotFound("There are no police grids to grade; import them with `pingan import grids FILE`.")
    scores = score_grids(store, as_of, policy.weights, police)
    ids = [s.grid_id for s in scores]
    raw, cutoffs = policy.rule.colours(ids, [s.score for s in scores])
    h = policy.hysteresis
    past = _past(store, as_of, max(h.up_days, h.down_days))
    grading = Grading(as_of=as_of, policy=policy.to_json(), cutoffs=cutoffs, graded_at=now_utc())
    for i, s in enumerate(scores):
        history = past.get(s.grid_id, [])
        previous = history[0].colour if history else None
        hold = max(raw[i], cutoffs.colour(s.score, margin=h.down_margin), key=RANK.__getitem__)
        colour, why = decide(as_of=as_of, previous=previous, raw=raw[i], hold=hold, score=s.score,
                             cutoffs=cutoffs, past=history, hysteresis=h)
        grading.grades.append(GridGrade(
            grid_id=s.grid_id, as_of=as_of, colour=colour, score=s.score, components=s.components,
            previous_colour=previous, raw_colour=raw[i], hold_colour=hold, reasons=[why, *s.reasons],
            name=police.names[i], officer_id=police.officers[i],
        ))
    grading.grades.sort(key=lambda g: (-RANK[g.colour], -g.score, g.grid_id))
    _store(store, grading, user)
    return grading


def _store(store: Store, grading: Grading, user: str | None) -> None:
    g = grading.grades
    table = pa.table({
        "grid_id": [x.grid_id for x in g],
        "as_of": pa.array([grading.as_of] * len(g), pa.timestamp("us")),
        "colour": [x.colour for x in g],
        "score": pa.array([x.score for x in g], pa.float64()),
        "components": [json.dumps(x.components, ensure_ascii=False) for x in g],
        "previous_colour": pa.array([x.previous_colour for x in g], pa.string()),
        "raw_colour": [x.raw_colour for x in g],
        "hold_colour": [x.hold_colour for x in g],
        "changed": pa.array([x.changed for x in g], pa.bool_()),
        "reasons": pa.array([x.reasons for x in g], pa.list_(pa.string())),
    })
    with store.atomic() as con:
        con.execute("DELETE FROM grid_grades WHERE as_of = ?", [grading.as_of])
        con.execute("DELETE FROM grid_gradings WHERE as_of = ?", [grading.as_of])
        con.register("_grades", table)
        try:
            con.execute("INSERT INTO grid_grades SELECT grid_id, as_of, colour, score, components::JSON, "
                        "previous_colour, raw_colour, hold_colour, changed, reasons FROM _grades")
        finally:
            con.unregister("_grades")
        con.execute(
            "INSERT INTO grid_gradings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [grading.as_of, grading.graded_at, user, json.dumps(grading.policy, ensure_ascii=False),
             _finite(grading.cutoffs.red), _finite(grading.cutoffs.yellow), len(g), grading.count("red"),
             grading.count("yellow"), grading.count("green"), len(grading.changes)],
        )


def grade_series(store: Store, dates: Sequence[datetime], policy: GradingPolicy | None = None, *,
                 user: str | None = None) -> list[Grading]:
    """Grade each date in order, first removing every grading from the first date on."""
    if not dates:
        raise BadInput("Give at least one date to grade.")
    dates = sorted(set(dates))
    police = load_grids(store, "police")
    with store.atomic() as con:
        con.execute("DELETE FROM grid_grades WHERE as_of >= ?", [dates[0]])
        con.execute("DELETE FROM grid_gradings WHERE as_of >= ?", [dates[0]])
    return [grade(store, d, policy, user=user, police=police) for d in dates]


def series_dates(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    """``start``, ``start + every``, … up to and including ``end`` (``end`` itself always included)."""
    if end < start:
        raise BadInput(f"The series ends ({iso_local(end)}) before it starts ({iso_local(start)}); swap the dates.")
    if every <= timedelta(0):
        raise BadInput("The step between gradings must be longer than zero, like 7d.")
    out, t = [], start
    while t < end:
        out.append(t)
        t += every
    out.append(end)
    if len(out) > 5000:
        raise BadInput(f"That series would be {len(out)} gradings; take a longer step or a shorter span.")
    return out


# --- reading the history -------------------------------------------------------------------------

_GRADE_COLUMNS = ("g.grid_id, g.as_of, g.colour, g.score, g.components, g.previous_colour, g.raw_colour, "
                  "g.hold_colour, g.reasons, grids.name, grids.officer_id")


def _grade(row: Sequence[Any]) -> GridGrade:
    comps = row[4]
    return GridGrade(grid_id=row[0], as_of=row[1], colour=row[2], score=row[3],
                     components=json.loads(comps) if isinstance(comps, str) else (comps or {}),
                     previous_colour=row[5], raw_colour=row[6], hold_colour=row[7], reasons=list(row[8] or []),
                     name=row[9], officer_id=row[10])


def stored_grading(store: Store, as_of: datetime | None = None) -> Grading:
    """The stored grading as of ``as_of`` (the latest one at or before it; default the latest of all)."""
    sql = "SELECT as_of, graded_at, policy, red_threshold, yellow_threshold FROM grid_gradings"
    args: list[Any] = []
    if as_of is not None:
        sql += " WHERE as_of <= ?"
        args.append(as_of)
    row = store.con.execute(sql + " ORDER BY as_of DESC LIMIT 1", args).fetchone()
    if row is None:
        when = f" on or before {iso_local(as_of)}" if as_of else ""
        raise NotFound(f"The grids have not been graded{when}; grade them with `pingan grids grade --as-of DATE`.")
    inf = math.inf
    grading = Grading(as_of=row[0], graded_at=row[1], policy=json.loads(row[2]),
                      cutoffs=Cutoffs(red=row[3] if row[3] is not None else inf,
                                      yellow=row[4] if row[4] is not None else inf))
    rows = store.con.execute(
        f"SELECT {_GRADE_COLUMNS} FROM grid_grades g LEFT JOIN grids ON grids.grid_id = g.grid_id "
        "WHERE g.as_of = ?", [row[0]]).fetchall()
    grading.grades = sorted((_grade(r) for r in rows), key=lambda g: (-RANK[g.colour], -g.score, g.grid_id))
    return grading


def history(store: Store, grid_id: str, *, changes_only: bool = False) -> list[GridGrade]:
    """A police grid's gradings, oldest first (only its colour changes and first grading, if asked)."""
    rows = store.con.execute(
        f"SELECT {_GRADE_COLUMNS} FROM grid_grades g LEFT JOIN grids ON grids.grid_id = g.grid_id "
        "WHERE g.grid_id = ? ORDER BY g.as_of", [grid_id]).fetchall()
    if not rows:
        exists = store.con.execute("SELECT level FROM grids WHERE grid_id = ?", [grid_id]).fetchone()
        if exists is None:
            raise NotFound(f"There is no grid '{grid_id}'; list the police grids with `pingan grids show`.")
        if exists[0] != "police":
            raise BadInput(f"'{grid_id}' is a {exists[0]} grid; only police grids are graded.")
        raise NotFound(f"The grid '{grid_id}' has not been graded yet; grade with `pingan grids grade --as-of DATE`.")
    grades = [_grade(r) for r in rows]
    if changes_only:
        grades = [g for g in grades if g.previous_colour is None or g.changed]
    return grades


def current_grades(store: Store, as_of: datetime | None = None) -> list[GridGrade]:
    """Each police grid's grade in force at ``as_of`` (default: the latest grading); empty when never graded.

    The lenient form of :func:`stored_grading` for map layers, which show grids whether graded or not.
    """
    try:
        return stored_grading(store, as_of).grades
    except NotFound:
        return []


def grade_history(store: Store, grid_id: str) -> list[GridGrade]:
    """A grid's gradings, oldest first; empty when it was never graded (or is not a police grid)."""
    try:
        return history(store, grid_id)
    except (NotFound, BadInput):
        return []
