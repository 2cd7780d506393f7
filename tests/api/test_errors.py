"""One JSON error shape everywhere, 401 before anything personal, 422 with a clear sentence, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error

PUBLIC = {("/api/login", "post"), ("/health", "get")}


def api_operations(client: TestClient) -> list[tuple[str, str]]:
    schema = client.get("/openapi.json").json()
    return [(path, method) for path, item in schema["paths"].items() for method in item
            if method in ("get", "post", "put", "patch", "delete")]


def test_every_route_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert op.get("description") or op.get("summary"), f"{method.upper()} {path} has no description"
            assert op.get("tags"), f"{method.upper()} {path} has no tag"


def test_every_api_route_needs_a_login(client: TestClient) -> None:
    client.cookies.clear()
    for path, method in api_operations(client):
        if (path, method) in PUBLIC:
            continue
        url = path.replace("{case_id}", "C001").replace("{grid_id}", "G00").replace("{job_id}", "x") \
            .replace("{batch_id}", "1")
        response = client.request(method.upper(), url, json={})
        assert_error(response, 401, "unauthenticated")


def test_no_plate_or_purpose_travels_in_a_url(client: TestClient) -> None:
    """Personal data goes in request bodies: no route takes a plate, pattern or purpose as a path or query."""
    schema = client.get("/openapi.json").json()
    for path, item in schema["paths"].items():
        assert "plate" not in path and "pattern" not in path
        for op in item.values():
            names = {p["name"] for p in op.get("parameters", [])}
            assert not names & {"plate", "plates", "pattern", "purpose", "recipient"}, (path, names)


def test_unknown_route_has_the_error_shape(client: TestClient) -> None:
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")


def test_wrong_method_has_the_error_shape(client: TestClient, analyst: dict[str, str]) -> None:
    assert_error(client.get("/api/suspects", headers=analyst), 405, "method_not_allowed")


@pytest.mark.parametrize("body, where", [
    ({}, "case_id"),
    ({"case_id": "C001", "radius_km": -1}, "radius_km"),
    ({"case_id": "C001", "radius_km": "far"}, "radius_km"),
    ({"case_id": "C001", "top": 0}, "top"),
])
def test_bad_input_is_422_naming_the_field(client: TestClient, analyst: dict[str, str], body: dict, where: str) -> None:
    message = assert_error(client.post("/api/suspects", headers=analyst, json=body), 422, "bad_input")
    assert message.startswith(where)


def test_a_body_that_is_not_json_is_422(client: TestClient, analyst: dict[str, str]) -> None:
    response = client.post("/api/suspects", headers={**analyst, "Content-Type": "application/json"}, content=b"{nope")
    assert_error(response, 422, "bad_input")


def test_a_library_error_keeps_its_status_and_sentence(client: TestClient, analyst: dict[str, str]) -> None:
    message = assert_error(client.post("/api/suspects", headers=analyst, json={"case_id": "C001", "pad": "soon"}),
                           422, "bad_input")
    assert "duration" in message


def test_a_forbidden_role_gets_403_in_the_shape(client: TestClient, auditor: dict[str, str]) -> None:
    message = assert_error(client.post("/api/suspects", headers=auditor, json={"case_id": "C001"}), 403, "forbidden")
    assert "aud (auditor)" in message
