"""Retention purges old reads but keeps held cases' reads; backups restore exactly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pingan.errors import BadInput, Conflict
from pingan.governance.audit import Actor
from pingan.governance.backup import backup, restore, table_fingerprints
from pingan.governance.retention import hold_case, run_retention
from pingan.store.db import Store, open_store
from tests.builders import SCENE, add_camera, add_case, add_read, add_watch, offset

ADMIN = Actor("admin1", "admin", "retention")


@pytest.fixture
def aged(store: Store) -> Store:
    add_camera(store, "A", *offset(*SCENE, km_east=1))
    add_camera(store, "B", *offset(*SCENE, km_east=30))
    add_case(store, "OLD", "theft", *SCENE, "2025-01-10 01:00", "2025-01-10 03:00")
    add_read(store, "苏A00001", "A", "2025-01-10 02:00")  # old, near the old case
    add_read(store, "苏A00002", "B", "2025-01-10 02:00")  # old, elsewhere
    add_read(store, "苏A00003", "A", "2026-11-01 02:00")  # recent
    add_watch(store, "苏A00009", "P1", ["theft"], valid_until="2026-01-01 00:00")
    add_watch(store, "苏A00008", "P2", ["theft"])
    return store


def plates(store: Store) -> set[str]:
    return {r[0] for r in store.con.execute("SELECT plate FROM reads").fetchall()}


def test_a_dry_run_counts_and_changes_nothing(aged: Store) -> None:
    plan = run_retention(aged, ADMIN, retention_days=365, today=date(2026, 11, 29), dry_run=True)
    assert (plan.reads_purged, plan.watchlist_expired) == (2, 1)
    assert len(plates(aged)) == 3


def test_old_reads_are_purged_unless_held_for_a_case(aged: Store) -> None:
    hold_case(aged, ADMIN, "OLD", "in court")
    plan = run_retention(aged, ADMIN, retention_days=365, today=date(2026, 11, 29))
    assert plan.reads_purged == 1 and plan.reads_held == 1
    assert plates(aged) == {"苏A00001", "苏A00003"}
    assert aged.con.execute("SELECT plate FROM watchlist").fetchall() == [("苏A00008",)]
    audit = aged.con.execute("SELECT operation, action, touched FROM audit_log ORDER BY seq").fetchall()
    assert audit[-1] == ("retention.run", "erasure", 2)


def test_a_hold_needs_a_reason(aged: Store) -> None:
    with pytest.raises(BadInput):
        hold_case(aged, ADMIN, "OLD", " ")


def test_backup_and_restore_round_trip_exactly(aged: Store, tmp_path: Path) -> None:
    before = table_fingerprints(aged.con)
    backup(aged, tmp_path / "bk")
    restored = restore(tmp_path / "bk", tmp_path / "restored.duckdb")
    assert restored == before
    with open_store(tmp_path / "restored.duckdb") as copy:
        assert plates(copy) == plates(aged)
    with pytest.raises(Conflict):
        restore(tmp_path / "bk", tmp_path / "restored.duckdb")


def test_a_damaged_backup_is_refused_and_the_store_untouched(aged: Store, tmp_path: Path) -> None:
    backup(aged, tmp_path / "bk")
    reads_file = next((tmp_path / "bk").glob("reads*.parquet"))
    reads_file.write_bytes(b"not parquet")
    with pytest.raises(BadInput, match="damaged"):
        restore(tmp_path / "bk", tmp_path / "restored.duckdb")
    assert not (tmp_path / "restored.duckdb").exists()


def test_retention_prunes_the_copy_of_the_reads_in_the_time_index(aged: Store) -> None:
    from pingan.anpr.time_index import TABLE, build_time_index

    build_time_index(aged)
    assert aged.con.execute(f"SELECT count(*) FROM {TABLE}").fetchone() == (3,)
    plan = run_retention(aged, ADMIN, retention_days=365, today=date(2026, 11, 29))
    assert plan.index_days_pruned == 1
    assert aged.con.execute(f"SELECT plate FROM {TABLE}").fetchall() == [("苏A00003",)]
