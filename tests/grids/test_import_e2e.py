"""End to end through the importers: a contract GeoJSON of grids and a CSV of disputes, fused, placed
and graded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from pingan.grids import disputes
from pingan.grids.fusion import fuse
from pingan.grids.grading import grade
from pingan.grids.policy import GradingPolicy, Thresholds
from pingan.store.db import Store
from tests.grids.helpers import add_cases, box_km, centre_of, local

importers = pytest.importorskip("pingan.store.importers")
if not hasattr(importers, "import_file"):
    pytest.skip("the importers are mid-build (no import_file yet)", allow_module_level=True)


def feature(grid_id: str, level: str, geometry: shapely.Geometry, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": shapely.geometry.mapping(geometry),
            "properties": {"grid_id": grid_id, "level": level, **props}}


def import_grids(store: Store, tmp_path: Path) -> None:
    grids = tmp_path / "grids.geojson"
    grids.write_text(json.dumps({"type": "FeatureCollection", "features": [
        feature("P01", "police", box_km(0, 0, 1, 1), officer_id="O1", population=4000, venues=2),
        feature("P02", "police", box_km(1, 0, 2, 1), name="东关"),
        feature("G01", "governance", box_km(0.7, 0.2, 1.9, 0.8), population=700),
    ]}, ensure_ascii=False), encoding="utf-8")
    assert importers.import_file(store, "grids", grids).accepted == 3


def test_imported_grids_are_fused_and_graded(store: Store, tmp_path: Path) -> None:
    import_grids(store, tmp_path)
    assert fuse(store).parent_of("G01") == "P02"
    add_cases(store, 1, "burglary", "2026-03-05 10:00", n=2)
    grading = grade(store, local("2026-03-10"), GradingPolicy(rule=Thresholds(red=8, yellow=2)))
    p01, p02 = sorted(grading.grades, key=lambda g: g.grid_id)
    assert (p02.colour, p02.name) == ("red", "东关") and p02.score == pytest.approx(9 + 0.5 * 0.07, abs=0.01)
    assert p01.components["complexity"]["properties"] == {"venues": {"value": 2.0, "points": 1.0}}
    assert p01.components["complexity"]["population"] == 4000 and p01.officer_id == "O1"
    assert p02.components["complexity"]["population"] == 700  # from the governance grid fused into it


def test_imported_disputes_are_placed_and_weigh_on_their_grid(store: Store, tmp_path: Path) -> None:
    import_grids(store, tmp_path)
    lon, lat = centre_of(1)
    rows = tmp_path / "disputes.csv"
    rows.write_text("dispute_id,lon,lat,level,status,opened_at,closed_at,parties\n"
                    f"J1,{lon},{lat},high,open,2026-03-01T09:00,,P1;P2\n"
                    f"J2,{lon},{lat},low,resolved,2026-03-01T09:00,2026-03-03T09:00,P3\n", encoding="utf-8")
    assert importers.import_file(store, "disputes", rows).accepted == 2
    disputes.place_all(store)
    assert disputes.get(store, "J1").grid_id == "P02"
    assert [e.to_status for e in disputes.get(store, "J2").events] == ["open", "resolved"]
    grading = grade(store, local("2026-03-10"), GradingPolicy(rule=Thresholds(red=8, yellow=2)))
    p02 = next(g for g in grading.grades if g.grid_id == "P02")
    assert p02.components["disputes"] == {"points": 4.0, "count": 1, "by_level": {"high": 1}, "escalated": 0}
