"""The audit views: the log a page at a time, who did what, and the chain check; auditors only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import assert_error


def test_the_log_is_paginated_newest_first(client: TestClient, analyst: dict[str, str], auditor: dict[str, str]) -> None:
    for _ in range(10):
        client.post("/api/tactics/search", headers=analyst, json={"pattern": "苏A1*", "purpose": "C003"})
    first = client.get("/api/audit?limit=5", headers=auditor).json()
    before = first["entries"][-1]["seq"]
    second = client.get(f"/api/audit?limit=5&before={before}", headers=auditor).json()
    seqs = [e["seq"] for e in first["entries"] + second["entries"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 10
    assert first["total"] >= 10


def test_filters(client: TestClient, analyst: dict[str, str], auditor: dict[str, str]) -> None:
    client.post("/api/suspects", headers=analyst, json={"case_id": "C002", "top": 3})
    mine = client.get("/api/audit?user=ana&operation=anpr.*", headers=auditor).json()
    assert mine["entries"] and all(e["user"] == "ana" and e["operation"].startswith("anpr.") for e in mine["entries"])
    refused = client.get("/api/audit?outcome=refused", headers=auditor).json()
    assert all(e["outcome"] == "refused" for e in refused["entries"])
    assert_error(client.get("/api/audit?since=last+week", headers=auditor), 422, "bad_input")


def test_reading_the_log_is_itself_recorded(client: TestClient, auditor: dict[str, str]) -> None:
    client.get("/api/audit?limit=1", headers=auditor)
    latest = client.get("/api/audit?limit=1", headers=auditor).json()["entries"][0]
    assert latest["operation"] == "audit.read" and latest["user"] == "aud"


def test_summary_and_verify(client: TestClient, auditor: dict[str, str]) -> None:
    rows = client.get("/api/audit/summary", headers=auditor).json()["rows"]
    assert any(r["user"] == "ana" and r["action"] == "consultation" for r in rows)
    check = client.get("/api/audit/verify", headers=auditor).json()
    assert check["ok"] is True and check["entries"] > 0


def test_only_auditors_read_the_audit(client: TestClient, analyst: dict[str, str], admin: dict[str, str]) -> None:
    for headers in (analyst, admin):
        for path in ("/api/audit", "/api/audit/summary", "/api/audit/verify"):
            assert_error(client.get(path, headers=headers), 403, "forbidden")
