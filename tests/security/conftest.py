"""The security suite's own county store and API, one session per role, and the audit log as rows.

The store is separate from tests/api's: these tests tamper with it, exhaust rate limits and fail audit
writes on purpose.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pingan.api.app import create_app
from pingan.governance.limits import Limits
from pingan.store.db import Store
from tests.api.county import PASSWORD, USERS, build_store

#: One user per role in the county store (tests/api/county.py).
USER_OF = {role: user for user, role in USERS.items()}
#: The security client never runs out of plate queries; tests/security/test_limits.py tests the limit.
GENEROUS = Limits(plate_queries_per_minute=100_000)


@pytest.fixture(scope="session")
def county_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("security-county"))


@pytest.fixture(scope="session")
def app(county_db: Path) -> Any:
    return create_app(county_db, limits=GENEROUS)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def login(client: TestClient, user: str) -> dict[str, str]:
    response = client.post("/api/login", json={"user": user, "password": PASSWORD})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture(scope="session")
def headers(client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer headers of a live session for each role, by role name."""
    return {role: login(client, user) for role, user in USER_OF.items()}


def app_store(app: Any) -> Store:
    """A cursor on the store the app has open (DuckDB lets one process open a file once)."""
    base = app.state.store_holder.get()
    return Store(path=base.path, con=base.con.cursor(), timezone=base.timezone)


def last_seq(store: Store) -> int:
    return int(store.con.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])  # type: ignore[index]


def entries_after(store: Store, seq: int) -> list[dict[str, Any]]:
    rows = store.con.execute(
        "SELECT seq, user_name, role, action, operation, purpose, outcome, touched FROM audit_log WHERE seq > ? "
        "ORDER BY seq", [seq]).fetchall()
    keys = ("seq", "user", "role", "action", "operation", "purpose", "outcome", "touched")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def wait_for_job(client: TestClient, headers: dict[str, str], job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        job = client.get(f"/api/imports/jobs/{job_id}", headers=headers).json()
        if job["state"] in ("done", "failed") or time.time() > deadline:
            return job
        time.sleep(0.05)
