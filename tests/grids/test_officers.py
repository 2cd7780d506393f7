"""Officers own police grids; their workload counts grids, residents, cases and unresolved disputes."""

from __future__ import annotations

import pytest

from pingan.errors import BadInput, NotFound
from pingan.grids.disputes import NewDispute, register
from pingan.grids.fusion import fuse
from pingan.grids.officers import assign, officer, workload
from pingan.store.db import Store
from tests.grids.helpers import add_cases, add_grid, add_police_row, box_km, centre_of, local


@pytest.fixture
def beat(store: Store) -> Store:
    add_police_row(store, 3)
    add_grid(store, "G1", box_km(0.1, 0.1, 0.9, 0.5), "governance", population=1200)
    add_grid(store, "G2", box_km(0.1, 0.5, 0.9, 0.9), "governance", population=800)
    add_grid(store, "G3", box_km(1.1, 0.1, 1.9, 0.9), "governance", population=500)
    fuse(store)
    return store


def test_assigning_grids_keeps_grids_and_officers_in_step(beat: Store) -> None:
    assign(beat, "O1", ["P01", "P02"], name="Officer Wang")
    moved = assign(beat, "O2", ["P02"])
    assert moved.grid_ids == ("P02",) and officer(beat, "O1").grid_ids == ("P01",)
    owners = dict(beat.con.execute("SELECT grid_id, officer_id FROM grids WHERE level = 'police'").fetchall())
    assert owners == {"P01": "O1", "P02": "O2", "P03": None}
    with pytest.raises(BadInput, match="governance grid"):
        assign(beat, "O1", ["G1"])
    with pytest.raises(NotFound, match="no grid 'P9'"):
        assign(beat, "O1", ["P9"])


def test_workload_per_officer(beat: Store) -> None:
    assign(beat, "O1", ["P01", "P02"], name="Officer Wang")
    add_cases(beat, 0, "theft", "2026-03-05 10:00", n=3)
    add_cases(beat, 1, "theft", "2026-03-06 10:00", n=1)
    add_cases(beat, 2, "theft", "2026-03-06 10:00", n=5)
    add_cases(beat, 0, "theft", "2026-01-06 10:00", n=9)  # before the period
    lon, lat = centre_of(1)
    register(beat, NewDispute(level="low", opened_at=local("2026-03-02"), lon=lon, lat=lat))
    report = workload(beat, start=local("2026-03-01"), end=local("2026-03-10"))
    (o1,) = report.officers
    assert (o1.officer_id, o1.name, o1.police_grids, o1.governance_grids) == ("O1", "Officer Wang", ["P01", "P02"], 3)
    assert (o1.population, o1.cases, o1.open_disputes) == (2500, 4, 1)
    assert o1.area_km2 == pytest.approx(2.0, rel=0.01)
    assert report.unassigned == ["P03"]
    assert report.to_json()["officers"][0]["grids"] == 2
