"""Multi-case collision (serial offences): vehicles seen around at least K of N cases, most surprising first.

Being near two scenes is not suspicious for a commuter who passes both every day; being near three
village scenes at night from across the county is. For each vehicle and each case, the chance of being
seen there anyway is estimated from the vehicle's own history at that case's cameras (days seen in the
weeks before, smoothed towards the area's overall share of the county's vehicles). The surprise of the
observed pattern is the negative log-probability of the cases it was seen at, under independence.

The reads query is one UNION ALL branch per case with literal time bounds, the layout that keeps
DuckDB's pruning (architecture notes: a join to a table of windows was 7x slower).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import ibis
import numpy as np
import pandas as pd

from pingan.anpr.area import Window, area_around, reads_expr
from pingan.anpr.cases import Case, load_case
from pingan.anpr.features import HistoryConfig, history_window
from pingan.anpr.relevance import relevance as relevance_of
from pingan.anpr.watchlist import MAX_FUZZY_COST, Match, Watchlists
from pingan.errors import BadInput
from pingan.store.db import Store


@dataclass(frozen=True)
class CollideQuery:
    case_ids: tuple[str, ...]
    min_cases: int | None = None
    radius_km: float = 5.0
    pad: timedelta = timedelta(hours=2)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    top: int | None = None

    def __post_init__(self) -> None:
        if len(self.case_ids) < 2:
            raise BadInput("collide needs at least two case ids.")
        if len(set(self.case_ids)) != len(self.case_ids):
            raise BadInput("A case id is given twice; give each case once.")
        k = self.k
        if not 1 <= k <= len(self.case_ids):
            raise BadInput(f"--min-cases must be between 1 and {len(self.case_ids)}, not {k}.")
        if not self.radius_km > 0:
            raise BadInput(f"--radius-km must be more than 0, not {self.radius_km}.")

    @property
    def k(self) -> int:
        return self.min_cases if self.min_cases is not None else len(self.case_ids)


@dataclass
class CollisionVehicle:
    rank: int
    plate: str
    cases: list[str]
    score: float
    surprise: float
    watchlist: Match | None
    reasons: list[str]
    reads: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "cases": self.cases, "score": round(self.score, 6),
            "surprise": round(self.surprise, 3),
            "watchlist": self.watchlist.to_json() if self.watchlist else None,
            "reasons": self.reasons, "reads": self.reads,
        }


@dataclass
class CollideResult:
    query: CollideQuery
    cases: list[Case]
    cameras: dict[str, list[str]]
    vehicles: list[CollisionVehicle]

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": [c.case_id for c in self.cases],
            "min_cases": self.query.k,
            "radius_km": self.query.radius_km,
            "cameras": self.cameras,
            "vehicles": [v.to_json() for v in self.vehicles],
        }


def _union(branches: list[ibis.Table]) -> ibis.Table:
    expr = branches[0]
    for branch in branches[1:]:
        expr = expr.union(branch, distinct=False)
    return expr


def county_fleet(store: Store, history: Window) -> int:
    """How many distinct vehicles the county's cameras saw in the last week of ``history`` (approximate)."""
    first_day, last_day = history.days()
    row = store.con.execute(
        f"SELECT approx_count_distinct(plate) FROM reads "
        f"WHERE day BETWEEN DATE '{last_day}' - INTERVAL 6 DAY AND DATE '{last_day}'"
    ).fetchone()
    return max(1, int(row[0] or 0)) if row else 1


def collide(store: Store, query: CollideQuery) -> CollideResult:
    """Vehicles seen around at least K of the cases, ranked by how surprising that is."""
    from pingan.anpr.suspects import read_json  # one way to render a read

    cases = [load_case(store, cid) for cid in query.case_ids]
    areas = {c.case_id: area_around(store, c.lon, c.lat, query.radius_km) for c in cases}
    windows = {c.case_id: Window(c.start, c.end).widened(query.pad) for c in cases}
    cameras = {cid: a.camera_ids for cid, a in areas.items()}
    branches = [
        reads_expr(store, cameras[c.case_id], windows[c.case_id])
        .select("camera_id", "ts", "plate", "plate_raw", "confidence")
        .mutate(case_id=ibis.literal(c.case_id))
        for c in cases if cameras[c.case_id]
    ]
    if not branches:
        return CollideResult(query, cases, cameras, [])
    seen = _union(branches)
    hits = seen.group_by("plate").aggregate(n_cases=seen.case_id.nunique())
    hits = hits.filter(hits.n_cases >= query.k)
    plates = hits.to_pandas()["plate"].tolist()
    if not plates:
        return CollideResult(query, cases, cameras, [])
    reads = seen.filter(seen.plate.isin(plates)).to_pandas().sort_values("ts")

    # The chance of each vehicle being seen around each case anyway, from the weeks before each case.
    probability = pd.DataFrame(index=pd.Index(plates, name="plate"))
    fleet = county_fleet(store, history_window(windows[cases[0].case_id], query.history))
    for case in cases:
        cams = cameras[case.case_id]
        history = history_window(windows[case.case_id], query.history)
        days = query.history.days
        if cams:
            t = reads_expr(store, cams, history)
            area_daily = t.aggregate(v=t.plate.nunique(), d=t.day.nunique()).to_pandas().iloc[0]
            per_plate = (t.filter(t.plate.isin(plates)).group_by("plate")
                         .aggregate(days=t.day.nunique()).to_pandas().set_index("plate")["days"])
            # prior: the share of the county's vehicles this area sees on an ordinary day
            prior = float(area_daily["v"]) / max(1.0, float(area_daily["d"] or 1)) / fleet
        else:
            per_plate, prior = pd.Series(dtype=float), 0.0
        seen_days = probability.index.map(per_plate).fillna(0).to_numpy(dtype=float)
        strength = 2.0  # pseudo-days of the prior
        probability[case.case_id] = np.clip((seen_days + strength * prior) / (days + strength), 1e-4, 0.999)

    watchlists = Watchlists.load(store, valid_at=min(w.start for w in windows.values()))
    vehicles: list[CollisionVehicle] = []
    category_of = {c.case_id: c.category for c in cases}
    for plate, plate_reads in reads.groupby("plate", sort=False):
        hit = [cid for cid in query.case_ids if cid in set(plate_reads["case_id"])]
        p = probability.loc[plate]
        surprise = float(-sum(np.log(p[cid]) for cid in hit)
                         - sum(np.log1p(-p[cid]) for cid in query.case_ids if cid not in hit))
        matches = watchlists.match(plate, fuzzy=True, max_cost=MAX_FUZZY_COST)
        match, rel = None, 0.0
        if matches:
            rel, match = max(((max(relevance_of(category_of[cid], m.entry.categories) for cid in hit), m)
                              for m in matches), key=lambda s: s[0])
        # log-odds: surprise in nats above what k random areas would give, plus a relevant prior
        logit = 0.6 * (surprise - 3.0 * len(hit)) + 3.0 * rel + (1.0 if match else 0.0)
        score = float(1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40))))
        reasons = [f"seen around {len(hit)} of {len(query.case_ids)} cases: {', '.join(hit)}"]
        usual = [cid for cid in hit if p[cid] >= 0.3]
        if usual:
            reasons.append(f"often seen there anyway (around {', '.join(usual)} on most days): less surprising")
        else:
            reasons.append("rarely or never seen around these scenes in the weeks before each case")
        if match is not None:
            reasons.append(f"on watchlist '{match.entry.list}' (person {match.entry.person_id}: "
                           f"{', '.join(match.entry.categories)})" + (" matched despite a misread" if match.kind == "fuzzy" else ""))
        vehicles.append(CollisionVehicle(
            rank=0, plate=plate, cases=hit, score=score, surprise=surprise, watchlist=match, reasons=reasons,
            reads=[{**read_json(r), "case_id": r.case_id} for r in plate_reads.itertuples(index=False)],
        ))
    vehicles.sort(key=lambda v: (-v.score, -v.surprise, v.plate))
    if query.top is not None:
        vehicles = vehicles[: query.top]
    for rank, vehicle in enumerate(vehicles, start=1):
        vehicle.rank = rank
    return CollideResult(query, cases, cameras, vehicles)
