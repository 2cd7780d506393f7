"""Grading: scores from severity-weighted cases, trend, disputes and complexity; colours by quota or threshold."""

from __future__ import annotations

import pytest

from pingan.errors import BadInput, Conflict, NotFound
from pingan.grids.grading import grade, history, stored_grading
from pingan.grids.policy import GradingPolicy, Quotas, Thresholds, colour_rule
from pingan.grids.scoring import ScoreWeights
from pingan.store.db import Store
from tests.grids.helpers import add_cases, add_grid, add_police_row, box_km, local


def test_a_grid_with_many_severe_cases_is_red(store: Store) -> None:
    add_police_row(store, 10)
    add_cases(store, 2, "robbery", "2026-03-05 10:00", n=4)
    add_cases(store, 5, "fraud", "2026-03-05 10:00", n=4)
    add_cases(store, 7, "theft", "2026-03-06 10:00", n=1)
    grading = grade(store, local("2026-03-10"))
    colours = {g.grid_id: g.colour for g in grading.grades}
    assert colours["P03"] == "red"
    assert colours["P06"] == "yellow"  # 10 grids: 1 red, 1 yellow by the default quotas
    assert [g.grid_id for g in grading.grades][:2] == ["P03", "P06"]
    p03 = grading.grades[0]
    assert p03.components["cases"] == {"points": 20.0, "count": 4, "severity": 20.0, "by_category": {"robbery": 4}}
    assert p03.components["trend"]["points"] == 10.0 and p03.score == 30.0
    assert "4 cases in the last 14 days (4 robbery), up from 0 in the 14 days before" in p03.reasons


def test_quotas_are_respected_and_match_the_seed_city(store: Store) -> None:
    assert Quotas().counts(1065) == (60, 196)  # the seed city: 60 red, 196 yellow, 809 green
    add_police_row(store, 40)
    for i in range(40):
        add_cases(store, i, "burglary", "2026-03-01 09:00", n=1 + i % 7)
    grading = grade(store, local("2026-03-10"))
    assert (grading.count("red"), grading.count("yellow"), grading.count("green")) == (2, 8, 30)
    worst = sorted(grading.grades, key=lambda g: -g.score)
    assert {g.colour for g in worst[:2]} == {"red"}


def test_a_quiet_city_is_not_painted_red_to_fill_a_quota(store: Store) -> None:
    add_police_row(store, 5)
    grading = grade(store, local("2026-03-10"))
    assert grading.count("green") == 5 and grading.to_json()["cutoffs"] == {"red": None, "yellow": None}


def test_thresholds_and_severity_are_configuration(store: Store) -> None:
    add_police_row(store, 3)
    add_cases(store, 0, "cable_theft", "2026-03-05 10:00", n=3)
    policy = GradingPolicy(rule=Thresholds(red=12, yellow=5),
                           weights=ScoreWeights.from_json({"severity": {"cable_theft": 4}, "trend": 0}))
    grading = grade(store, local("2026-03-10"), policy)
    assert {g.grid_id: g.colour for g in grading.grades} == {"P01": "red", "P02": "green", "P03": "green"}
    assert grading.policy["rule"] == {"name": "thresholds", "red": 12, "yellow": 5}


def test_complexity_comes_from_grid_properties(store: Store) -> None:
    add_grid(store, "P1", box_km(0, 0, 1, 1), population=20_000, venues={"bar": 2, "market": 1})
    add_grid(store, "P2", box_km(1, 0, 2, 1))
    g = {x.grid_id: x for x in grade(store, local("2026-03-10")).grades}
    complexity = g["P1"].components["complexity"]
    assert complexity["density_per_km2"] == pytest.approx(20_000, rel=0.01)
    assert complexity["properties"] == {"venues": {"value": 3.0, "points": 1.5}}
    assert g["P1"].score == pytest.approx(2.5, abs=0.02) and g["P2"].score == 0
    assert g["P1"].reasons[1:] == [f"{complexity['density_per_km2']:,.0f} residents per km²", "3 venues"]


def test_grading_the_same_date_twice_does_not_duplicate_history(store: Store) -> None:
    add_police_row(store, 3)
    grade(store, local("2026-03-03"))
    grade(store, local("2026-03-10"))
    grade(store, local("2026-03-10"))
    assert store.con.execute("SELECT count(*) FROM grid_grades").fetchone() == (6,)
    assert store.con.execute("SELECT count(*) FROM grid_gradings").fetchone() == (2,)
    assert [h.previous_colour for h in history(store, "P01")] == [None, "green"]


def test_gradings_go_forward_in_time(store: Store) -> None:
    add_police_row(store, 2)
    grade(store, local("2026-03-10"))
    with pytest.raises(Conflict, match="gradings go forward in time"):
        grade(store, local("2026-03-03"))


def test_stored_grading_and_errors_in_plain_words(store: Store) -> None:
    with pytest.raises(NotFound, match="no police grids to grade"):
        grade(store, local("2026-03-10"))
    add_police_row(store, 2)
    add_grid(store, "G1", box_km(0, 0, 1, 1), "governance")
    with pytest.raises(NotFound, match="not been graded"):
        stored_grading(store)
    grade(store, local("2026-03-10"))
    assert stored_grading(store, local("2026-03-12")).as_of == local("2026-03-10")
    with pytest.raises(NotFound, match="not been graded on or before"):
        stored_grading(store, local("2026-03-01"))
    with pytest.raises(BadInput, match="governance grid"):
        history(store, "G1")
    with pytest.raises(NotFound, match="no grid 'P9'"):
        history(store, "P9")


def test_policies_are_checked_at_the_boundary() -> None:
    with pytest.raises(BadInput, match="use one of \\['quotas', 'thresholds'\\]"):
        colour_rule("percentile")
    with pytest.raises(BadInput, match="at most 1"):
        Quotas(red=0.6, yellow=0.6)
    with pytest.raises(BadInput, match="0 < yellow ≤ red"):
        Thresholds(red=5, yellow=10)
    with pytest.raises(BadInput, match="not known; use some of"):
        GradingPolicy.from_json({"hysteresis": {"up_weeks": 3}})
    policy = GradingPolicy.from_json({"rule": {"name": "threshold", "red": 20, "yellow": 8},
                                      "hysteresis": {"up_days": 14}})
    assert GradingPolicy.from_json(policy.to_json()) == policy


def test_a_city_the_size_of_the_seed_is_graded_60_196_809(store: Store) -> None:
    import numpy as np

    from pingan.grids._arrow import append_rows
    from pingan.grids.fusion import fuse
    from pingan.grids.synth import county_grids, write_grids

    write_grids(store, county_grids((118.57, 33.91, 118.97, 34.27), police=1065, governance=5160))
    assert fuse(store).orphans == []
    rng = np.random.default_rng(3)
    n = 20_000
    lon, lat = rng.uniform(118.57, 118.97, n), rng.uniform(33.91, 34.27, n)
    start = local("2026-02-01")
    append_rows(store.con, "cases", ["case_id", "category", "lon", "lat", "start_ts", "end_ts"],
                [[f"C{i}", "theft", float(lon[i]), float(lat[i]), start, start] for i in range(n)])
    grading = grade(store, local("2026-02-10"))
    assert (grading.count("red"), grading.count("yellow"), grading.count("green")) == (60, 196, 809)
