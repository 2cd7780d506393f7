"""Dynamic but not jumpy: a spike does not change a grid's colour, a sustained change does, and the
history keeps every grading with the reasons that moved or held it."""

from __future__ import annotations

from datetime import timedelta

from pingan.grids.grading import PastGrade, decide, grade_series, history, series_dates
from pingan.grids.policy import Cutoffs, GradingPolicy, Hysteresis, Thresholds
from pingan.store.db import Store
from pingan.timeutil import iso_local
from tests.grids.helpers import add_cases, add_police_row, local

#: Burglary weighs 3; red from 15 points, yellow from 6 (the default weights, 14-day window).
POLICY = GradingPolicy(rule=Thresholds(red=15, yellow=6))
WEEK = timedelta(days=7)


def colours(store: Store, grid_id: str) -> dict[str, str]:
    """Local date of each grading → the grid's colour."""
    return {(iso_local(h.as_of) or "")[:10]: h.colour for h in history(store, grid_id)}


def test_a_one_week_spike_does_not_turn_a_green_grid_red(store: Store) -> None:
    add_police_row(store, 2)
    add_cases(store, 0, "burglary", "2026-03-02 10:00", n=6, every=timedelta(days=1))
    grade_series(store, series_dates(local("2026-03-02"), local("2026-04-13"), WEEK), POLICY)
    spike = history(store, "P01")
    assert {h.colour for h in spike} == {"green"}
    assert [h.raw_colour for h in spike][:4] == ["green", "red", "red", "green"]
    held = spike[1]
    assert held.score == 27.0 and held.reasons[0].startswith("stays green: qualifies for red since 2026-03-09")
    assert "6 cases in the last 14 days (6 burglary), up from 0 in the 14 days before" in held.reasons


def test_a_spike_does_not_move_a_grid_even_when_graded_every_day(store: Store) -> None:
    add_police_row(store, 1)
    add_cases(store, 0, "robbery", "2026-03-02 10:00", n=12, every=timedelta(hours=12))
    grade_series(store, series_dates(local("2026-03-01"), local("2026-04-05"), timedelta(days=1)), POLICY)
    assert {h.colour for h in history(store, "P01")} == {"green"}


def test_a_sustained_rise_turns_the_grid_yellow_then_red_and_a_sustained_fall_brings_it_back(store: Store) -> None:
    add_police_row(store, 2)
    for week in range(8):  # three burglaries a week for eight weeks, from 2 March to 26 April
        add_cases(store, 1, "burglary", local("2026-03-02 10:00") + week * WEEK, n=3, every=timedelta(days=2))
    grade_series(store, series_dates(local("2026-03-02"), local("2026-06-15"), WEEK), POLICY)
    seen = colours(store, "P02")
    assert [seen[d] for d in ("2026-03-02", "2026-03-09", "2026-03-23", "2026-03-30", "2026-04-06")] == \
        ["green", "green", "green", "yellow", "red"]
    changes = history(store, "P02", changes_only=True)
    assert [(c.previous_colour, c.colour) for c in changes] == \
        [(None, "green"), ("green", "yellow"), ("yellow", "red"), ("red", "yellow"), ("yellow", "green")]
    up = changes[2]
    assert up.reasons[0] == ("moved up from yellow to red: qualified for red on every grading since 2026-03-16 "
                             "(4 gradings over 21 days)")
    down = changes[3]
    assert down.reasons[0].startswith("moved down from red to yellow: under the red cut-off less 20% on every grading")
    assert (down.as_of - local("2026-04-27")).days >= 28  # the last cases were on 25 April
    assert colours(store, "P01") == {d: "green" for d in seen}


def test_a_score_inside_the_margin_keeps_the_colour() -> None:
    cut = Cutoffs(red=15, yellow=6)
    colour, why = decide(as_of=local("2026-03-10"), previous="red", raw="yellow", hold="red", score=13.0,
                         cutoffs=cut, past=[], hysteresis=Hysteresis())
    assert colour == "red" and why == "stays red: score 13 is within 20% under the red cut-off 15"


def test_a_jump_factor_lets_an_emergency_through_at_once() -> None:
    cut = Cutoffs(red=15, yellow=6)
    past = [PastGrade(local("2026-03-03"), "green", "green", "green")]
    colour, why = decide(as_of=local("2026-03-10"), previous="green", raw="red", hold="red", score=50.0,
                         cutoffs=cut, past=past, hysteresis=Hysteresis(jump=3))
    assert colour == "red" and "at once" in why
    colour, _ = decide(as_of=local("2026-03-10"), previous="green", raw="red", hold="red", score=50.0,
                       cutoffs=cut, past=past, hysteresis=Hysteresis())
    assert colour == "green"
