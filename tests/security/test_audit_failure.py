"""If the audit write fails, the operation fails: an error, and nothing of the result handed out."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from pingan.cli import cli, main
from pingan.governance import audit
from pingan.governance.audit import Actor, AuditUnavailable, record
from pingan.store.db import Store, open_store
from tests.api.county import OFFENDER, PASSWORD
from tests.security.conftest import app_store, last_seq


def broken_disk(*_: Any, **__: Any) -> Any:
    raise duckdb.IOException("IO Error: could not write to the database file: No space left on device")


def test_a_failed_audit_write_raises_one_clear_error(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_append", broken_disk)
    with pytest.raises(AuditUnavailable, match="audit log cannot be written .* anpr.trajectory was not carried out"):
        record(store, Actor("ana", "analyst", "C001"), action="consultation", operation="anpr.trajectory")


@pytest.mark.parametrize("method, url, body", [
    ("POST", "/api/tactics/trajectory", {"plate": OFFENDER, "purpose": "C001"}),
    ("POST", "/api/suspects", {"case_id": "C001", "top": 3}),
    ("POST", "/api/reports/case", {"case_id": "C001", "recipient": "court"}),
    ("GET", "/api/cases", None),
    ("GET", "/api/grids", None),
])
def test_an_api_route_answers_503_and_no_data_when_the_audit_cannot_be_written(
        client: TestClient, app: Any, headers: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch,
        method: str, url: str, body: dict[str, Any] | None) -> None:
    store = app_store(app)
    before = last_seq(store)
    monkeypatch.setattr(audit, "_append", broken_disk)
    response = client.request(method, url, headers=headers["analyst"], json=body)
    monkeypatch.undo()
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert set(response.json()) == {"error"} and error["code"] == "audit_unavailable"
    assert "was not carried out" in error["message"] and OFFENDER not in response.text
    assert last_seq(store) == before


def test_a_login_whose_audit_fails_hands_out_no_token(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_append", broken_disk)
    response = client.post("/api/login", json={"user": "ana", "password": PASSWORD})
    monkeypatch.undo()
    assert response.status_code == 503 and "token" not in response.text
    assert "set-cookie" not in response.headers


@pytest.fixture
def hidden_audit(tmp_path: Path, county_db: Path, app: Any) -> Path:
    """A copy of the county whose audit table was renamed away: every audit write fails for real."""
    app_store(app).con.execute("CHECKPOINT")
    db = tmp_path / "pingan.duckdb"
    shutil.copy(county_db, db)
    with open_store(db) as store:
        store.con.execute("ALTER TABLE audit_log RENAME TO audit_log_hidden")
    return db


@pytest.mark.parametrize("args", [
    ["--purpose", "C001", "trajectory", OFFENDER, "--json"],
    ["suspects", "C001", "--top", "3", "--json"],
    ["--purpose", "C001", "plate-search", "苏A1*", "--json"],
    ["rejects", "--json"],
])
def test_a_command_fails_in_one_sentence_and_prints_no_result_when_the_audit_cannot_be_written(
        hidden_audit: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--db", str(hidden_audit), "--user", "ana", *args])
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("pingan: The audit log cannot be written") and err.count("\n") == 1


def test_a_permission_change_whose_audit_fails_is_rolled_back(hidden_audit: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(hidden_audit), "--user", "adm", "users", "add", "newbie", "--role",
                                      "analyst", "--password-stdin"], input="a long enough passphrase\n")
    assert isinstance(result.exception, AuditUnavailable)
    with open_store(hidden_audit) as store:
        assert store.con.execute("SELECT count(*) FROM users WHERE user_name = 'newbie'").fetchone() == (0,)
