"""Every vehicle tactic over the API: plates in the body, a purpose, an audit entry, clear refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error
from tests.api.county import ACCOMPLICE, CLONED, LAST_DAY, OFFENDER


def last_audit(client: TestClient, auditor: dict[str, str], operation: str) -> dict:
    entries = client.get(f"/api/audit?operation={operation}&limit=1", headers=auditor).json()["entries"]
    assert entries, operation
    return entries[0]


ROUTES = [
    ("search", {"pattern": "苏A?23*"}),
    ("trajectory", {"plate": OFFENDER}),
    ("stay-points", {"plate": OFFENDER}),
    ("companions", {"plate": OFFENDER}),
    ("cloned", {}),
    ("night-active", {"min_reads": 3}),
    ("first-seen", {"case_id": "C001", "radius_km": 3}),
    ("loitering", {"case_id": "C001"}),
]


@pytest.mark.parametrize("route, body", ROUTES)
def test_each_tactic_answers_and_is_audited(client: TestClient, analyst: dict[str, str], auditor: dict[str, str],
                                            route: str, body: dict) -> None:
    response = client.post(f"/api/tactics/{route}", headers=analyst, json={**body, "purpose": "C001"})
    assert response.status_code == 200, response.text
    entry = last_audit(client, auditor, "anpr." + route.replace("-", "_"))
    assert entry["user"] == "ana" and entry["purpose"] == "C001" and entry["outcome"] == "ok"


@pytest.mark.parametrize("route, body", ROUTES)
def test_each_tactic_refuses_without_a_purpose(client: TestClient, analyst: dict[str, str], route: str,
                                               body: dict) -> None:
    assert_error(client.post(f"/api/tactics/{route}", headers=analyst, json=body), 403, "purpose_required")


@pytest.mark.parametrize("route, body", ROUTES)
def test_each_tactic_is_refused_to_an_auditor(client: TestClient, auditor: dict[str, str], route: str,
                                              body: dict) -> None:
    assert_error(client.post(f"/api/tactics/{route}", headers=auditor, json={**body, "purpose": "C001"}),
                 403, "forbidden")


def test_search_finds_a_partial_plate(client: TestClient, analyst: dict[str, str]) -> None:
    body = client.post("/api/tactics/search", headers=analyst, json={"pattern": "苏a?23*", "purpose": "C001"}).json()
    assert [m["plate"] for m in body["matches"]] == [OFFENDER]


def test_trajectory_of_the_burglar(client: TestClient, analyst: dict[str, str]) -> None:
    body = client.post("/api/tactics/trajectory", headers=analyst,
                       json={"plate": "苏a·12345", "purpose": "C001"}).json()
    assert body["plate"] == OFFENDER
    assert len(body["reads"]) == 25 and len(body["trips"]) == 7
    assert all(r["ts"].endswith("+08:00") for r in body["reads"])


def test_companions_find_the_accomplice(client: TestClient, analyst: dict[str, str]) -> None:
    body = client.post("/api/tactics/companions", headers=analyst, json={"plate": OFFENDER, "purpose": "C001"}).json()
    assert body["companions"][0]["plate"] == ACCOMPLICE


def test_cloned_finds_the_plate_on_two_cars(client: TestClient, analyst: dict[str, str]) -> None:
    start = (LAST_DAY - timedelta(days=10)).isoformat()
    body = client.post("/api/tactics/cloned", headers=analyst, json={"start": start, "purpose": "C001"}).json()
    assert CLONED in [p["plate"] for p in body["plates"]]
    only = client.post("/api/tactics/cloned", headers=analyst,
                       json={"start": start, "plates": [OFFENDER], "purpose": "C001"}).json()
    assert only["plates"] == []


@pytest.mark.parametrize("route, body", [
    ("trajectory", {"plate": ""}),
    ("trajectory", {"plate": "苏A12345", "start": "yesterday"}),
    ("trajectory", {"plate": "苏A12345", "trip_gap": "a while"}),
    ("trajectory", {"plate": " · "}),
    ("stay-points", {"plate": OFFENDER, "radius_km": 0}),
    ("companions", {"plate": OFFENDER, "within": "2d"}),
    ("night-active", {"night_start": 25}),
    ("search", {"pattern": "???"}),
    ("loitering", {}),
])
def test_bad_input_is_a_clear_422(client: TestClient, analyst: dict[str, str], route: str, body: dict) -> None:
    message = assert_error(client.post(f"/api/tactics/{route}", headers=analyst, json={**body, "purpose": "C001"}),
                           422, None)
    assert message.endswith(".") and len(message) > 15


def test_old_reads_need_an_authorisation(client: TestClient, analyst: dict[str, str], supervisor: dict[str, str],
                                         county_db) -> None:  # type: ignore[no-untyped-def]
    body = {"plate": OFFENDER, "start": "2020-01-01T00:00", "end": "2020-02-01T00:00", "purpose": "C001"}
    message = assert_error(client.post("/api/tactics/trajectory", headers=analyst, json=body), 403, "forbidden")
    assert "90 days" in message
    from pingan.governance.audit import Actor
    from pingan.governance.purpose import authorise
    from pingan.store.db import Store

    base = client.app.state.store_holder.get()  # type: ignore[attr-defined]
    ref = authorise(Store(path=base.path, con=base.con.cursor()), Actor("sup", "supervisor"), "C001 history")
    ok = client.post("/api/tactics/trajectory", headers=analyst, json={**body, "authorisation": ref})
    assert ok.status_code == 200 and ok.json()["reads"] == []
