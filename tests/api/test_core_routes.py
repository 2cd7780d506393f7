"""Login, who am I, cases, cameras, suspects and collide over the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import assert_error
from tests.api.county import ACCOMPLICE, OFFENDER, PASSWORD


def test_health_counts_the_store(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["counts"]["cameras"] == 25 and body["counts"]["reads"] > 10_000


def test_login_sets_an_httponly_cookie_and_a_wrong_password_is_401(client: TestClient) -> None:
    response = client.post("/api/login", json={"user": "ana", "password": PASSWORD})
    assert response.status_code == 200
    assert "httponly" in response.headers["set-cookie"].lower()
    assert client.get("/api/me").json() == {"user": "ana", "role": "analyst"}  # the cookie alone is enough
    client.cookies.clear()
    assert_error(client.post("/api/login", json={"user": "ana", "password": "wrong password"}), 401, "unauthenticated")
    assert_error(client.post("/api/login", json={"user": "ana"}), 422, "bad_input")


def test_logout_ends_the_session(client: TestClient) -> None:
    token = client.post("/api/login", json={"user": "off", "password": PASSWORD}).json()["token"]
    client.cookies.clear()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/logout", headers=headers).json() == {"ok": True}
    client.cookies.clear()
    assert_error(client.get("/api/me", headers=headers), 401)


def test_me(client: TestClient, supervisor: dict[str, str]) -> None:
    assert client.get("/api/me", headers=supervisor).json() == {"user": "sup", "role": "supervisor"}


def test_cases_are_paginated(client: TestClient, officer: dict[str, str]) -> None:
    first = client.get("/api/cases?limit=10", headers=officer).json()
    second = client.get("/api/cases?limit=10&offset=10", headers=officer).json()
    assert first["total"] == second["total"] == 364
    assert len(first["cases"]) == len(second["cases"]) == 10
    assert not {c["case_id"] for c in first["cases"]} & {c["case_id"] for c in second["cases"]}
    assert_error(client.get("/api/cases?limit=0", headers=officer), 422, "bad_input")
    assert_error(client.get("/api/cases?limit=5000", headers=officer), 422, "bad_input")


def test_one_case_and_an_unknown_one(client: TestClient, analyst: dict[str, str]) -> None:
    case = client.get("/api/cases/C001", headers=analyst).json()
    assert case["category"] == "burglary" and case["start"].endswith("+08:00")
    assert "C404" in assert_error(client.get("/api/cases/C404", headers=analyst), 404, "not_found")


def test_cameras(client: TestClient, analyst: dict[str, str], auditor: dict[str, str]) -> None:
    cameras = client.get("/api/cameras", headers=analyst).json()["cameras"]
    assert len(cameras) == 25 and {"camera_id", "lon", "lat", "road"} <= set(cameras[0])
    assert_error(client.get("/api/cameras", headers=auditor), 403, "forbidden")


def test_suspects_put_the_burglar_first(client: TestClient, analyst: dict[str, str]) -> None:
    body = client.post("/api/suspects", headers=analyst, json={"case_id": "C001", "top": 5}).json()
    assert body["candidates"][0]["plate"] == OFFENDER
    assert body["candidates"][0]["watchlist"]["person_id"] == "P001"
    assert body["candidates"][0]["reasons"] and body["candidates"][0]["reads"]
    assert len(body["candidates"]) == 5 and body["vehicles_seen"] >= 5


def test_collide_finds_the_pair_at_all_three(client: TestClient, analyst: dict[str, str]) -> None:
    body = client.post("/api/collide", headers=analyst,
                       json={"case_ids": ["C001", "C002", "C003"], "min_cases": 3}).json()
    assert [v["plate"] for v in body["vehicles"][:2]] == [OFFENDER, ACCOMPLICE]
    assert_error(client.post("/api/collide", headers=analyst, json={"case_ids": ["C001"]}), 422, "bad_input")
    assert_error(client.post("/api/collide", headers=analyst, json={"case_ids": ["C001", "C002"], "min_cases": 5}),
                 422, "bad_input")
