"""Hostile input: injection attempts in plates, case ids, file names and JSON; broken bodies; malformed GeoJSON.

Whatever arrives, the answer is a 4xx with one clear sentence in the one error shape (or a plain answer
about nothing), never a 500, and the store is left as it was.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pingan.cli import main
from pingan.store.db import Store, open_store
from pingan.store.importers import import_file
from tests.api.county import OFFENDER
from tests.security.conftest import app_store, wait_for_job

INJECTION = "苏A1'; DROP TABLE reads;--"
TABLES = ("reads", "cases", "cameras", "watchlist", "audit_log", "users")


def census(store: Store) -> dict[str, int]:
    return {t: store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # type: ignore[index]


@pytest.fixture
def intact(app: Any) -> Any:
    """Checks after the test that no table lost a row (the audit log and sessions may only grow)."""
    store = app_store(app)
    before = census(store)
    yield
    after = census(store)
    for table in ("reads", "cases", "cameras", "watchlist", "users"):
        assert after[table] == before[table], table
    assert after["audit_log"] >= before["audit_log"]


def assert_clean_refusal(response: Any, *statuses: int) -> str:
    assert response.status_code in statuses, response.text
    body = response.json()
    if response.status_code >= 400:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        message = body["error"]["message"]
        assert message.strip() and "\n" not in message.strip() and "Traceback" not in message
        return message
    return ""


@pytest.mark.parametrize("route, body", [
    ("/api/tactics/trajectory", {"plate": INJECTION}),
    ("/api/tactics/stay-points", {"plate": INJECTION}),
    ("/api/tactics/companions", {"plate": INJECTION}),
    ("/api/tactics/cloned", {"plates": [INJECTION, "苏A12345' OR '1'='1"]}),
    ("/api/tactics/search", {"pattern": "苏A%' OR '1'='1"}),
    ("/api/tactics/search", {"pattern": "*'--"}),
    ("/api/tactics/trajectory", {"plate": "\x00\x01\u202e苏A12345"}),
    ("/api/tactics/trajectory", {"plate": OFFENDER, "start": "2026-01-01'; DROP TABLE reads;--"}),
    ("/api/tactics/trajectory", {"plate": OFFENDER, "trip_gap": "1h; DROP TABLE reads"}),
    ("/api/tactics/first-seen", {"case_id": "C001' OR '1'='1"}),
    ("/api/tactics/loitering", {"case_id": "../../etc/passwd"}),
    ("/api/suspects", {"case_id": "C001'; DROP TABLE cases;--"}),
    ("/api/collide", {"case_ids": ["C001", "C002' OR '1'='1"]}),
])
def test_injection_in_plates_and_case_ids_is_inert(client: TestClient, headers: dict[str, dict[str, str]],
                                                   intact: None, route: str, body: dict[str, Any]) -> None:
    response = client.post(route, headers=headers["analyst"], json={**body, "purpose": "C001"})
    assert_clean_refusal(response, 200, 404, 422)
    if response.status_code == 200:  # an answer about a plate nobody has: no read of anyone comes back
        assert '"camera_id"' not in response.text and "苏A67890" not in response.text


@pytest.mark.parametrize("url", [
    "/api/cases/C001'%20OR%20'1'%3D'1",
    "/api/grids/G00'%3B%20DROP%20TABLE%20grids%3B--",
    "/api/grids/..%2F..%2Fetc%2Fpasswd",
    "/api/kpi/records?ref=period%3Dcurrent'%20OR%201%3D1",
    "/api/disputes?grid_id=G00'%20OR%20'1'%3D'1",
    "/static/..%2F..%2F..%2Fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pingan/api/app.py",
    "/vendor/leaflet/..%2F..%2F..%2F..%2Fpyproject.toml",
])
def test_injection_and_traversal_in_urls_find_nothing(client: TestClient, headers: dict[str, dict[str, str]],
                                                      intact: None, url: str) -> None:
    response = client.get(url, headers=headers["supervisor"])
    assert_clean_refusal(response, 200, 404, 422)
    assert "[build-system]" not in response.text and "def create_app" not in response.text
    if response.status_code == 200:
        assert response.json().get("total", 0) == 0


@pytest.mark.parametrize("url, role", [
    ("/api/cases?offset=1180591620717411303424", "analyst"),
    ("/api/disputes?offset=1180591620717411303424", "analyst"),
    ("/api/imports?offset=1180591620717411303424", "analyst"),
    ("/api/audit?offset=1180591620717411303424", "auditor"),
])
def test_a_huge_page_offset_is_422_not_a_database_overflow(client: TestClient, headers: dict[str, dict[str, str]],
                                                           url: str, role: str) -> None:
    """Found by schemathesis: an offset past 2**63 overflowed DuckDB's BIGINT (a 500)."""
    assert assert_clean_refusal(client.get(url, headers=headers[role]), 422).startswith("offset")


def test_audit_filters_are_parameters_not_sql(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    response = client.get("/api/audit?operation=anpr.*'%20OR%201%3D1%20--&user=x'%20OR%20'1'%3D'1",
                          headers=headers["auditor"])
    assert response.status_code == 200 and response.json()["total"] == 0


@pytest.mark.parametrize("body, where", [
    ({"plate": 123}, "plate"),
    ({"plate": {"$ne": 1}}, "plate"),
    ({"plate": ["苏A12345"]}, "plate"),
    ({"plate": "苏" * 100_000}, "plate"),
    ({"plate": OFFENDER, "purpose": "x" * 600}, "purpose"),
    ({"plate": OFFENDER, "start": {"$gt": ""}}, "start"),
    ({"plate": None}, "plate"),
    ({}, "plate"),
])
def test_wrong_types_and_huge_strings_in_json_are_422_naming_the_field(
        client: TestClient, headers: dict[str, dict[str, str]], body: dict[str, Any], where: str) -> None:
    response = client.post("/api/tactics/trajectory", headers=headers["analyst"], json=body)
    message = assert_clean_refusal(response, 422)
    assert message.startswith(where)


@pytest.mark.parametrize("content", [
    b"[1, 2, 3]",
    b"null",
    b'"just a string"',
    b"{nope",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"plate": "\xff\xfe"}',
    b'{"plate": "\\ud800", "purpose": "x"}',
    b'{"case_id": "C001", "radius_km": NaN}',
    b'{"case_id": "C001", "radius_km": Infinity, "top": 1e308}',
    b'{"case_id": "C001", "top": 99999999999999999999999999999999}',
    b'{"case_id": {"a": {"b": {"c": [[[[[[[[[[]]]]]]]]]]}}}}',
])
def test_garbage_bodies_are_4xx(client: TestClient, headers: dict[str, dict[str, str]], intact: None,
                                content: bytes) -> None:
    response = client.post("/api/suspects", headers={**headers["analyst"], "Content-Type": "application/json"},
                           content=content)
    assert_clean_refusal(response, 400, 422)


def test_extra_fields_are_ignored_not_obeyed(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    """A body cannot smuggle in a role, a user or a purpose check bypass."""
    response = client.post("/api/tactics/trajectory", headers=headers["officer"],
                           json={"plate": OFFENDER, "purpose": "C001", "role": "supervisor", "user": "sup"})
    assert response.status_code == 403


@pytest.mark.parametrize("name, status", [
    ("../../etc/passwd", 422),
    ("/", 422),
    (".csv", 422),
    ("a\x00.csv", 422),
    ("cams.exe", 422),
    ("../../tmp/pingan-escape.csv", 202),
    ("a'b\n\"; DROP TABLE cameras;--.csv", 202),
])
def test_hostile_file_names_are_refused_or_kept_inside_the_upload_folder(
        client: TestClient, headers: dict[str, dict[str, str]], name: str, status: int) -> None:
    escape = Path("/tmp/pingan-escape.csv")
    escape.unlink(missing_ok=True)
    response = client.post("/api/imports", params={"kind": "cameras", "filename": name}, headers=headers["analyst"],
                           content=b"camera_id,lon,lat\nHF1,118.8,32.0\n")
    assert_clean_refusal(response, status)
    if status == 202:
        job = wait_for_job(client, headers["analyst"], response.json()["job_id"])
        assert job["state"] == "done", job
        assert "/" not in job["filename"]
        time.sleep(0.05)
        assert not escape.exists()


# --- the command line ---------------------------------------------------------------------------------------

@pytest.fixture
def cli_db(tmp_path: Path, county_db: Path, app: Any) -> Path:
    import shutil

    app_store(app).con.execute("CHECKPOINT")
    db = tmp_path / "pingan.duckdb"
    shutil.copy(county_db, db)
    return db


@pytest.mark.parametrize("args, ok", [
    (["--purpose", "C001", "trajectory", INJECTION, "--json"], True),
    (["--purpose", "C001", "plate-search", "%' OR 1=1 --", "--json"], True),
    (["suspects", "C'; DROP TABLE cases;--"], False),
    (["import", "reads", "../../etc/passwd"], False),
    (["import", "reads", "/etc/passwd"], False),
    (["--user", "x'; DROP TABLE audit_log;--", "--purpose", "C001", "plate-search", "苏A1*", "--json"], True),
    (["--purpose", "C001", "trajectory", OFFENDER, "--start", "0001-01-01"], False),
    (["suspects", "C001", "--pad", "99999999d"], False),
    (["backup", "/proc/no-such-folder/backup"], False),
    (["disputes", "show", "D'; DROP TABLE disputes;--"], False),
])
def test_the_cli_treats_hostile_arguments_as_data(cli_db: Path, capsys: pytest.CaptureFixture[str],
                                                  args: list[str], ok: bool) -> None:
    with open_store(cli_db) as store:
        before = census(store)
    status = main(["--db", str(cli_db), *args])
    out, err = capsys.readouterr()
    assert (status == 0) is ok, err
    if not ok:
        assert status == 2 and err.startswith("pingan: ") and err.count("\n") == 1 and "Traceback" not in err
    with open_store(cli_db) as store:
        after = census(store)
        assert {t: after[t] for t in TABLES if t != "audit_log"} == {t: before[t] for t in TABLES if t != "audit_log"}
        if "--user" in args:
            assert store.con.execute("SELECT user_name FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone() == (
                args[1],)


def test_a_file_name_with_quotes_and_a_newline_imports(cli_db: Path, tmp_path: Path) -> None:
    path = tmp_path / "cams'; DROP TABLE cameras;--\n.csv"
    path.write_text("camera_id,lon,lat\nQX1,118.8,32.0\n", encoding="utf-8")
    assert main(["--db", str(cli_db), "import", "cameras", str(path)]) == 0
    with open_store(cli_db) as store:
        assert store.con.execute("SELECT count(*) FROM cameras WHERE camera_id = 'QX1'").fetchone() == (1,)


# --- malformed GeoJSON --------------------------------------------------------------------------------------

SQUARE = [[118.80, 32.00], [118.81, 32.00], [118.81, 32.01], [118.80, 32.01], [118.80, 32.00]]
BOWTIE = [[118.80, 32.00], [118.81, 32.01], [118.81, 32.00], [118.80, 32.01], [118.80, 32.00]]


def feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def polygon(ring: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize("text, says", [
    ("this is { not json", "not valid GeoJSON"),
    ("", "empty"),
    (json.dumps(feature(polygon(SQUARE), grid_id="G1", level="police")), "not a GeoJSON FeatureCollection"),
    (json.dumps({"type": "Point", "coordinates": [1, 2]}), "not a GeoJSON FeatureCollection"),
    ("[1, 2, 3]", "not a GeoJSON FeatureCollection"),
])
def test_a_file_that_is_not_a_feature_collection_is_refused_in_one_sentence(
        store: Store, tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "grids.geojson"
    path.write_text(text, encoding="utf-8")
    from pingan.errors import BadFile

    with pytest.raises(BadFile, match=says):
        import_file(store, "grids", path)
    assert store.con.execute("SELECT count(*) FROM grids").fetchone() == (0,)


def test_bad_features_are_set_aside_with_their_reason(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "grids.geojson"
    features = [
        feature(polygon(SQUARE), grid_id="OK1", level="police"),
        feature(polygon(BOWTIE), grid_id="BOW", level="police"),
        feature(polygon(SQUARE), level="police"),
        feature(polygon(SQUARE), grid_id="NOLEVEL"),
        feature({"type": "Point", "coordinates": [118.8, 32.0]}, grid_id="PT", level="police"),
        feature(None, grid_id="NOGEOM", level="police"),
        feature(polygon([[999, 999], [1000, 999], [1000, 1000], [999, 999]]), grid_id="OUT", level="police"),
        feature({"type": "Polygon", "coordinates": "garbage"}, grid_id="GARB", level="police"),
        feature(polygon(SQUARE), grid_id="X'; DROP TABLE grids;--", level="police"),
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    report = import_file(store, "grids", path)
    assert (report.accepted, report.set_aside) == (2, 7)
    reasons = dict(store.con.execute("SELECT row_number, reason FROM set_aside ORDER BY row_number").fetchall())
    assert "Self-intersection" in reasons[2]
    assert reasons[3].startswith("missing value") and reasons[4].startswith("missing value")
    assert "Point" in reasons[5] and "no geometry" in reasons[6] and "out of range" in reasons[7]
    assert reasons[8].startswith("bad geometry")
    assert {r[0] for r in store.con.execute("SELECT grid_id FROM grids").fetchall()} == {
        "OK1", "X'; DROP TABLE grids;--"}


def test_a_deeply_nested_geojson_is_refused_in_one_sentence(store: Store, tmp_path: Path) -> None:
    from pingan.errors import BadFile

    path = tmp_path / "deep.geojson"
    path.write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
    with pytest.raises(BadFile, match="nested too deeply"):
        import_file(store, "grids", path)
