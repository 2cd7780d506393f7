"""The county store, an API client on it, and one set of request headers per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pingan.api.app import create_app
from tests.api.county import PASSWORD, build_store


@pytest.fixture(scope="session")
def county_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the test county, its roads file beside it, and one user per role."""
    return build_store(tmp_path_factory.mktemp("county"))


@pytest.fixture(scope="session")
def client(county_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(county_db)) as c:
        yield c


def _login(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/login", json={"user": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # each role speaks with its own bearer token, not the last cookie set
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture(scope="session")
def analyst(client: TestClient) -> dict[str, str]:
    return _login(client, "ana")


@pytest.fixture(scope="session")
def supervisor(client: TestClient) -> dict[str, str]:
    return _login(client, "sup")


@pytest.fixture(scope="session")
def officer(client: TestClient) -> dict[str, str]:
    return _login(client, "off")


@pytest.fixture(scope="session")
def auditor(client: TestClient) -> dict[str, str]:
    return _login(client, "aud")


@pytest.fixture(scope="session")
def admin(client: TestClient) -> dict[str, str]:
    return _login(client, "adm")


def assert_error(response, status: int, code: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """The response is the one JSON error shape with this status (and code); returns its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    if code is not None:
        assert body["error"]["code"] == code, body
    message = body["error"]["message"]
    assert isinstance(message, str) and message.strip(), body
    return message
