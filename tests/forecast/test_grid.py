"""Cells: stable ids, and every point lies in its own cell's box."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.forecast.grid import CellSet, Grid, cell_id, parse_cell_id, utm_epsg

TORONTO = Grid(epsg=utm_epsg(-79.4, 43.7), cell_m=250.0)


def test_toronto_is_in_utm_17_north() -> None:
    assert utm_epsg(-79.4, 43.7) == 32617
    assert utm_epsg(118.8, 32.05) == 32650


@settings(max_examples=200, deadline=None)
@given(st.floats(-79.6, -79.1), st.floats(43.58, 43.85), st.sampled_from([100.0, 250.0, 500.0]))
def test_a_point_lies_in_its_cells_bbox(lon: float, lat: float, cell_m: float) -> None:
    grid = Grid(epsg=32617, cell_m=cell_m)
    row, col = grid.locate([lon], [lat])
    min_lon, min_lat, max_lon, max_lat = grid.bbox(row, col)[0]
    assert min_lon <= lon <= max_lon and min_lat <= lat <= max_lat
    assert parse_cell_id(cell_id(row[0], col[0])) == (row[0], col[0])


def test_cell_ids_do_not_depend_on_the_other_points() -> None:
    lon, lat = np.array([-79.40, -79.38]), np.array([43.70, 43.71])
    alone = Grid.for_points(lon[:1], lat[:1]).locate(lon[:1], lat[:1])
    together = Grid.for_points(lon, lat).locate(lon, lat)
    assert (alone[0][0], alone[1][0]) == (together[0][0], together[1][0])


def test_a_box_is_about_one_cell_wide() -> None:
    row, col = TORONTO.locate([-79.4], [43.7])
    min_lon, min_lat, max_lon, max_lat = TORONTO.bbox(row, col)[0]
    assert 0.0022 < max_lat - min_lat < 0.0024          # 250 m of latitude
    assert 0.0030 < max_lon - min_lon < 0.0033          # 250 m of longitude at 43.7° N


def test_cell_set_finds_its_cells_and_nothing_else() -> None:
    rows, cols = np.array([5, 5, 7]), np.array([3, 3, 9])
    cells = CellSet.from_row_col(TORONTO, rows, cols)
    assert len(cells) == 2
    assert cells.index_of(np.array([5, 7, 6]), np.array([3, 9, 3])).tolist() == [0, 1, -1]
    assert cells.ids() == ["r5_c3", "r7_c9"]
