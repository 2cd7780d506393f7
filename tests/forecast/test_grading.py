"""Red/yellow/green grading: shares of cells and hysteresis."""

from __future__ import annotations

import pandas as pd

from pingan.forecast.grading import RED, YELLOW, Grader, GradingRule, jaccard
from pingan.forecast.grid import Grid
from pingan.forecast.history import history_from_frame
from tests.forecast.conftest import make_case


def _history(cases: pd.DataFrame, when: str):  # type: ignore[no-untyped-def]
    grid = Grid(epsg=32617, cell_m=250.0)
    return history_from_frame(cases, pd.Timestamp(when, tz="UTC"), grid=grid)


def test_colour_shares_without_hysteresis(cases: pd.DataFrame) -> None:
    colours = Grader(GradingRule()).step(_history(cases, "2017-05-08"), hysteresis=False)
    n = len(colours)
    assert (colours == RED).sum() == max(1, round(0.056 * n))
    assert (colours == YELLOW).sum() == round(0.184 * n)


def test_red_takes_two_weeks_as_a_candidate(cases: pd.DataFrame) -> None:
    grader, plain = Grader(GradingRule()), Grader(GradingRule())
    first = grader.step(_history(cases, "2017-05-01"))
    assert (first == RED).sum() == 0                     # nobody is red after a single week
    second = grader.step(_history(cases, "2017-05-08"))
    candidates = [plain.step(_history(cases, w), hysteresis=False) for w in ("2017-05-01", "2017-05-08")]
    both = set(candidates[0].index[candidates[0] == RED]) & set(candidates[1].index[candidates[1] == RED])
    assert set(second.index[second == RED]) == both


def test_a_red_cell_needs_two_quiet_weeks_to_turn_back(cases: pd.DataFrame) -> None:
    grader = Grader(GradingRule(red_share=0.01))
    for week in ("2017-05-01", "2017-05-08"):
        colours = grader.step(_history(cases, week))
    red = set(colours.index[colours == RED])
    assert red
    # a sudden burst elsewhere pushes the red cell down the ranking, but only for a week: it stays red
    burst = pd.DataFrame([make_case(-79.41 + 0.003 * i, 43.69, "2017-05-10") for i in range(6) for _ in range(40)])
    colours = grader.step(_history(pd.concat([cases, burst], ignore_index=True), "2017-05-15"))
    assert red <= set(colours.index[colours == RED])


def test_jaccard() -> None:
    assert jaccard({1, 2}, {2, 3}) == 1 / 3
    assert jaccard(set(), set()) == 1.0
