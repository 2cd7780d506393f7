"""The risk score of each police grid as of an instant: a transparent weighted sum of four parts.

``score = cases + trend + disputes + complexity``, each part reported with its inputs:

* **cases** — ``weights.cases`` × the severity-weighted count of cases that started in the last
  ``window_days`` (category severities are a configurable table; unknown categories weigh
  ``default_severity``);
* **trend** — ``weights.trend`` × how far that severity sum rose above the one of the ``window_days``
  before (a fall adds nothing: it already shows as fewer recent cases);
* **disputes** — ``weights.disputes`` × the level weights of the disputes not resolved at that instant
  (low 1, medium 2, high 4 by default), escalated ones × ``escalated``;
* **complexity** — what makes a grid hard to police whatever happened lately: ``weights.density`` per
  10,000 residents per km², plus ``weights.properties[name]`` per unit of each numeric grid property
  named there (by default ``venues``: key venues such as markets, schools, bars, internet cafés).

Cases and disputes are placed in grids with the spatial index (:mod:`pingan.grids.geometry`), so a
re-drawn grid map is picked up at the next grading.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

import numpy as np

from pingan.errors import BadInput
from pingan.grids import disputes as disputes_mod
from pingan.grids.geometry import GridSet
from pingan.store.db import Store

#: Severity per case category, for both English and Chinese category names (keys are normalised with
#: :func:`category_key`). A deployment replaces it in its grading configuration.
DEFAULT_SEVERITY: Mapping[str, float] = MappingProxyType({
    "homicide": 10.0, "murder": 10.0, "kidnapping": 8.0, "rape": 8.0, "sexual_assault": 8.0, "arson": 6.0,
    "robbery": 5.0, "assault": 4.0, "snatching": 3.0, "burglary": 3.0, "break_and_enter": 3.0,
    "vehicle_theft": 2.5, "auto_theft": 2.5, "cable_theft": 2.0, "theft_over": 2.0, "drugs": 2.0,
    "theft": 1.5, "fraud": 1.0, "vandalism": 1.0, "public_order": 1.0,
    "故意杀人": 10.0, "杀人": 10.0, "绑架": 8.0, "强奸": 8.0, "放火": 6.0, "抢劫": 5.0, "故意伤害": 4.0,
    "抢夺": 3.0, "入室盗窃": 3.0, "盗窃车辆": 2.5, "盗窃电缆": 2.0, "毒品": 2.0, "寻衅滋事": 2.0,
    "盗窃": 1.5, "诈骗": 1.0, "电信诈骗": 1.0,
})
DEFAULT_DISPUTE_LEVELS: Mapping[str, float] = MappingProxyType({"low": 1.0, "medium": 2.0, "high": 4.0})
DEFAULT_PROPERTIES: Mapping[str, float] = MappingProxyType({"venues": 0.5})


def category_key(category: str) -> str:
    """A category as a severity-table key: lower case, spaces and dashes as underscores."""
    return "_".join(str(category).strip().lower().replace("-", " ").split())


@dataclass(frozen=True)
class ScoreWeights:
    """How much each part of the score counts. Every field can be set in a grading configuration."""

    window_days: int = 14
    severity: Mapping[str, float] = field(default_factory=lambda: DEFAULT_SEVERITY)
    default_severity: float = 1.0
    cases: float = 1.0
    trend: float = 0.5
    dispute_levels: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DISPUTE_LEVELS)
    escalated: float = 1.5
    disputes: float = 1.0
    density: float = 0.5
    properties: Mapping[str, float] = field(default_factory=lambda: DEFAULT_PROPERTIES)

    def __post_init__(self) -> None:
        if not isinstance(self.window_days, int) or self.window_days < 1:
            raise BadInput(f"window_days was {self.window_days!r} but must be a whole number of days, at least 1.")
        for name in ("default_severity", "cases", "trend", "escalated", "disputes", "density"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or value < 0:
                raise BadInput(f"The weight {name} was {value!r} but must be a number of 0 or more.")
        for table in ("severity", "dispute_levels", "properties"):
            for key, value in getattr(self, table).items():
                if not isinstance(value, int | float) or value < 0:
                    raise BadInput(f"The {table} weight for '{key}' was {value!r} but must be a number of 0 or more.")
        # Normalise the severity keys once, so 'Break and Enter' and 'break_and_enter' are one category.
        object.__setattr__(self, "severity", MappingProxyType(
            {category_key(k): float(v) for k, v in self.severity.items()}))

    def severity_of(self, category: str) -> float:
        return self.severity.get(category_key(category), self.default_severity)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoreWeights:
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise BadInput(f"The score weights {unknown} are not known; use some of {allowed}.")
        values = dict(data)
        # A configured severity table adds to (and overrides) the default one, so a deployment lists only
        # its own categories; the same for venue-like properties.
        for table, default in (("severity", DEFAULT_SEVERITY), ("dispute_levels", DEFAULT_DISPUTE_LEVELS)):
            if table in values:
                if not isinstance(values[table], Mapping):
                    raise BadInput(f"The {table} table must map names to weights, not {values[table]!r}.")
                values[table] = {**default, **values[table]}
        if "properties" in values and not isinstance(values["properties"], Mapping):
            raise BadInput(f"The properties table must map property names to weights, not {values['properties']!r}.")
        return cls(**values)


@dataclass(frozen=True)
class GridScore:
    """One police grid's score with each part and the plain words behind it."""

    grid_id: str
    score: float
    components: dict[str, Any]
    reasons: list[str] = field(default_factory=list)


def _plural(n: int | float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")


def _case_reason(count: int, by_category: Counter[str], previous: int, days: int) -> str | None:
    if not count and not previous:
        return None
    top = ", ".join(f"{n} {c}" for c, n in by_category.most_common(3))
    more = len(by_category) - 3
    if more > 0:
        top += f", {more} more categor{'y' if more == 1 else 'ies'}"
    text = f"{_plural(count, 'case')} in the last {days} days" + (f" ({top})" if top else "")
    if count > previous:
        text += f", up from {previous}"
    elif count < previous:
        text += f", down from {previous}"
    else:
        text += ", as many as"
    return text + f" in the {days} days before"


def _dispute_reason(by_level: Counter[str], escalated: int) -> str | None:
    total = sum(by_level.values())
    if not total:
        return None
    levels = [lvl for lvl in ("high", "medium", "low") if by_level.get(lvl)]
    levels += sorted(lvl for lvl in by_level if lvl not in ("high", "medium", "low"))
    parts = ", ".join(f"{by_level[lvl]} {lvl}-level" for lvl in levels)
    text = f"{_plural(total, 'unresolved dispute')}: {parts}"
    if escalated:
        text += f" ({escalated} escalated)"
    return text


def _numeric(value: Any) -> float | None:
    """A grid property as a number: a number, a count of a list, or the sum of a dict of counts."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return float(len(value))
    if isinstance(value, Mapping):
        nums = [_numeric(v) for v in value.values()]
        return float(sum(n for n in nums if n is not None))
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return None


def populations(store: Store, police: GridSet) -> list[float | None]:
    """Residents of each police grid: its own figure, else its ``population`` property, else the sum of
    the governance grids fused into it."""
    children = dict(store.con.execute(
        "SELECT parent_id, sum(population) FROM grids WHERE level = 'governance' AND parent_id IS NOT NULL "
        "AND population IS NOT NULL GROUP BY parent_id").fetchall())
    out: list[float | None] = []
    for i, gid in enumerate(police.ids):
        value = police.population[i]
        if value is None:
            value = _numeric(police.properties[i].get("population"))
        if value is None:
            value = children.get(gid)
        out.append(float(value) if value is not None else None)
    return out


def score_grids(store: Store, as_of: datetime, weights: ScoreWeights, police: GridSet) -> list[GridScore]:
    """Every police grid's score as of ``as_of`` (naive UTC), in the order of ``police``."""
    n = len(police)
    window = timedelta(days=weights.window_days)
    cases = store.con.execute(
        "SELECT category, lon, lat, start_ts >= ? AS recent FROM cases WHERE start_ts >= ? AND start_ts < ?",
        [as_of - window, as_of - 2 * window, as_of],
    ).fetchnumpy()
    categories = [str(c) for c in cases["category"]]
    where = police.locate_index(cases["lon"], cases["lat"])
    known = {c: weights.severity_of(c) for c in set(categories)}
    severity = np.array([known[c] for c in categories], dtype=float)
    is_recent = np.asarray(cases["recent"], dtype=bool)
    inside = where >= 0
    recent_sev = np.bincount(where[inside & is_recent], weights=severity[inside & is_recent], minlength=n)
    before_sev = np.bincount(where[inside & ~is_recent], weights=severity[inside & ~is_recent], minlength=n)
    recent_n = np.bincount(where[inside & is_recent], minlength=n)
    before_n = np.bincount(where[inside & ~is_recent], minlength=n)
    by_cat: dict[int, Counter[str]] = {}
    for c, g, rec in zip(categories, where.tolist(), is_recent.tolist(), strict=True):
        if g >= 0 and rec:
            by_cat.setdefault(g, Counter())[c] += 1

    open_ = disputes_mod.open_at(store, as_of)
    d_where = police.locate_index(open_.lon, open_.lat) if open_.ids else np.zeros(0, dtype=int)
    d_levels: dict[int, Counter[str]] = {}
    d_escalated: Counter[int] = Counter()
    d_points = np.zeros(n)
    for g, level, status in zip(d_where.tolist(), open_.level, open_.status, strict=True):
        if g < 0:
            continue
        weight = weights.dispute_levels.get(level, 1.0) * (weights.escalated if status == "escalated" else 1.0)
        d_points[g] += weights.disputes * weight
        d_levels.setdefault(g, Counter())[level] += 1
        d_escalated[g] += status == "escalated"

    people = populations(store, police)
    areas = police.areas_km2
    out: list[GridScore] = []
    days = weights.window_days
    none: Counter[str] = Counter()
    for i, gid in enumerate(police.ids):
        cases_points = weights.cases * float(recent_sev[i])
        rise = max(0.0, float(recent_sev[i] - before_sev[i]))
        trend_points = weights.trend * rise
        density = (people[i] / areas[i]) if people[i] is not None and areas[i] > 0 else None
        density_points = weights.density * (density / 10_000) if density is not None else 0.0
        props: dict[str, dict[str, float]] = {}
        for name, w in weights.properties.items():
            value = _numeric(police.properties[i].get(name))
            if value is not None:
                props[name] = {"value": value, "points": round(w * value, 4)}
        complexity_points = density_points + sum(p["points"] for p in props.values())
        components = {
            "cases": {"points": round(cases_points, 4), "count": int(recent_n[i]),
                      "severity": round(float(recent_sev[i]), 4),
                      "by_category": dict(sorted(by_cat.get(i, none).items()))},
            "trend": {"points": round(trend_points, 4), "previous_count": int(before_n[i]),
                      "previous_severity": round(float(before_sev[i]), 4), "rise": round(rise, 4)},
            "disputes": {"points": round(float(d_points[i]), 4), "count": sum(d_levels.get(i, none).values()),
                         "by_level": dict(d_levels.get(i, none)), "escalated": int(d_escalated[i])},
            "complexity": {"points": round(complexity_points, 4), "population": people[i],
                           "area_km2": round(float(areas[i]), 4),
                           "density_per_km2": round(density, 1) if density is not None else None,
                           "density_points": round(density_points, 4), "properties": props},
        }
        score = cases_points + trend_points + float(d_points[i]) + complexity_points
        reasons = [r for r in (
            _case_reason(int(recent_n[i]), by_cat.get(i, none), int(before_n[i]), days),
            _dispute_reason(d_levels.get(i, none), int(d_escalated[i])),
        ) if r]
        if density is not None and density_points >= 0.05:
            reasons.append(f"{density:,.0f} residents per km²")
        for name, p in props.items():
            if p["points"]:
                reasons.append(f"{p['value']:g} {name.replace('_', ' ')}")
        out.append(GridScore(grid_id=str(gid), score=round(float(score), 4), components=components, reasons=reasons))
    return out
