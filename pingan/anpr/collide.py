"""Multi-case collision (serial offences): vehicles seen around at least K of N cases, most likely first.

Being near two scenes is not suspicious for a commuter who passes both every day; being near three
village scenes at night from across the county is. Each case's vehicles are scored by the suspect
ranker (:func:`pingan.anpr.suspects.score_area`), which already weighs what an investigator weighs about
one scene: a regular at these cameras or a stranger, how far from home, unseen next to the scene during
the offence, odd hours, a relevant prior. A vehicle's evidence from one case is how far its score there
moves from the ranker's prior (a likelihood ratio, in nats: log-odds minus the prior log-odds); to it comes
the evidence of having been there at all: an offender's car is seen around its own scene most of the time
(0.85), this car, by the weeks before, on the share of days the area's cameras saw it (a stranger rarely,
a commuter nearly always). Evidence adds up over the cases it was seen around, and each case it was *not*
seen around takes some away (an offender's car is sometimes missed near its own scene, but not often). The
total, added to the prior odds of one vehicle among all those seen, is the probability that this is the
serial offender's vehicle (an upper bound: the prior counts only the vehicles seen around the cases).

``surprise`` is the plainer number beside it: how unlikely it was to be seen around those scenes anyway,
from the days each area's cameras saw it in the weeks before each case (a commuter scores near 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.cases import Case
from pingan.anpr.features import HistoryConfig
from pingan.anpr.ranking import Ranker
from pingan.anpr.watchlist import Match
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


#: How often an offender's car goes unseen by the cameras around one of its own scenes (missed reads,
#: misreads beyond matching, a route with no camera): what a case it was not seen around costs in evidence.
UNSEEN_AT_OWN_SCENE = 0.15


def _evidence(vehicles: pd.DataFrame, base_rate: float) -> pd.Series:
    """Per plate: the log-likelihood ratio its features give, i.e. its log-odds minus the ranker's prior
    log-odds (the share of offenders among the vehicles it learnt from)."""
    p = vehicles["score"].to_numpy(dtype=float).clip(1e-12, 1 - 1e-12)
    prior = np.log(base_rate / (1 - base_rate))
    return pd.Series(np.log(p / (1 - p)) - prior, index=vehicles["plate"].to_numpy())


def collide(store: Store, query: CollideQuery, ranker: Ranker | None = None,
            progress: Callable[[int, int, str], None] | None = None) -> CollideResult:
    """Vehicles seen around at least K of the cases, the likeliest serial offender's vehicle first.

    ``progress(done, total, case_id)`` is called after each case is scored (a busy area takes about a second).
    """
    from pingan.anpr.suspects import SuspectQuery, explain, reads_json_by_plate, score_area

    ranker = ranker or Ranker.default()
    scored = {}
    for done, cid in enumerate(query.case_ids, start=1):
        scored[cid] = score_area(store, SuspectQuery(case_id=cid, radius_km=query.radius_km, pad=query.pad,
                                                      history=query.history), ranker)
        if progress is not None:
            progress(done, len(query.case_ids), cid)
    cases = [s.case for s in scored.values()]
    cameras = {cid: s.area.camera_ids for cid, s in scored.items()}
    hits: dict[str, list[str]] = {}
    for cid in query.case_ids:
        for plate in scored[cid].vehicles["plate"].tolist():
            hits.setdefault(plate, []).append(cid)
    chosen = sorted(p for p, h in hits.items() if len(h) >= query.k)
    if not chosen:
        return CollideResult(query, cases, cameras, [])

    prior = -np.log(max(len(hits) - 1, 1))  # one vehicle among every vehicle seen around any of the cases
    days = query.history.days
    # per case, once: the chosen vehicles' rows, ranks, evidence and attributions (busy daytime areas share
    # thousands of vehicles; looking each up case by case was most of a collision's time)
    per_case: dict[str, dict[str, tuple[int, Any, dict[str, float], float]]] = {}
    for cid, s in scored.items():
        mine = [p for p in chosen if cid in hits[p]]
        at = pd.Index(s.vehicles["plate"]).get_indexer(mine)
        rows = s.vehicles.iloc[at]
        pushes = s.contributions(rows)
        evidence = _evidence(rows, ranker.base_rate).to_numpy()
        per_case[cid] = {plate: (int(rank) + 1, row, push, float(e)) for plate, rank, row, push, e in zip(
            mine, at, rows.itertuples(index=False), pushes.to_dict("records"), evidence, strict=True)}
    reads_of = {cid: reads_json_by_plate(s.reads, list(per_case[cid])) for cid, s in scored.items()}
    vehicles: list[CollisionVehicle] = []
    for plate in chosen:
        hit = hits[plate]
        missed = len(query.case_ids) - len(hit)
        seen_anyway = {cid: (float(per_case[cid][plate][1].history_days) + 0.5) / (days + 1) for cid in hit}
        surprise = float(-sum(np.log(p) for p in seen_anyway.values()))
        # each case it was seen around: what its features there say, and that it was there at all (an
        # offender's car mostly is; this car, by its weeks before, on that share of days); each case it was
        # not seen around: that an offender's car went unseen
        present = sum(np.log((1 - UNSEEN_AT_OWN_SCENE) / p) for p in seen_anyway.values())
        total = (prior + sum(per_case[cid][plate][3] for cid in hit) + present
                 + missed * np.log(UNSEEN_AT_OWN_SCENE))
        match, rel = None, -1.0
        for cid in hit:
            found = scored[cid].matches.get(plate)
            if found is not None and found[1] > rel:
                match, rel = found
        reasons = [f"seen around {len(hit)} of {len(query.case_ids)} cases: {', '.join(hit)}"]
        for cid in hit:
            s = scored[cid]
            rank, row, push, _ = per_case[cid][plate]
            why = explain(row, push, s.matches.get(plate, (None, 0.0))[0], s.case, [],
                          SuspectQuery(case_id=cid, history=query.history))
            reasons.append(f"{cid}: suspect {rank} of {len(s.vehicles)}; " + "; ".join(why[:2]))
        usual = [cid for cid, p in seen_anyway.items() if p >= 0.3]
        if usual:
            reasons.append(f"often seen there anyway (around {', '.join(usual)} on most days): less surprising")
        else:
            reasons.append("rarely or never seen around these scenes in the weeks before each case")
        if missed:
            reasons.append(f"not seen around {missed} of the cases")
        vehicles.append(CollisionVehicle(
            rank=0, plate=plate, cases=hit, score=float(1.0 / (1.0 + np.exp(-np.clip(total, -40, 40)))),
            surprise=surprise, watchlist=match, reasons=reasons,
            reads=[{**r, "case_id": cid} for cid in hit for r in reads_of[cid].get(plate, [])],
        ))
    vehicles.sort(key=lambda v: (-v.score, -v.surprise, v.plate))
    if query.top is not None:
        vehicles = vehicles[: query.top]
    for rank, vehicle in enumerate(vehicles, start=1):
        vehicle.rank = rank
    return CollideResult(query, cases, cameras, vehicles)
