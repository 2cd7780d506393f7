"""Cases: the planted offences and the background crime of the county, as ``cases.csv`` rows.

Background cases have no planted vehicle. They cluster at hotspots that persist over time (a market,
a bus station, a run-down estate), spread with population elsewhere, and repeat near earlier cases
within days (near-repeat victimisation), so forecasting has something real to find. They also cover
``case_history_days`` before the simulated period. Each category has its own hours (cable theft and
car theft at night, fraud and shop theft by day) and its own uncertainty about when it happened.

Planted and background cases share the same categories, descriptions, windows and id scheme, so
nothing in ``cases.csv`` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from pingan.sim.config import SimConfig
from pingan.sim.network import NodeKind, RoadNetwork
from pingan.sim.categories import BACKGROUND_SHARES, CATEGORIES, describe, describe_nth, draw_hours, draw_windows
from pingan.sim.offenders import Offence
from pingan.sim.routes import Zones

H = 3600.0
DAY_S = 86_400.0
CASE_COLUMNS = ["case_id", "category", "lon", "lat", "start", "end", "description", "status", "reported_at",
                "solved_at"]

@dataclass
class CaseRow:
    category: str
    x: float
    y: float
    start: float
    end: float
    description: str
    status: str
    reported: float
    solved: float | None
    planted: int
    """Index of the planted offence, or -1 for background crime."""
    case_id: str = ""


def background_cases(rng: np.random.Generator, config: SimConfig, zones: Zones, net: RoadNetwork) -> list[CaseRow]:
    """Cases with no planted vehicle from ``case_history_days`` before the period to its end."""
    places = _PlaceNames(zones, net)
    candidates = zones.of_kind(NodeKind.CORE, NodeKind.TOWN, NodeKind.VILLAGE)
    n_hot = max(5, round(config.county_km**2 / 64))
    attract = (zones.shop + zones.home)[candidates]
    hot_zone = rng.choice(candidates, size=n_hot, replace=False, p=attract / attract.sum())
    hot_xy = np.column_stack([zones.x[hot_zone], zones.y[hot_zone]]) + rng.normal(0, 0.2, (n_hot, 2))
    hot_w = rng.lognormal(0.0, 0.8, n_hot)
    hot_sd = rng.uniform(0.12, 0.45, n_hot)
    home_p = zones.home[candidates] / zones.home[candidates].sum()
    shares = np.array([BACKGROUND_SHARES.get(c, 0.0) for c in CATEGORIES])
    end_s = config.days * DAY_S
    days = np.arange(-config.case_history_days, config.days)
    weekday = (config.start_date.weekday() + days) % 7 < 5
    counts = rng.poisson(config.cases_per_day * np.where(weekday, 1.0, 1.15))
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    day_of: list[np.ndarray] = []
    for day, count in zip(days, counts, strict=True):
        roll = rng.random(count)
        hot = rng.choice(n_hot, size=count, p=hot_w / hot_w.sum())
        x = hot_xy[hot, 0] + rng.normal(0, 1, count) * hot_sd[hot]
        y = hot_xy[hot, 1] + rng.normal(0, 1, count) * hot_sd[hot]
        spread = roll >= 0.6
        z = rng.choice(candidates, size=count, p=home_p)
        x = np.where(spread, zones.x[z] + rng.normal(0, 0.35, count), x)
        y = np.where(spread, zones.y[z] + rng.normal(0, 0.35, count), y)
        # Near repeats: close to a case of the last seven days.
        recent = np.flatnonzero((np.concatenate(day_of) >= day - 7)) if day_of else np.zeros(0, dtype=np.int64)
        repeat = (roll < 0.12) & (len(recent) > 0)
        if repeat.any():
            all_x, all_y = np.concatenate(xs), np.concatenate(ys)
            pick = recent[rng.integers(0, len(recent), int(repeat.sum()))]
            x[repeat] = all_x[pick] + rng.normal(0, 0.12, len(pick))
            y[repeat] = all_y[pick] + rng.normal(0, 0.12, len(pick))
        xs.append(x)
        ys.append(y)
        day_of.append(np.full(count, day))
    x, y, day = np.concatenate(xs), np.concatenate(ys), np.concatenate(day_of)
    n = len(x)
    category = rng.choice(len(CATEGORIES), size=n, p=shares / shares.sum())
    t = day * DAY_S + draw_hours(rng, category) * H
    start, end = draw_windows(rng, category, t)
    reported = end + rng.uniform(0.2, 24.0, n) * H
    solved = reported + rng.uniform(1, 40, n) * DAY_S
    is_solved = (rng.random(n) < 0.18) & (solved <= end_s)
    investigating = rng.random(n) < 0.4
    description = rng.integers(0, 1000, n)
    rows = []
    for i in np.flatnonzero(reported <= end_s):  # a case reported after the export is not in it yet
        cat = CATEGORIES[category[i]]
        status = "solved" if is_solved[i] else ("investigating" if investigating[i] else "open")
        rows.append(CaseRow(cat, float(x[i]), float(y[i]), float(start[i]), float(end[i]),
                            describe_nth(cat, int(description[i]), places.near(x[i], y[i])), status,
                            float(reported[i]), float(solved[i]) if is_solved[i] else None, -1))
    return rows


def planted_cases(rng: np.random.Generator, offences: list[Offence], zones: Zones, net: RoadNetwork) -> list[CaseRow]:
    """Rows for the planted offences, written exactly as background cases are (never solved yet)."""
    places = _PlaceNames(zones, net)
    return [CaseRow(o.category, o.x, o.y, o.start, o.end, describe(rng, o.category, places.near(o.x, o.y)),
                    "investigating" if rng.random() < 0.4 else "open", o.reported, None, o.index)
            for o in offences]


def assign_case_ids(rows: list[CaseRow], config: SimConfig) -> list[CaseRow]:
    """Cases sorted by start time with ids ``A<yyyymmdd><nnn>`` by local start date."""
    rows = sorted(rows, key=lambda r: (r.start, r.x, r.y))
    per_day: dict[str, int] = {}
    for row in rows:
        day = (config.start_date + timedelta(days=int(row.start // DAY_S))).strftime("%Y%m%d")
        per_day[day] = per_day.get(day, 0) + 1
        row.case_id = f"A{day}{per_day[day]:03d}"
    return rows


class _PlaceNames:
    """The name of the village, town or town centre nearest a point."""

    def __init__(self, zones: Zones, net: RoadNetwork) -> None:
        keep = zones.place >= 0
        self.x, self.y = zones.x[keep], zones.y[keep]
        self.names = [net.places[p] for p in zones.place[keep]]

    def near(self, x: float, y: float) -> str:
        return self.names[int(np.argmin(np.hypot(self.x - x, self.y - y)))]
