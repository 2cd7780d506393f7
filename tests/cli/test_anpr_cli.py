"""The suspects and collide commands: contract JSON, one-sentence errors, audit records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pingan.governance.audit import Actor
from pingan.governance.purpose import authorise
from pingan.governance.users import create_user
from pingan.store.db import open_store
from tests.builders import SCENE, add_camera, add_case, add_read, add_watch, offset


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "county.duckdb"
    with open_store(path) as store:
        add_camera(store, "A", *offset(*SCENE, km_east=1))
        add_camera(store, "B", *offset(*SCENE, km_east=15))
        add_case(store, "C1", "cable_theft", *SCENE, "2026-03-10 01:00", "2026-03-10 03:00")
        add_case(store, "C2", "cable_theft", *offset(*SCENE, km_east=15), "2026-03-12 01:00", "2026-03-12 03:00")
        add_watch(store, "苏E12345", "P9", ["cable_theft"])
        add_read(store, "苏E12345", "A", "2026-03-10 00:55")
        add_read(store, "苏E12345", "A", "2026-03-10 03:05")
        add_read(store, "苏E12345", "B", "2026-03-12 02:05")
        add_read(store, "苏K00001", "A", "2026-03-10 01:30")
        # the county's reads are older than 90 days: queries need a supervisor's authorisation
        create_user(store, "zhang", "supervisor", "a long enough passphrase")
        ref = authorise(store, Actor("zhang", "supervisor"), "test inquiry")
    (tmp_path / "ref").write_text(ref)
    return path


def pingan(db: Path, *args: str, user: str = "analyst1", authorised: bool = True) -> subprocess.CompletedProcess[str]:
    extra = ["--authorisation", (db.parent / "ref").read_text()] if authorised and args[0] in ("suspects", "collide") else []
    return subprocess.run([sys.executable, "-m", "pingan", "--db", str(db), "--user", user, *args, *extra],
                          capture_output=True, text=True, timeout=120)


def test_suspects_json_is_the_contract_document(db: Path) -> None:
    out = pingan(db, "suspects", "C1", "--radius-km", "5", "--pad", "2h", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["case_id"] == "C1" and doc["cameras"] == ["A"] and doc["vehicles_seen"] == 2
    assert set(doc["window"]) == {"start", "end"} and doc["window"]["start"].startswith("2026-03-09T23:00")
    first = doc["candidates"][0]
    assert first["plate"] == "苏E12345" and first["rank"] == 1
    assert first["watchlist"] == {**first["watchlist"], "plate": "苏E12345", "person_id": "P9",
                                  "categories": ["cable_theft"], "match": "exact"}
    assert {c["plate"] for c in doc["candidates"]} == {"苏E12345", "苏K00001"}


def test_collide_json_is_the_contract_document(db: Path) -> None:
    out = pingan(db, "collide", "C1", "C2", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["cases"] == ["C1", "C2"]
    assert [(v["rank"], v["plate"], v["cases"]) for v in doc["vehicles"]] == [(1, "苏E12345", ["C1", "C2"])]
    assert 0 <= doc["vehicles"][0]["score"] <= 1 and doc["vehicles"][0]["watchlist"]["match"] == "exact"


def test_an_unknown_case_is_one_sentence_and_a_non_zero_exit(db: Path) -> None:
    out = pingan(db, "suspects", "NOPE")
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0 and "NOPE" in out.stderr


def test_a_bad_pad_is_one_sentence(db: Path) -> None:
    out = pingan(db, "suspects", "C1", "--pad", "two hours")
    assert out.returncode != 0 and "Traceback" not in out.stderr and "--pad" in out.stderr


def test_suspects_is_audited_with_the_case_as_purpose(db: Path) -> None:
    assert pingan(db, "suspects", "C1", "--json", user="analyst7").returncode == 0
    with open_store(db) as store:
        row = store.con.execute(
            "SELECT user_name, operation, purpose, outcome, touched FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    assert row == ("analyst7", "anpr.suspects", "C1", "ok", 2)


def test_old_reads_without_an_authorisation_are_refused_and_the_refusal_audited(db: Path) -> None:
    out = pingan(db, "suspects", "C1", authorised=False)
    assert out.returncode != 0 and "90 days" in out.stderr and "Traceback" not in out.stderr
    with open_store(db) as store:
        row = store.con.execute("SELECT operation, outcome FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert row == ("anpr.suspects", "refused")
