"""Limits: plate queries per user per minute (429, audited), request and upload sizes (413), and a server that
will not start on a store nobody could log in to."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pingan.api.app import create_app
from pingan.cli import main
from pingan.errors import BadInput
from pingan.governance.limits import Limits, TokenBuckets
from pingan.governance.users import create_user
from pingan.store.db import open_store
from tests.api.county import OFFENDER
from tests.security.conftest import app_store, entries_after, last_seq, login


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_gives_its_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(per_minute=60, burst=3, clock=clock)
    assert [buckets.take("ana") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ana") == pytest.approx(1.0)  # one a second
    assert buckets.take("sup") == 0.0  # each user has a bucket of their own
    clock.now += 2.5
    assert buckets.take("ana") == 0.0 and buckets.take("ana") == 0.0 and buckets.take("ana") > 0
    assert TokenBuckets(per_minute=0, burst=1).take("ana") == 0.0  # 0: no limit


@pytest.fixture
def strict(county_db: Path, app: Any) -> Iterator[tuple[TestClient, Any, Clock]]:
    """A second API on the county allowing 3 plate queries a minute, on a clock the test moves."""
    strict_app = create_app(county_db, limits=Limits(plate_queries_per_minute=3))
    clock = Clock()
    strict_app.state.plate_queries.clock = clock
    yield TestClient(strict_app), strict_app, clock


def trajectory(client: TestClient, headers: dict[str, str]) -> Any:
    return client.post("/api/tactics/trajectory", headers=headers, json={"plate": OFFENDER, "purpose": "C001"})


def test_bulk_plate_queries_are_refused_with_429_and_the_refusal_is_audited(
        strict: tuple[TestClient, Any, Clock]) -> None:
    client, strict_app, clock = strict
    analyst, supervisor, officer = login(client, "ana"), login(client, "sup"), login(client, "off")
    assert [trajectory(client, analyst).status_code for _ in range(3)] == [200, 200, 200]
    store = app_store(strict_app)
    before = last_seq(store)
    refused = client.post("/api/suspects", headers=analyst, json={"case_id": "C001"})
    assert refused.status_code == 429 and refused.headers["retry-after"] == "20"
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "ana has run more than 3 plate queries a minute" in error["message"]
    assert [(e["user"], e["operation"], e["outcome"]) for e in entries_after(store, before)] == [
        ("ana", "anpr.suspects", "refused")]
    assert trajectory(client, supervisor).status_code == 200  # another user's bucket
    assert trajectory(client, officer).status_code == 403  # not allowed at all: a 403, and it costs nothing
    assert client.get("/api/cases", headers=analyst).status_code == 200  # not a plate query
    clock.now += 20
    assert trajectory(client, analyst).status_code == 200
    assert trajectory(client, analyst).status_code == 429


@pytest.fixture
def small(county_db: Path, app: Any) -> TestClient:
    return TestClient(create_app(county_db, limits=Limits(max_upload_bytes=1000, max_body_bytes=2000)))


def uploads_left() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("pingan-upload-*")}


def test_an_upload_over_the_limit_is_413_before_it_is_stored(small: TestClient) -> None:
    analyst = login(small, "ana")
    before = uploads_left()
    big = b"camera_id,lon,lat\n" + b"K9,118.8,32.0\n" * 100
    response = small.post("/api/imports?kind=cameras&filename=c.csv", headers=analyst, content=big)
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "too_large" and "1,000 bytes" in error["message"] and "pingan import" in error["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once the body passes the limit
        for _ in range(10):
            yield big[:300]

    response = small.post("/api/imports?kind=cameras&filename=c.csv", headers=analyst, content=chunks())
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert uploads_left() <= before  # the partial upload was removed
    ok = small.post("/api/imports?kind=cameras&filename=c.csv", headers=analyst, content=big[:900])
    assert ok.status_code == 202


def test_a_json_body_over_the_limit_is_413(small: TestClient) -> None:
    analyst = login(small, "ana")
    response = small.post("/api/tactics/search", headers=analyst, json={"pattern": "苏A*", "purpose": "x" * 5000})
    assert response.status_code == 413
    assert "request body is larger than 2,000 bytes" in response.json()["error"]["message"]


def test_the_default_limits() -> None:
    limits = Limits()
    assert (limits.plate_queries_per_minute, limits.max_upload_bytes, limits.max_body_bytes) == (60, 2 * 1024**3,
                                                                                                 1024**2)


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGAN_PLATE_QUERIES_PER_MINUTE", "10")
    monkeypatch.setenv("PINGAN_MAX_UPLOAD_BYTES", "5000")
    assert (Limits().plate_queries_per_minute, Limits().max_upload_bytes) == (10, 5000)


# --- no account, no server ----------------------------------------------------------------------------------

def test_the_api_will_not_start_on_a_store_without_accounts(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.duckdb"
    with open_store(db):
        pass
    with pytest.raises(BadInput, match="no enabled user account.*users add NAME --role admin"):
        create_app(db)
    assert main(["--db", str(db), "serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pingan: The store") and "users add" in err and err.count("\n") == 1


def test_the_api_will_not_start_with_a_password_put_in_by_hand(tmp_path: Path) -> None:
    db = tmp_path / "p.duckdb"
    with open_store(db) as store:
        create_user(store, "li.admin", "admin", "a long enough passphrase")
        store.con.execute("INSERT INTO users VALUES ('backdoor', 'admin', 'changeme', now()::TIMESTAMP, false)")
    with pytest.raises(BadInput, match="account backdoor has no properly hashed password"):
        create_app(db)
    with open_store(db) as store:
        store.con.execute("UPDATE users SET disabled = true WHERE user_name = 'backdoor'")
    create_app(db).state.store_holder.close()  # a disabled account cannot log in: the store may be served
