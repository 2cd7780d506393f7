"""Base layers, police grids with grades and history, disputes, and forecasts over the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import assert_error


def test_roads_come_from_the_county_file(client: TestClient, officer: dict[str, str]) -> None:
    roads = client.get("/api/layers/roads", headers=officer).json()
    assert roads["type"] == "FeatureCollection" and roads["source"] == "roads.geojson"
    assert len(roads["features"]) == 10


def test_roads_fall_back_to_camera_links(store) -> None:  # type: ignore[no-untyped-def]
    from pingan.reports.basemap import roads

    for i, (lon, lat) in enumerate([(118.80, 32.00), (118.82, 32.00), (118.81, 32.00)]):
        store.con.execute("INSERT INTO cameras (camera_id, lon, lat, road) VALUES (?, ?, ?, '人民路')",
                          [f"X{i}", lon, lat])
    layer = roads(store)
    assert layer["source"] == "cameras"
    [line] = layer["features"]
    assert [c[0] for c in line["geometry"]["coordinates"]] == [118.80, 118.81, 118.82]


def test_extent(client: TestClient, auditor: dict[str, str]) -> None:
    box = client.get("/api/layers/extent", headers=auditor).json()["bbox"]
    assert box[0] < 118.8 < box[2] and box[1] < 32.05 < box[3]


def test_police_grids_carry_grade_officer_and_disputes(client: TestClient, officer: dict[str, str]) -> None:
    grids = client.get("/api/grids", headers=officer).json()
    assert grids["grading"]["available"] is True
    props = {f["properties"]["grid_id"]: f["properties"] for f in grids["features"]}
    assert set(props) == {f"G{r}{c}" for r in range(4) for c in range(4)}
    assert all(p["colour"] in ("red", "yellow", "green") and p["reasons"] for p in props.values())
    assert props["G00"]["officer_name"] == "民警01" and props["G00"]["open_disputes"] == 2
    assert props["G33"]["officer_name"] is None
    governance = client.get("/api/grids?level=governance", headers=officer).json()
    assert [f["id"] for f in governance["features"]] == ["GOV-1"]
    assert_error(client.get("/api/grids?level=village", headers=officer), 422, "bad_input")


def test_a_grid_with_its_history_and_why(client: TestClient, officer: dict[str, str]) -> None:
    grid = client.get("/api/grids/G00", headers=officer).json()
    assert grid["officer"]["name"] == "民警01"
    assert [d["dispute_id"] for d in grid["open_disputes"]] == ["D002", "D001"]
    assert len(grid["history"]) == 13
    assert all(h["reasons"] for h in grid["history"])
    assert_error(client.get("/api/grids/NOPE", headers=officer), 404, "not_found")


def test_disputes_are_paginated_and_filtered(client: TestClient, officer: dict[str, str]) -> None:
    everything = client.get("/api/disputes", headers=officer).json()
    assert everything["total"] == 6
    page = client.get("/api/disputes?limit=2&offset=2", headers=officer).json()
    assert len(page["disputes"]) == 2 and page["disputes"][0] == everything["disputes"][2]
    unresolved = client.get("/api/disputes?status=unresolved", headers=officer).json()
    assert unresolved["total"] == 4
    assert client.get("/api/disputes?grid_id=G33", headers=officer).json()["total"] == 2
    assert_error(client.get("/api/disputes?status=maybe", headers=officer), 422, "bad_input")


def test_forecast_cells(client: TestClient, auditor: dict[str, str]) -> None:
    body = client.get("/api/forecast?horizon=7d&cell_m=500&top=5", headers=auditor).json()
    assert len(body["cells"]) == 5 and body["study_cells"] >= 5
    scores = [c["score"] for c in body["cells"]]
    assert scores == sorted(scores, reverse=True) and body["max_score"] == scores[0]
    assert len(body["cells"][0]["bbox"]) == 4


def test_forecast_bad_input(client: TestClient, auditor: dict[str, str]) -> None:
    assert "horizon" in assert_error(client.get("/api/forecast?horizon=soon", headers=auditor), 422, "bad_input")
    assert_error(client.get("/api/forecast?cell_m=1", headers=auditor), 422, "bad_input")
    assert_error(client.get("/api/forecast?as_of=someday", headers=auditor), 422, "bad_input")
