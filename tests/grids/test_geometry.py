"""Placing points in grids: the right grid, None outside, borders decided the same way every time."""

from __future__ import annotations

import numpy as np
import pytest

from pingan.errors import BadInput, NotFound
from pingan.grids.geometry import load_grids, locate
from pingan.store.db import Store
from tests.grids.helpers import add_grid, add_police_row, box_km, centre_of, point_km


def test_points_land_in_the_grid_that_holds_them(store: Store) -> None:
    add_police_row(store, 3)
    points = [centre_of(2), centre_of(0), centre_of(1), point_km(0.1, 0.9)]
    assert locate(store, [p[0] for p in points], [p[1] for p in points]) == ["P03", "P01", "P02", "P01"]


def test_a_point_outside_every_grid_is_none(store: Store) -> None:
    add_police_row(store, 2)
    outside = point_km(5, 5)
    assert locate(store, [outside[0], np.nan], [outside[1], 32.0]) == [None, None]


def test_a_point_on_a_shared_border_goes_to_the_grid_whose_id_sorts_first(store: Store) -> None:
    add_police_row(store, 2)
    border = point_km(1.0, 0.5)
    grids = load_grids(store)
    assert grids.locate([border[0]], [border[1]]) == ["P01"]


def test_levels_are_separate_and_checked(store: Store) -> None:
    add_police_row(store, 1)
    add_grid(store, "G1", box_km(0, 0, 1, 1), "governance")
    p = centre_of(0)
    assert locate(store, [p[0]], [p[1]], level="governance") == ["G1"]
    with pytest.raises(BadInput, match="use one of"):
        load_grids(store, "county")


def test_many_points_at_once_and_an_empty_store(store: Store) -> None:
    assert locate(store, [118.8], [32.05]) == [None]
    add_police_row(store, 4)
    rng = np.random.default_rng(1)
    xs = rng.uniform(0.01, 3.99, 5000)
    lon_lat = np.array([point_km(x, 0.5) for x in xs])
    found = load_grids(store).locate(lon_lat[:, 0], lon_lat[:, 1])
    assert found == [f"P{int(x) + 1:02d}" for x in xs]


def test_area_and_lookup_by_id(store: Store) -> None:
    add_grid(store, "P1", box_km(0, 0, 2, 1), population=5000, venues=3)
    grids = load_grids(store)
    assert grids.areas_km2[0] == pytest.approx(2.0, rel=0.01)
    assert grids.grid("P1").properties == {"venues": 3}
    with pytest.raises(NotFound, match="no police grid 'P9'"):
        grids.grid("P9")

