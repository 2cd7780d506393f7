"""Importing every other kind: cameras, watchlist, cases, officers, disputes, grids."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import shapely

from pingan.errors import BadFile
from pingan.store.db import Store
from pingan.store.importers import KINDS, import_file
from pingan.store.rejects import list_set_aside
from tests.store.helpers import CAMERAS, count, feature, square, write_csv, write_geojson, write_parquet


def reasons(store: Store, batch_id: int) -> dict[int, str]:
    return {r["row_number"]: r["reason"] for r in list_set_aside(store, batch_id=batch_id)}


def test_kinds_are_the_contract_kinds_plus_officers_and_disputes() -> None:
    assert sorted(KINDS) == ["cameras", "cases", "disputes", "grids", "officers", "reads", "watchlist"]


# --- cameras -------------------------------------------------------------------------------------------

def test_cameras_with_bad_rows(store: Store, tmp_path: Path) -> None:
    rows = [
        *CAMERAS,
        {"camera_id": "K4", "lon": 200, "lat": 32.0},
        {"camera_id": "K5", "lon": "east", "lat": 32.0},
        {"camera_id": "K6", "lon": 118.8, "lat": None},
        {"camera_id": "K7", "lon": 118.8, "lat": 32.0, "kind": "radar"},
        {"camera_id": "K8", "lon": 118.8, "lat": 32.0, "kind": "FACE"},
        {"camera_id": "K1", "lon": 118.9, "lat": 32.0},
        {"camera_id": None, "lon": 118.9, "lat": 32.0},
    ]
    report = import_file(store, "cameras", write_csv(tmp_path, "cameras.csv", rows))
    assert (report.accepted, report.set_aside) == (4, 6)
    why = reasons(store, report.batch_id)
    assert why[4].startswith("coordinates out of range: lon 200.0, lat 32.0")
    assert why[5] == "not a number: lon 'east' is not a number"
    assert why[6] == "missing value: lat is empty"
    assert why[7] == "unknown camera kind: kind radar is not one of anpr, face, hd, gate"
    assert why[9] == "duplicate in the file: camera_id K1 is also in row 1"
    assert why[10] == "missing value: camera_id is empty"
    kinds = dict(store.con.execute("SELECT camera_id, kind FROM cameras").fetchall())
    assert kinds == {"K1": "anpr", "K2": "anpr", "K3": "anpr", "K8": "face"}


def test_cameras_again_are_already_stored_and_changed_ones_set_aside(store: Store, tmp_path: Path) -> None:
    import_file(store, "cameras", write_csv(tmp_path, "a.csv", CAMERAS))
    moved = [dict(CAMERAS[0], lon=118.85), CAMERAS[1], CAMERAS[2], {"camera_id": "K4", "lon": 118.9, "lat": 32.1}]
    report = import_file(store, "cameras", write_csv(tmp_path, "b.csv", moved))
    assert (report.accepted, report.already_stored, report.set_aside) == (1, 2, 1)
    assert reasons(store, report.batch_id) == {
        1: "already stored with other values: camera_id K1 is stored with another lon"}
    assert store.con.execute("SELECT lon FROM cameras WHERE camera_id = 'K1'").fetchone() == (118.80,)


def test_unknown_camera_columns_are_kept_in_extra(store: Store, tmp_path: Path) -> None:
    rows = [dict(CAMERAS[0], zone="鼓楼", height_m=6)]
    import_file(store, "cameras", write_csv(tmp_path, "cameras.csv", rows))
    (extra,) = store.con.execute("SELECT extra FROM cameras").fetchone()  # type: ignore[misc]
    assert json.loads(extra) == {"zone": "鼓楼", "height_m": "6"}


def test_cameras_from_parquet_keep_their_types(store: Store, tmp_path: Path) -> None:
    report = import_file(store, "cameras", write_parquet(tmp_path, "cameras.parquet", CAMERAS))
    assert report.accepted == 3 and report.file_format == "parquet"
    lons = store.con.execute("SELECT lon FROM cameras ORDER BY camera_id").fetchall()
    assert lons == [(118.80,), (118.81,), (118.82,)]


# --- watchlist -----------------------------------------------------------------------------------------

def test_watchlist_plates_are_normalised_and_categories_split(store: Store, tmp_path: Path) -> None:
    rows = [
        {"plate": "苏a·12345", "person_id": "P1", "categories": "burglary; theft"},
        {"plate": "苏Ｂ５４３２１", "person_id": "P2", "categories": "fraud；robbery", "list": "wanted",
         "valid_until": "2026-12-31", "note": "armed"},
        {"plate": "苏A12345", "person_id": "P1", "categories": "burglary"},
        {"plate": " - ", "person_id": "P3", "categories": "theft"},
        {"plate": "苏C11111", "person_id": "P4", "categories": " ; "},
        {"plate": "苏C22222", "person_id": "P5", "categories": "theft", "valid_until": "soon"},
    ]
    report = import_file(store, "watchlist", write_csv(tmp_path, "watchlist.csv", rows))
    assert (report.accepted, report.set_aside) == (2, 4)
    why = reasons(store, report.batch_id)
    assert why[3] == "duplicate in the file: the same list, plate, person_id as row 1"
    assert why[4].startswith("empty plate")
    assert why[5] == "missing value: categories is empty"
    assert why[6].startswith("unparseable time: valid_until 'soon'")
    stored = store.con.execute(
        "SELECT list, plate, plate_raw, person_id, categories, valid_until, note FROM watchlist ORDER BY plate"
    ).fetchall()
    assert stored == [
        ("priors", "苏A12345", "苏a·12345", "P1", ["burglary", "theft"], None, None),
        ("wanted", "苏B54321", "苏Ｂ５４３２１", "P2", ["fraud", "robbery"], datetime(2026, 12, 30, 16, 0),
         "armed"),
    ]


# --- cases ---------------------------------------------------------------------------------------------

CASE = {"case_id": "C1", "category": "burglary", "lon": 118.8, "lat": 32.05, "start": "2026-03-05 01:00",
        "end": "2026-03-05 03:00"}


def test_cases_with_bad_rows_and_times_in_utc(store: Store, tmp_path: Path) -> None:
    rows = [
        dict(CASE, status="open", reported_at="2026-03-05T08:00:00+08:00"),
        dict(CASE, case_id="C2", start="2026-03-05 03:00", end="2026-03-05 01:00"),
        dict(CASE, case_id="C3", lat=95),
        dict(CASE, case_id="C4", start="not a time"),
        dict(CASE, case_id="C5", category=""),
    ]
    report = import_file(store, "cases", write_csv(tmp_path, "cases.csv", rows))
    assert (report.accepted, report.set_aside) == (1, 4)
    why = reasons(store, report.batch_id)
    assert why[2].startswith("end before start: end 2026-03-05 01:00:00+08 is before start 2026-03-05 03:00:00+08")
    assert why[3].startswith("coordinates out of range")
    assert why[4].startswith("unparseable time: start 'not a time'")
    assert why[5] == "missing value: category is empty"
    assert store.con.execute("SELECT start_ts, end_ts, reported_at, status FROM cases").fetchall() == [
        (datetime(2026, 3, 4, 17), datetime(2026, 3, 4, 19), datetime(2026, 3, 5, 0), "open")]


def test_cases_twice_are_already_stored(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "cases.csv", [CASE, dict(CASE, case_id="C2", victims=2)])
    import_file(store, "cases", path)
    again = import_file(store, "cases", path)
    assert (again.accepted, again.already_stored, again.set_aside) == (0, 2, 0)
    assert count(store, "cases") == 2


# --- officers ------------------------------------------------------------------------------------------

def test_officers_with_their_grids(store: Store, tmp_path: Path) -> None:
    rows = [{"officer_id": "O1", "name": "王警官", "grid_ids": "G1;G2", "phone": "13800000000"},
            {"officer_id": "O2", "name": "", "grid_ids": "G3"},
            {"officer_id": "O3", "name": "李警官", "grid_ids": ""}]
    report = import_file(store, "officers", write_csv(tmp_path, "officers.csv", rows))
    assert (report.accepted, report.set_aside) == (2, 1)
    assert reasons(store, report.batch_id) == {2: "missing value: name is empty"}
    assert store.con.execute("SELECT officer_id, grid_ids FROM officers ORDER BY 1").fetchall() == [
        ("O1", ["G1", "G2"]), ("O3", None)]


# --- disputes ------------------------------------------------------------------------------------------

DISPUTE = {"dispute_id": "D1", "lon": 118.8, "lat": 32.05, "level": "medium", "status": "open",
           "opened_at": "2026-03-01 10:00", "category": "neighbours", "parties": "P1;P2"}


def test_disputes_with_bad_rows_and_their_history(store: Store, tmp_path: Path) -> None:
    rows = [
        DISPUTE,
        dict(DISPUTE, dispute_id="D2", status="resolved", closed_at="2026-03-02 10:00"),
        dict(DISPUTE, dispute_id="D3", level="urgent"),
        dict(DISPUTE, dispute_id="D4", status="resolved"),
        dict(DISPUTE, dispute_id="D5", status="resolved", closed_at="2026-02-01 10:00"),
        dict(DISPUTE, dispute_id="D6", parties="P1;13912345678"),
        dict(DISPUTE, dispute_id="D7", status="Escalated", closed_at="2026-03-03 09:00"),
    ]
    report = import_file(store, "disputes", write_csv(tmp_path, "disputes.csv", rows), user="clerk")
    assert (report.accepted, report.set_aside) == (3, 4)
    why = reasons(store, report.batch_id)
    assert why[3] == "unknown dispute level: level urgent is not one of low, medium, high"
    assert why[4] == "resolved without closed_at: a resolved dispute needs closed_at"
    assert why[5] == "status time before opened_at: the resolved time is before opened_at"
    assert why[6] == "party is not a pseudonymous id: record parties by an id such as P1024, not 13912345678"
    assert store.con.execute("SELECT dispute_id, status, closed_at, parties FROM disputes ORDER BY 1").fetchall() == [
        ("D1", "open", None, ["P1", "P2"]), ("D2", "resolved", datetime(2026, 3, 2, 2), ["P1", "P2"]),
        ("D7", "escalated", None, ["P1", "P2"])]
    events = store.con.execute("SELECT dispute_id, seq, at_utc, from_status, to_status, user_name "
                               "FROM dispute_events ORDER BY 1, 2").fetchall()
    assert events == [
        ("D1", 1, datetime(2026, 3, 1, 2), None, "open", "clerk"),
        ("D2", 1, datetime(2026, 3, 1, 2), None, "open", "clerk"),
        ("D2", 2, datetime(2026, 3, 2, 2), "open", "resolved", "clerk"),
        ("D7", 1, datetime(2026, 3, 1, 2), None, "open", "clerk"),
        ("D7", 2, datetime(2026, 3, 3, 1), "open", "escalated", "clerk"),
    ]


def test_the_dispute_history_reads_back_through_the_grids_module(store: Store, tmp_path: Path) -> None:
    from pingan.grids import disputes

    import_file(store, "disputes", write_csv(tmp_path, "disputes.csv",
                                             [dict(DISPUTE, status="mediating", status_at="2026-03-01 12:00")]))
    dispute = disputes.get(store, "D1")
    assert dispute.status == "mediating"
    assert [(e.from_status, e.to_status) for e in dispute.events] == [(None, "open"), ("open", "mediating")]


@pytest.mark.parametrize("party", ["P1024", "A-1", "x:2#3", "13912345678", "+8613912345678", "张三",
                                   "32010219900101123X", "320102900101123", "", "-P1"])
def test_the_party_rule_agrees_with_the_grids_module(store: Store, tmp_path: Path, party: str) -> None:
    from pingan.errors import BadInput
    from pingan.grids.disputes import check_party

    try:
        check_party(party)
        allowed = True
    except BadInput:
        allowed = False
    if party == "":
        allowed = True  # an empty entry of the list is dropped, not refused
    report = import_file(store, "disputes", write_csv(tmp_path, "d.csv", [dict(DISPUTE, parties=f"P9;{party}")]))
    assert report.accepted == int(allowed)


# --- grids ---------------------------------------------------------------------------------------------

BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def test_grids_from_geojson_with_bad_features(store: Store, tmp_path: Path) -> None:
    multi = {"type": "MultiPolygon", "coordinates": [square(118.9, 32.0)["coordinates"],
                                                     square(118.95, 32.0)["coordinates"]]}
    features = [
        feature(square(118.8, 32.0), grid_id="G1", level="police", name="鼓楼一格", population=1200, colour="red"),
        feature(multi, grid_id="G2", level="Governance", parent_id="G1", officer_id="O1"),
        feature({"type": "Point", "coordinates": [118.8, 32.0]}, grid_id="G3", level="police"),
        feature(BOWTIE, grid_id="G4", level="police"),
        feature(square(190, 32.0), grid_id="G5", level="police"),
        feature(square(118.8, 32.1), grid_id="G6", level="county"),
        feature(square(118.8, 32.2), level="police"),
        feature(None, grid_id="G8", level="police"),
        feature(square(118.8, 32.3), grid_id="G1", level="police"),
    ]
    report = import_file(store, "grids", write_geojson(tmp_path, features))
    assert (report.file_format, report.accepted, report.set_aside) == ("geojson", 2, 7)
    why = reasons(store, report.batch_id)
    assert why[3] == "bad geometry: the geometry is a Point, not a Polygon or MultiPolygon"
    assert why[4].startswith("bad geometry: invalid polygon: Self-intersection")
    assert why[5].startswith("bad geometry: coordinates out of range")
    assert why[6] == "unknown grid level: level county is not one of police, governance"
    assert why[7] == "missing value: grid_id is empty"
    assert why[8] == "bad geometry: the feature has no geometry"
    assert why[9] == "duplicate in the file: grid_id G1 is also in row 1"
    assert list_set_aside(store, batch_id=report.batch_id)[0]["row"]["geometry"]["type"] == "Point"
    rows = store.con.execute("SELECT grid_id, level, name, population, geometry, min_lon, min_lat, max_lon, max_lat, "
                             "properties FROM grids ORDER BY grid_id").fetchall()
    g1 = rows[0]
    assert g1[:4] == ("G1", "police", "鼓楼一格", 1200)
    assert shapely.from_wkb(bytes(g1[4])).equals(shapely.geometry.shape(square(118.8, 32.0)))
    assert g1[5:9] == pytest.approx((118.8, 32.0, 118.81, 32.01))
    assert json.loads(g1[9])["colour"] == "red"
    assert rows[1][:2] == ("G2", "governance")


def test_imported_grids_load_in_the_grids_module(store: Store, tmp_path: Path) -> None:
    from pingan.grids.geometry import load_grids

    import_file(store, "grids", write_geojson(tmp_path, [feature(square(118.8, 32.0), grid_id="G1", level="police")]))
    grids = load_grids(store, "police")
    assert grids.locate([118.805, 0.0], [32.005, 0.0]) == ["G1", None]


def test_grids_twice_are_already_stored(store: Store, tmp_path: Path) -> None:
    path = write_geojson(tmp_path, [feature(square(118.8, 32.0), grid_id="G1", level="police")])
    import_file(store, "grids", path)
    again = import_file(store, "grids", path)
    assert (again.accepted, again.already_stored) == (0, 1)


@pytest.mark.parametrize("text, problem", [
    ('{"type": "FeatureCollection", "features": [', "is not valid GeoJSON"),
    ('{"type": "Feature", "geometry": null, "properties": {}}', "is not a GeoJSON FeatureCollection"),
    ("", "is empty"),
])
def test_a_file_that_is_not_a_feature_collection_is_a_bad_file(store: Store, tmp_path: Path, text: str,
                                                                problem: str) -> None:
    path = tmp_path / "grids.geojson"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadFile, match=problem):
        import_file(store, "grids", path)
    assert count(store, "import_batches") == 0


def test_grids_must_come_as_geojson_and_others_must_not(store: Store, tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="GeoJSON"):
        import_file(store, "grids", write_csv(tmp_path, "grids.csv", [{"grid_id": "G1", "level": "police"}]))
    with pytest.raises(BadFile, match="looks like GeoJSON"):
        import_file(store, "cameras", write_geojson(tmp_path, []))


def test_a_feature_collection_without_grid_ids_is_a_bad_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="lacks the required column grid_id"):
        import_file(store, "grids", write_geojson(tmp_path, [feature(square(118.8, 32.0), id="G1", level="police")]))


def test_a_dispute_without_a_status_is_open(store: Store, tmp_path: Path) -> None:
    row = {k: v for k, v in DISPUTE.items() if k != "status"}
    report = import_file(store, "disputes", write_csv(tmp_path, "disputes.csv", [row]))
    assert report.accepted == 1
    assert store.con.execute("SELECT status FROM disputes").fetchall() == [("open",)]
    assert count(store, "dispute_events") == 1
