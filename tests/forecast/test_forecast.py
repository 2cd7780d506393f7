"""forecast(): leakage, study area, hotspots, the contract's JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pingan.errors import BadInput
from pingan.forecast import MODELS, forecast, parse_cell_id, parse_horizon
from pingan.forecast.grid import Grid, cell_id
from tests.forecast.conftest import HOTSPOT, make_case, make_cases


@pytest.mark.parametrize("model", list(MODELS))
def test_future_cases_do_not_change_the_forecast(cases: pd.DataFrame, as_of: pd.Timestamp, model: str) -> None:
    past = cases[cases.start < as_of]
    # a burst of future cases far from the hotspot, and more at it, would move any leaky model
    future = pd.DataFrame([make_case(-79.41, 43.69, as_of + pd.Timedelta(hours=h)) for h in range(0, 300, 3)])
    with_future = pd.concat([cases, future], ignore_index=True)
    assert len(with_future[with_future.start >= as_of]) > 100
    a = forecast(past, as_of, model=model).to_json()
    b = forecast(with_future, as_of, model=model).to_json()
    assert a == b


def test_a_case_exactly_at_as_of_is_future(as_of: pd.Timestamp) -> None:
    base = make_cases(n_background=50, n_hotspot=10, days=300)
    at_cut = pd.DataFrame([make_case(-79.43, 43.72, as_of)])
    a = forecast(base, as_of, model="naive")
    b = forecast(pd.concat([base, at_cut], ignore_index=True), as_of, model="naive")
    assert a.to_json() == b.to_json()


def test_study_area_is_the_cells_with_a_case_before_as_of(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    lonely = pd.DataFrame([make_case(-79.30, 43.75, as_of + pd.Timedelta(days=1))])   # a new cell, after
    fc = forecast(pd.concat([cases, lonely], ignore_index=True), as_of, model="naive")
    past = cases[cases.start < as_of]
    grid = Grid.for_points(past.lon, past.lat)
    rows, cols = grid.locate(past.lon, past.lat)
    expected = {cell_id(r, c) for r, c in zip(rows, cols, strict=True)}
    got = [c["cell_id"] for c in fc.cells]
    assert set(got) == expected and len(got) == len(expected)
    row, col = grid.locate([-79.30], [43.75])
    assert cell_id(row[0], col[0]) not in got
    assert all(c["history_count"] >= 1 for c in fc.cells)


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_ranks_the_obvious_hotspot_first(cases: pd.DataFrame, as_of: pd.Timestamp, model: str) -> None:
    fc = forecast(cases, as_of, model=model)
    best = fc.cells[0]
    lon0, lat0, lon1, lat1 = best["bbox"]
    near = lon0 - 0.003 <= HOTSPOT[0] <= lon1 + 0.003 and lat0 - 0.003 <= HOTSPOT[1] <= lat1 + 0.003
    assert near, f"{model} put {best} first"
    scores = [c["score"] for c in fc.cells]
    assert scores == sorted(scores, reverse=True)
    assert min(scores) >= 0


def test_json_has_the_contract_shape(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    doc = json.loads(forecast(cases, as_of, horizon="7d", cell_m=250, model="naive").to_json())
    assert set(doc) >= {"as_of", "horizon", "cell_m", "cells"}
    assert doc["horizon"] == "7d" and doc["cell_m"] == 250.0 and isinstance(doc["cell_m"], float)
    assert pd.Timestamp(doc["as_of"]) == as_of
    assert [c["rank"] for c in doc["cells"]] == list(range(1, len(doc["cells"]) + 1))
    for cell in doc["cells"]:
        assert set(cell) >= {"rank", "cell_id", "bbox", "score"}
        assert isinstance(cell["rank"], int) and isinstance(cell["score"], float)
        assert isinstance(cell["cell_id"], str) and parse_cell_id(cell["cell_id"])
        min_lon, min_lat, max_lon, max_lat = cell["bbox"]
        assert min_lon < max_lon and min_lat < max_lat


def test_default_model_and_category(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    fc = forecast(cases, as_of, category="Robbery", model="naive", horizon="24h")
    assert fc.category == "Robbery" and fc.horizon == "24h"
    with pytest.raises(BadInput, match="expected to be one of"):
        forecast(cases, as_of, model="crystal_ball")
    with pytest.raises(BadInput, match="category"):
        forecast(cases, as_of, category="Arson")


def test_expected_counts_scale_with_the_horizon(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    week = forecast(cases, as_of, horizon="7d", model="naive")
    fortnight = forecast(cases, as_of, horizon="2w", model="naive")
    assert fortnight.cells[0]["expected"] == pytest.approx(2 * week.cells[0]["expected"], rel=1e-4)


@pytest.mark.parametrize(("text", "hours"), [("7d", 168), ("24h", 24), ("2w", 336)])
def test_horizons_parse(text: str, hours: float) -> None:
    assert parse_horizon(text) == pd.Timedelta(hours=hours)


def test_bad_horizon_is_one_clear_sentence() -> None:
    with pytest.raises(BadInput, match="horizon"):
        parse_horizon("next week")


def test_naive_and_aware_times_agree(cases: pd.DataFrame) -> None:
    naive_utc = cases.assign(start=cases.start.dt.tz_convert("UTC").dt.tz_localize(None))
    a = forecast(cases, "2017-06-01T02:00+02:00", model="naive").to_json()
    b = forecast(naive_utc, "2017-06-01T00:00", model="naive").to_json()
    assert a == b


def test_no_history_is_a_clear_error(cases: pd.DataFrame) -> None:
    with pytest.raises(BadInput, match="no cases"):
        forecast(cases, "2000-01-01T00:00Z", model="naive")


def test_every_past_case_lies_in_its_cells_json_bbox(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    fc = forecast(cases, as_of, model="naive")
    boxes = {c["cell_id"]: c["bbox"] for c in fc.cells}
    past = cases[cases.start < as_of]
    grid = Grid.for_points(past.lon, past.lat)
    rows, cols = grid.locate(past.lon, past.lat)
    for lon, lat, r, c in zip(past.lon, past.lat, rows, cols, strict=True):
        min_lon, min_lat, max_lon, max_lat = boxes[cell_id(r, c)]
        assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def test_the_evaluation_path_drops_future_cases_too(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    from pingan.forecast.evaluate import CaseArrays

    grid = Grid.for_points(cases.lon, cases.lat)

    def arrays(frame: pd.DataFrame) -> CaseArrays:
        x, y = grid.project(frame.lon, frame.lat)
        t = pd.to_datetime(frame.start, utc=True).dt.as_unit("ns").astype("int64").to_numpy()
        return CaseArrays(t, x, y, frame.category.to_numpy(dtype=object), grid)

    full = arrays(cases).history(as_of, None)
    past = arrays(cases[cases.start < as_of]).history(as_of, None)
    assert (full.age_days > 0).all()
    assert np.array_equal(full.cell, past.cell) and np.array_equal(full.age_days, past.age_days)
    assert full.cells.ids() == past.cells.ids()
