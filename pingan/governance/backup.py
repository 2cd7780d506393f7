"""Backup and restore of a whole store, exactly.

A backup is a folder written by DuckDB's EXPORT DATABASE (schema plus one Parquet file per table) and a
manifest with each table's row count and a content checksum. Restore imports it into a new file beside
the target and renames it into place only when every table's checksum matches: a failed restore leaves
the old store untouched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from pingan.errors import BadInput, Conflict
from pingan.store.db import Store, bulk_work, open_store

MANIFEST = "pingan-backup.json"


def table_fingerprints(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, int | str]]:
    """Row count and an order-independent checksum of every table's content."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name").fetchall()]
    result: dict[str, dict[str, int | str]] = {}
    for table in tables:
        rows, checksum = con.execute(
            f'SELECT count(*), coalesce(sum(hash(t)), 0)::VARCHAR FROM "{table}" AS t').fetchone()  # type: ignore[misc]
        result[table] = {"rows": int(rows), "checksum": str(checksum)}
    return result


@bulk_work
def backup(store: Store, target: Path) -> dict[str, dict[str, int | str]]:
    """Write a backup of the store into the empty or new folder ``target``."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise Conflict(f"The backup folder {target} is not empty; choose a new folder.")
    try:
        target.mkdir(parents=True, exist_ok=True)
        fingerprints = table_fingerprints(store.con)
        escaped = str(target).replace("'", "''")
        store.con.execute(f"EXPORT DATABASE '{escaped}' (FORMAT parquet)")
    except (OSError, duckdb.IOException) as exc:
        raise BadInput(f"Cannot write a backup to {target} ({str(exc).splitlines()[0]}); choose a folder you may "
                       "write to, on a disk with room for the whole store.") from exc
    (target / MANIFEST).write_text(json.dumps({"tables": fingerprints}, indent=1), encoding="utf-8")
    return fingerprints


def restore(source: Path, target_db: Path, *, overwrite: bool = False) -> dict[str, dict[str, int | str]]:
    """Restore a backup folder into the store file ``target_db``, verifying every table."""
    manifest = source / MANIFEST
    if not manifest.exists():
        raise BadInput(f"{source} is not a pingan backup: it has no {MANIFEST}.")
    if target_db.exists() and not overwrite:
        raise Conflict(f"The store {target_db} exists; pass --overwrite to replace it.")
    expected = json.loads(manifest.read_text(encoding="utf-8"))["tables"]
    partial = target_db.with_name(target_db.name + ".restoring")
    partial.unlink(missing_ok=True)
    con = duckdb.connect(str(partial))
    try:
        escaped = str(source).replace("'", "''")
        con.execute(f"IMPORT DATABASE '{escaped}'")
        found = table_fingerprints(con)
    except duckdb.Error as exc:
        con.close()
        partial.unlink(missing_ok=True)
        raise BadInput(f"The backup in {source} cannot be read ({str(exc).splitlines()[0]}); it may be damaged.") from exc
    finally:
        con.close()
    if found != expected:
        partial.unlink(missing_ok=True)
        differing = sorted(t for t in set(found) | set(expected) if found.get(t) != expected.get(t))
        raise BadInput(f"The backup in {source} does not restore exactly (tables {', '.join(differing)} differ); "
                       "it may be damaged.")
    os.replace(partial, target_db)
    with open_store(target_db):  # migrations, if the backup came from an older release
        pass
    return found
