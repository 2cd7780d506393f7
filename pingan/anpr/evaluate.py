"""How well suspects and collide find the planted offenders of a simulated county (its answer key).

For each planted offence the offender's vehicle is found in the ranked list either by its plate or, when
all its reads near the scene were misread, by the candidate whose fuzzy watchlist match names its plate.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.collide import CollideQuery, collide
from pingan.anpr.features import FEATURES
from pingan.anpr.ranking import Ranker
from pingan.anpr.suspects import Candidate, SuspectQuery, SuspectsResult, suspects
from pingan.store.db import Store


@dataclass
class OffenceOutcome:
    case_id: str
    plate: str
    watchlisted: bool
    misread_near_scene: bool
    rank: int | None  # None: not in the list at all (not seen near the scene)
    score: float | None
    rank_with_accomplice: int | None  # the better of the offender's and the accomplice car's rank
    vehicles_seen: int
    seconds: float


@dataclass
class SerialOutcome:
    serial_id: str
    plate: str
    cases: int
    rank: int | None
    vehicles: int


#: Score bins of the reliability table: of the vehicles scored 0.2–0.5, were about a third the offender's?
CALIBRATION_BINS = (0.0, 0.001, 0.01, 0.05, 0.2, 0.5, 1.0)


@dataclass
class Reliability:
    """Per score bin (CALIBRATION_BINS): how many vehicles, the sum of their scores, how many were offenders'.
    A calibrated score has, in every bin, a mean score close to the share of offenders."""

    vehicles: list[int] = field(default_factory=lambda: [0] * (len(CALIBRATION_BINS) - 1))
    score_sum: list[float] = field(default_factory=lambda: [0.0] * (len(CALIBRATION_BINS) - 1))
    offenders: list[int] = field(default_factory=lambda: [0] * (len(CALIBRATION_BINS) - 1))

    def add(self, score: np.ndarray, label: np.ndarray) -> None:
        where = np.clip(np.searchsorted(CALIBRATION_BINS, score, side="right") - 1, 0, len(CALIBRATION_BINS) - 2)
        for b in range(len(CALIBRATION_BINS) - 1):
            mine = where == b
            self.vehicles[b] += int(mine.sum())
            self.score_sum[b] += float(score[mine].sum())
            self.offenders[b] += int(label[mine].sum())

    def merged(self, other: Reliability) -> Reliability:
        return Reliability([a + b for a, b in zip(self.vehicles, other.vehicles, strict=True)],
                           [a + b for a, b in zip(self.score_sum, other.score_sum, strict=True)],
                           [a + b for a, b in zip(self.offenders, other.offenders, strict=True)])

    def rows(self) -> list[dict[str, Any]]:
        """Per bin: ``low``, ``high``, ``vehicles``, ``mean_score``, ``offender_share``, ``offenders``."""
        return [{"low": CALIBRATION_BINS[b], "high": CALIBRATION_BINS[b + 1], "vehicles": n,
                 "mean_score": self.score_sum[b] / n if n else None,
                 "offender_share": self.offenders[b] / n if n else None, "offenders": self.offenders[b]}
                for b, n in enumerate(self.vehicles)]


@dataclass
class Evaluation:
    offences: list[OffenceOutcome] = field(default_factory=list)
    serials: list[SerialOutcome] = field(default_factory=list)
    brier: float | None = None
    candidates_scored: int = 0
    reliability: Reliability = field(default_factory=Reliability)

    def metrics(self) -> dict[str, Any]:
        """Top-k rates, serial ranks and the Brier score, as reported in docs/benchmarks.md."""
        def rate(outcomes: list[OffenceOutcome], k: int) -> float | None:
            if not outcomes:
                return None
            return sum(1 for o in outcomes if o.rank is not None and o.rank <= k) / len(outcomes)

        def rate_either(outcomes: list[OffenceOutcome], k: int) -> float | None:
            if not outcomes:
                return None
            return sum(1 for o in outcomes if o.rank_with_accomplice is not None
                       and o.rank_with_accomplice <= k) / len(outcomes)

        watched = [o for o in self.offences if o.watchlisted]
        misread = [o for o in watched if o.misread_near_scene]
        unwatched = [o for o in self.offences if not o.watchlisted]
        return {
            "offences": len(self.offences),
            "watchlisted": len(watched),
            "watchlisted_top1": rate(watched, 1),
            "watchlisted_top5": rate(watched, 5),
            "watchlisted_top1_or_accomplice": rate_either(watched, 1),
            "misread_watchlisted": len(misread),
            "misread_top1": rate(misread, 1),
            "misread_top5": rate(misread, 5),
            "not_watchlisted": len(unwatched),
            "not_watchlisted_top10": rate(unwatched, 10),
            "serial_ranks": [s.rank for s in self.serials],
            "serial_top2": (sum(1 for s in self.serials if s.rank is not None and s.rank <= 2) / len(self.serials))
            if self.serials else None,
            "brier": self.brier,
            "candidates_scored": self.candidates_scored,
            "reliability": self.reliability.rows(),
            "median_vehicles_seen": float(np.median([o.vehicles_seen for o in self.offences])) if self.offences else None,
            "p50_seconds": float(np.median([o.seconds for o in self.offences])) if self.offences else None,
        }

    def merge(self, other: Evaluation) -> Evaluation:
        scored = self.candidates_scored + other.candidates_scored
        brier = None
        if scored:
            brier = ((self.brier or 0) * self.candidates_scored + (other.brier or 0) * other.candidates_scored) / scored
        return Evaluation(self.offences + other.offences, self.serials + other.serials, brier, scored,
                          self.reliability.merged(other.reliability))

    def to_json(self) -> dict[str, Any]:
        return {"metrics": self.metrics(), "offences": [asdict(o) for o in self.offences],
                "serials": [asdict(s) for s in self.serials]}


def offender_rank(result: SuspectsResult, plate: str) -> tuple[int | None, float | None]:
    """Where the offender's vehicle stands: by plate, or by a fuzzy match naming its plate."""
    for c in result.candidates:
        if _is(c, plate):
            return c.rank, c.score
    return None, None


def _is(c: Candidate, plate: str | None) -> bool:
    """Is candidate ``c`` the vehicle with ``plate``, read right or matched fuzzily to it?"""
    return plate is not None and (c.plate == plate or (c.watchlist is not None and c.watchlist.kind == "fuzzy"
                                                      and c.watchlist.entry.plate == plate))


def labelled_features(result: SuspectsResult, plate: str, accomplice_plate: str | None = None) -> pd.DataFrame:
    """The candidates' features with ``label`` 1 for the offender's vehicle: training data for the ranker.

    ``accomplice`` marks a serial offender's accomplice car (it travelled with the offender's, seconds
    apart), for the figures that count it ("top-1 or its accomplice car"). Training keeps it as one of the
    other vehicles: leaving it out was tried (session 4) and ranked no better. ``plate`` names each
    candidate, so a miss can be traced to what that vehicle did (``bench/miss_replay.py``).
    """
    rows = []
    for c in result.candidates:
        rows.append({**{k: c.features[k] for k in FEATURES}, "label": int(_is(c, plate)),
                     "accomplice": int(_is(c, accomplice_plate)), "score": c.score, "case_id": result.case.case_id,
                     "plate": c.plate})
    return pd.DataFrame(rows)


def evaluate(store: Store, answer_key: dict[str, Any], *, radius_km: float = 5.0, ranker: Ranker | None = None,
             collect: list[pd.DataFrame] | None = None) -> Evaluation:
    """Run suspects on every planted offence and collide on every serial offender of a county."""
    import time

    evaluation = Evaluation()
    sq_errors, scored = 0.0, 0
    for offence in answer_key["offences"]:
        started = time.perf_counter()
        result = suspects(store, SuspectQuery(case_id=offence["case_id"], radius_km=radius_km), ranker=ranker)
        seconds = time.perf_counter() - started
        rank, score = offender_rank(result, offence["plate"])
        either = rank
        if offence.get("accomplice_plate"):
            other, _ = offender_rank(result, offence["accomplice_plate"])
            either = min(r for r in (rank, other) if r is not None) if (rank or other) else None
        evaluation.offences.append(OffenceOutcome(
            case_id=offence["case_id"], plate=offence["plate"], watchlisted=bool(offence["watchlisted"]),
            misread_near_scene=bool(offence.get("misread_near_scene")), rank=rank, score=score,
            rank_with_accomplice=either,
            vehicles_seen=result.vehicles_seen, seconds=seconds,
        ))
        frame = labelled_features(result, offence["plate"], offence.get("accomplice_plate"))
        if not frame.empty:
            sq_errors += float(((frame["score"] - frame["label"]) ** 2).sum())
            scored += len(frame)
            evaluation.reliability.add(frame["score"].to_numpy(dtype=float), frame["label"].to_numpy(dtype=int))
            if collect is not None:
                collect.append(frame)
    for serial in answer_key.get("serials", []):
        case_ids = tuple(serial["case_ids"])
        result = collide(store, CollideQuery(case_ids=case_ids, min_cases=max(2, len(case_ids) - 1),
                                             radius_km=radius_km), ranker=ranker)
        rank = next((v.rank for v in result.vehicles if v.plate == serial["plate"]), None)
        evaluation.serials.append(SerialOutcome(serial["serial_id"], serial["plate"], len(case_ids), rank,
                                                len(result.vehicles)))
    evaluation.brier = sq_errors / scored if scored else None
    evaluation.candidates_scored = scored
    return evaluation


def load_answer_key(county: Path) -> dict[str, Any]:
    return json.loads((county / "answer_key.json").read_text(encoding="utf-8"))
