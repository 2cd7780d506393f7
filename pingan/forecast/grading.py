"""Red / yellow / green grading of forecast cells, the way a grid-risk grading would do it, and its checks.

Each week every study cell gets a risk score from its recent severity-weighted cases, its longer-run rate
and its trend. The top ``red_share`` of cells by score are red candidates, the next ``yellow_share`` yellow
candidates. A colour changes only on sustained change (hysteresis): a cell turns red after ``enter_weeks``
weeks in a row as a red candidate, and stops being red only after ``exit_weeks`` weeks in a row ranked
below ``exit_factor`` × the red band. The checks that matter to a commander: how much of the next month's
crime the red cells hold, and how stable the red set is from one week to the next (Jaccard overlap).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pingan.forecast.grid import FloatArray
from pingan.forecast.history import History

# an illustrative harm weighting of the five Toronto MCI categories (unknown categories weigh 1)
SEVERITY: dict[str, float] = {"Robbery": 3.0, "Assault": 2.0, "Break and Enter": 2.0,
                              "Auto Theft": 1.5, "Theft Over": 1.0}

RED, YELLOW, GREEN = "red", "yellow", "green"


@dataclass(frozen=True)
class GradingRule:
    """How cells are scored and coloured."""

    red_share: float = 0.056
    yellow_share: float = 0.184
    recent_days: float = 28.0
    long_days: float = 364.0
    recent_weight: float = 0.5
    trend_weight: float = 0.25
    enter_weeks: int = 2
    exit_weeks: int = 2
    exit_factor: float = 1.5
    severity: dict[str, float] = field(default_factory=lambda: dict(SEVERITY))


def risk_score(history: History, rule: GradingRule) -> FloatArray:
    """Each study cell's risk: weighted cases per week, recent and long-run, plus a trend term."""
    weight = np.array([rule.severity.get(c, 1.0) for c in history.category], dtype=float)
    long_days = min(rule.long_days, history.span_days)
    long_rate = history.counts(rule.long_days, weight) / long_days * 7
    recent_rate = history.counts(rule.recent_days, weight) / rule.recent_days * 7
    quarter_rate = history.counts(91.0, weight) / 91.0 * 7
    trend = quarter_rate - long_rate
    return (1 - rule.recent_weight) * long_rate + rule.recent_weight * recent_rate + rule.trend_weight * trend


def cell_keys(history: History) -> np.ndarray:
    """A stable integer key per study cell (row and column packed), to follow cells across weeks."""
    return history.cells.rows * 10_000_000 + history.cells.cols


class Grader:
    """Colours cells week after week, remembering each cell's streaks for the hysteresis."""

    def __init__(self, rule: GradingRule | None = None) -> None:
        self.rule = rule or GradingRule()
        self.colour: dict[int, str] = {}
        self.red_streak: dict[int, int] = {}
        self.out_streak: dict[int, int] = {}

    def step(self, history: History, hysteresis: bool = True) -> pd.Series:
        """This week's colour per cell key."""
        rule = self.rule
        score = risk_score(history, rule)
        keys = cell_keys(history)
        n = len(keys)
        order = np.lexsort((keys, -score))
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n)
        n_red = max(1, int(round(rule.red_share * n)))
        n_yellow = int(round(rule.yellow_share * n))
        candidate_red = rank < n_red
        below_exit = rank >= int(round(rule.exit_factor * n_red))
        out: dict[int, str] = {}
        for key, cand, below, r in zip(keys.tolist(), candidate_red.tolist(), below_exit.tolist(), rank.tolist(),
                                       strict=True):
            was_red = self.colour.get(key) == RED
            self.red_streak[key] = self.red_streak.get(key, 0) + 1 if cand else 0
            self.out_streak[key] = self.out_streak.get(key, 0) + 1 if below else 0
            if not hysteresis:
                red = cand
            elif was_red:
                red = self.out_streak[key] < rule.exit_weeks
            else:
                red = self.red_streak[key] >= rule.enter_weeks
            out[key] = RED if red else (YELLOW if r < n_red + n_yellow else GREEN)
        self.colour = out
        return pd.Series(out)


def jaccard(a: set[int], b: set[int]) -> float:
    """Overlap of two sets: shared members over all members."""
    return len(a & b) / len(a | b) if a or b else 1.0
