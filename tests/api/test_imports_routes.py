"""Imports over the API: upload as the body, follow the job, list batches and the rows set aside."""

from __future__ import annotations

import importlib
import importlib.util
import time

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error

HAVE_IMPORTERS = importlib.util.find_spec("pingan.store.importers") is not None and hasattr(
    importlib.import_module("pingan.store.importers"), "import_file")


def test_refusals(client: TestClient, analyst: dict[str, str], officer: dict[str, str]) -> None:
    assert_error(client.post("/api/imports?kind=cameras&filename=c.csv", headers=officer, content=b"x"), 403, "forbidden")
    assert "kind" in assert_error(client.post("/api/imports?kind=people&filename=p.csv", headers=analyst, content=b"x"),
                                  422, "bad_input")
    assert_error(client.post("/api/imports?kind=cameras&filename=c.exe", headers=analyst, content=b"x"), 422, "bad_input")
    assert_error(client.post("/api/imports?kind=cameras", headers=analyst, content=b"x"), 422, "bad_input")
    assert_error(client.get("/api/imports/jobs/nope", headers=analyst), 404, "not_found")
    assert_error(client.get("/api/imports/999/set-aside", headers=analyst), 404, "not_found")


def test_batches_are_paginated(client: TestClient, analyst: dict[str, str]) -> None:
    page = client.get("/api/imports?limit=5", headers=analyst).json()
    assert {"total", "limit", "offset", "batches"} <= set(page) and page["limit"] == 5
    assert_error(client.get("/api/imports?limit=0", headers=analyst), 422, "bad_input")


@pytest.mark.skipif(HAVE_IMPORTERS, reason="the importers are installed")
def test_without_importers_the_upload_says_not_available(client: TestClient, analyst: dict[str, str]) -> None:
    assert_error(client.post("/api/imports?kind=cameras&filename=c.csv", headers=analyst, content=b"camera_id\n"),
                 501, "not_available")


@pytest.mark.skipif(not HAVE_IMPORTERS, reason="pingan.store.importers is not installed yet")
def test_upload_and_import_a_cameras_file(client: TestClient, analyst: dict[str, str], auditor: dict[str, str]) -> None:
    data = "camera_id,lon,lat,name\nNEW1,118.81,32.06,新卡口\nNEW2,118.82,32.07,\nBAD,999,32.0,out of range\n"
    job = client.post("/api/imports?kind=cameras&filename=cams.csv", headers=analyst, content=data.encode()).json()
    assert job["bytes"] == len(data.encode())
    for _ in range(100):
        job = client.get(f"/api/imports/jobs/{job['job_id']}", headers=analyst).json()
        if job["state"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["state"] == "done", job
    batch = client.get("/api/imports?limit=1", headers=analyst).json()["batches"][0]
    assert batch["kind"] == "cameras" and batch["accepted"] == 2 and batch["set_aside"] == 1
    rows = client.get(f"/api/imports/{batch['batch_id']}/set-aside", headers=analyst).json()
    assert rows["total"] == 1 and rows["rows"][0]["values"]["camera_id"] == "BAD" and rows["rows"][0]["reason"]
    entry = client.get("/api/audit?action=collection&limit=1", headers=auditor).json()["entries"][0]
    assert entry["operation"] == "import.cameras" and entry["touched"] == 2
