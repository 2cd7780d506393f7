"""Case reports: the HTML holds the map, suspects, reads, parameters and audit reference; a PDF prints."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error
from tests.api.county import OFFENDER


def test_html_report(client: TestClient, analyst: dict[str, str], auditor: dict[str, str]) -> None:
    response = client.post("/api/reports/case", headers=analyst,
                           json={"case_id": "C001", "recipient": "刑侦大队 CID", "top": 10, "radius_km": 4})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    html = response.text
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert OFFENDER in html and "on watchlist" in html  # ranked suspects with reasons
    assert "K22" in html and "4 km" in html  # the reads and the query parameters
    seq, digest = response.headers["x-audit-seq"], response.headers["x-audit-hash"]
    assert f"#{seq}" in html and digest in html  # the audit reference
    entry = client.get("/api/audit?action=disclosure&limit=1", headers=auditor).json()["entries"][0]
    assert str(entry["seq"]) == seq and entry["hash"] == digest
    assert entry["params"]["recipient"] == "刑侦大队 CID" and entry["operation"] == "report.case"


@pytest.mark.skipif(shutil.which("chromium") is None and not shutil.os.path.exists("/usr/bin/chromium"),
                    reason="Debian chromium is not installed (make system-deps installs it)")
def test_pdf_report(client: TestClient, analyst: dict[str, str]) -> None:
    response = client.post("/api/reports/case", headers=analyst,
                           json={"case_id": "C002", "recipient": "CID", "format": "pdf", "top": 5})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 5000


def test_report_refusals(client: TestClient, analyst: dict[str, str], officer: dict[str, str]) -> None:
    assert_error(client.post("/api/reports/case", headers=analyst, json={"case_id": "C001"}), 422, "bad_input")
    assert_error(client.post("/api/reports/case", headers=analyst, json={"case_id": "C001", "recipient": " "}),
                 422, "bad_input")
    assert_error(client.post("/api/reports/case", headers=analyst,
                             json={"case_id": "C001", "recipient": "CID", "format": "docx"}), 422, "bad_input")
    assert_error(client.post("/api/reports/case", headers=analyst, json={"case_id": "C404", "recipient": "CID"}),
                 404, "not_found")
    assert_error(client.post("/api/reports/case", headers=officer, json={"case_id": "C001", "recipient": "CID"}),
                 403, "forbidden")


def test_no_pdf_without_chromium(client: TestClient, analyst: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.reports import case_report

    monkeypatch.setattr(case_report, "chromium_path", lambda: None)
    message = assert_error(client.post("/api/reports/case", headers=analyst,
                                       json={"case_id": "C001", "recipient": "CID", "format": "pdf"}), 503, "unavailable")
    assert "chromium" in message
