"""Fusing governance grids: each goes to the police grid holding most of its area; orphans are reported."""

from __future__ import annotations

import pytest

from pingan.grids.fusion import compute_fusion, fuse
from pingan.store.db import Store
from tests.grids.helpers import add_grid, add_police_row, box_km


def parents(store: Store) -> dict[str, str | None]:
    return dict(store.con.execute("SELECT grid_id, parent_id FROM grids WHERE level = 'governance'").fetchall())


def test_a_straddling_governance_grid_goes_to_the_police_grid_with_most_of_its_area(store: Store) -> None:
    add_police_row(store, 2)  # P01: 0–1 km east, P02: 1–2 km east
    add_grid(store, "G-mostly-2", box_km(0.7, 0.2, 1.9, 0.8), "governance")  # 0.3 km in P01, 0.9 km in P02
    add_grid(store, "G-inside-1", box_km(0.1, 0.1, 0.4, 0.4), "governance")
    report = fuse(store)
    assert parents(store) == {"G-mostly-2": "P02", "G-inside-1": "P01"}
    straddler = next(f for f in report.fusions if f.governance_id == "G-mostly-2")
    assert straddler.share == pytest.approx(0.75, abs=0.01)
    assert [p for p, _ in straddler.overlaps] == ["P02", "P01"]
    assert [f.governance_id for f in report.split] == ["G-mostly-2"]
    assert report.orphans == []


def test_a_governance_grid_overlapping_no_police_grid_is_reported_and_left_without_parent(store: Store) -> None:
    add_police_row(store, 1)
    add_grid(store, "G-far", box_km(5, 5, 6, 6), "governance")
    add_grid(store, "G-touching", box_km(1, 0, 2, 1), "governance")  # shares only a border with P01
    report = fuse(store)
    assert sorted(report.orphans) == ["G-far", "G-touching"]
    assert parents(store) == {"G-far": None, "G-touching": None}
    assert "2 overlap no police grid" in report.summary()


def test_an_imported_parent_is_replaced_unless_kept_and_the_disagreement_is_reported(store: Store) -> None:
    add_police_row(store, 2)
    add_grid(store, "G1", box_km(1.1, 0.1, 1.9, 0.9), "governance", parent_id="P01")
    assert compute_fusion(store).changed[0].given_parent == "P01"
    fuse(store, keep_given=True)
    assert parents(store) == {"G1": "P01"}
    report = fuse(store)
    assert parents(store) == {"G1": "P02"}
    assert [f.governance_id for f in report.changed] == ["G1"]


def test_an_equal_split_goes_to_the_police_grid_whose_id_sorts_first(store: Store) -> None:
    add_police_row(store, 2)
    add_grid(store, "G-half", box_km(0.5, 0.2, 1.5, 0.8), "governance")
    fuse(store)
    assert parents(store) == {"G-half": "P01"}
