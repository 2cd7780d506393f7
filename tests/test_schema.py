"""The store's schema: every migration applied once, including one numbered below the newest."""

from __future__ import annotations

from pathlib import Path

from pingan.store import schema
from pingan.store.db import open_store


def test_a_new_store_has_every_migration(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        assert schema.applied_versions(store.con) == {v for v, _ in schema.MIGRATIONS}
        assert schema.current_version(store.con) == schema.SCHEMA_VERSION


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    open_store(tmp_path / "s.duckdb").close()
    with open_store(tmp_path / "s.duckdb") as store:
        assert schema.migrate(store.con) == schema.SCHEMA_VERSION


def test_a_migration_added_later_with_a_lower_number_is_still_applied(tmp_path: Path, monkeypatch) -> None:
    later = (99, ["CREATE TABLE later_table (x INTEGER)"])
    earlier = (50, ["CREATE TABLE earlier_table (x INTEGER)"])
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, later])
    open_store(tmp_path / "s.duckdb").close()
    monkeypatch.setattr(schema, "MIGRATIONS", sorted([*schema.MIGRATIONS, earlier]))
    with open_store(tmp_path / "s.duckdb") as store:
        tables = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"later_table", "earlier_table"} <= tables
