"""The import engine: one spec, one file, a few DuckDB statements, one transaction.

1. **Stage** the file as a temp table, in file order (:mod:`~pingan.store.importers.sources`).
2. **Check** every row at once: convert each column to its type, apply the spec's rules in order (the first
   that fails is the row's reason) and compute the stored columns — one ``CREATE TABLE … AS SELECT``.
3. **Already stored**: rows whose natural key is stored (same values: already stored; other values: set
   aside — see :mod:`~pingan.store.importers.kinds`).
4. **Duplicates in the file**: the first row with a key wins; later ones are set aside naming it.
5. **Store** the accepted rows (in the spec's order), the rows set aside with their reasons and the row as
   it arrived, and the batch — all in one transaction, so a failure or a killed process stores nothing.

Staging happens before the transaction (temp tables are never stored); steps 2–5 inside it.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pingan.errors import BadFile, BadInput
from pingan.store.db import Store, bulk_work
from pingan.store.importers import clock
from pingan.store.importers.checks import TempNames, checked_sql, mark_already_stored, mark_duplicates
from pingan.store.importers.geojson import stage_geojson
from pingan.store.importers.kinds import KINDS
from pingan.store.importers.plate_map import build_plate_map
from pingan.store.importers.progress import Meter
from pingan.store.importers.report import ImportReport
from pingan.store.importers.sources import (
    Staged,
    detect_format,
    parquet_error,
    reject_json,
    row_as_json,
    stage_csv,
    stage_parquet,
)
from pingan.store.importers.spec import ALREADY, MALFORMED, KindSpec, literal, quote


def _now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- the import --------------------------------------------------------------------------------------

def _spec(kind: str) -> KindSpec:
    spec = KINDS.get(kind)
    if spec is None:
        raise BadInput(f"The kind '{kind}' is not known; use one of {sorted(KINDS)}.")
    return spec


def _stage(con: duckdb.DuckDBPyConnection, spec: KindSpec, path: Path, names: TempNames, encoding: str | None,
           meter: Meter, workdir: Path) -> Staged:
    fmt = detect_format(path)
    if "geojson" in spec.formats:
        if fmt != "geojson":
            raise BadFile(f"Grids are imported from a GeoJSON FeatureCollection, and {path} is a {fmt} file; "
                          "export the grids as GeoJSON.")
        return stage_geojson(con, spec, path, names.stage)
    if fmt == "geojson":
        raise BadFile(f"The file {path} looks like GeoJSON; {spec.kind} are imported from CSV or Parquet.")
    if fmt == "parquet":
        return stage_parquet(con, spec, path, names.stage)
    return stage_csv(con, spec, path, names.stage, encoding=encoding, meter=meter, workdir=workdir)


@bulk_work
def import_file(store: Store, kind: str, path: str | Path, *, encoding: str | None = None, user: str | None = None,
                progress: Callable[[int, int], None] | None = None,
                on_stored: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Import one file of ``kind``: what was accepted, set aside and already stored.

    Bad rows never stop an import: they are set aside with a reason (:func:`pingan.store.rejects.list_set_aside`).
    A file that is not what it claims (missing columns, corrupt, undecodable) raises :class:`BadFile` and
    stores nothing; so does any failure part-way. ``on_stored`` runs inside the import's transaction, just
    before it commits (the audit entry is written there): if it fails, nothing is stored.

    Examples
    --------
    >>> report = import_file(store, "cameras", Path("cameras.csv"))  # doctest: +SKIP
    >>> report.summary()  # doctest: +SKIP
    'Imported 412 of 412 cameras rows from cameras.csv (csv, utf-8) as batch 1 in 0.1 s.'
    """
    spec = _spec(kind)
    path = Path(path)
    if not path.is_file():
        raise BadFile(f"There is no file {path}; give the path of a {spec.kind} file.")
    started = time.perf_counter()
    started_at = _now_utc()
    con = store.con
    meter = Meter(progress, path.stat().st_size)
    names = TempNames()
    settings = _enable_progress(con) if progress else None
    # Times without an offset are local time of the deployment: DuckDB reads them in the session's zone,
    # which a cursor (as the API uses) does not inherit from its connection.
    con.execute(f"SET TimeZone = {literal(store.timezone)}")
    clock.install(con, store.timezone)
    try:
        with tempfile.TemporaryDirectory(prefix="pingan-import-") as workdir:
            staged = _stage(con, spec, path, names, encoding, meter, Path(workdir))
            with _reading(staged, path):
                meter.band(0.55, 0.6)
                _plate_maps(con, spec, staged, names)
                report = _store(store, spec, path, staged, names, meter, user=user, started_at=started_at,
                                on_stored=on_stored)
    finally:
        _drop(con, names, spec)
        if settings is not None:
            _restore(con, settings)
    report.seconds = time.perf_counter() - started
    meter.done()
    return report


def _plate_maps(con: duckdb.DuckDBPyConnection, spec: KindSpec, staged: Staged, names: TempNames) -> None:
    """For each plate column, its distinct raw spellings normalised (see :mod:`~.plate_map`)."""
    for c in spec.columns:
        if c.type != "plate":
            continue
        if c.name not in staged.columns:
            source = "SELECT CAST(NULL AS VARCHAR) AS raw"
        elif staged.columns[c.name] == "VARCHAR":
            source = f"SELECT s.{quote(c.name)} AS raw FROM {staged.table} s"
        else:
            source = f"SELECT CAST(s.{quote(c.name)} AS VARCHAR) AS raw FROM {staged.table} s"
        build_plate_map(con, source, f"{names.pmap}_{c.name}")


@contextmanager
def _reading(staged: Staged, path: Path) -> Iterator[None]:
    """A Parquet file is read while it is checked (it is staged as a view): a corrupt page is a BadFile."""
    try:
        yield
    except duckdb.Error as exc:
        if staged.format == "parquet" and isinstance(exc, duckdb.IOException | duckdb.InvalidInputException):
            raise parquet_error(path, exc) from None
        raise


def _store(store: Store, spec: KindSpec, path: Path, staged: Staged, names: TempNames, meter: Meter, *,
           user: str | None, started_at: datetime,
           on_stored: Callable[[ImportReport], None] | None = None) -> ImportReport:
    with store.atomic() as con:
        batch_id = int(con.execute("SELECT nextval('batch_seq')").fetchone()[0])  # type: ignore[index]
        meter.band(0.6, 0.75)
        meter.execute(con, checked_sql(spec, staged, names))
        mark_already_stored(con, spec, names, meter)
        mark_duplicates(con, spec, names)
        counts = dict(con.execute(f"SELECT _pa_code, count(*) FROM {names.checked} GROUP BY ALL").fetchall())
        accepted = int(counts.pop(None, 0))
        already = int(counts.pop(ALREADY, 0))
        reasons = {str(k): int(v) for k, v in counts.items()}
        if staged.rejected:
            reasons[MALFORMED] = reasons.get(MALFORMED, 0) + len(staged.rejected)
        set_aside = sum(reasons.values())
        # Rows set aside first: they need the staged rows as they arrived, which can then be let go of
        # before the big sort of the accepted rows (a CSV's staged text is as large as the file).
        if set_aside - len(staged.rejected) > 0:
            con.execute(f"""
                INSERT INTO set_aside (batch_id, kind, row_number, reason, row_json)
                SELECT {batch_id}, {literal(spec.kind)}, c._pa_row, coalesce(c._pa_reason, c._pa_code),
                       {row_as_json(staged)}
                FROM {names.checked} c JOIN {staged.table} s ON {staged.row_sql} = c._pa_row
                WHERE c._pa_code IS NOT NULL AND c._pa_code <> {literal(ALREADY)}
                ORDER BY c._pa_row
            """)
        if staged.rejected:
            con.executemany(
                "INSERT INTO set_aside (batch_id, kind, row_number, reason, row_json) VALUES (?, ?, ?, ?, ?)",
                [[batch_id, spec.kind, row, f"{MALFORMED}: {what}", reject_json(raw)]
                 for row, what, raw in staged.rejected])
        if staged.format == "csv":
            con.execute(f"DROP TABLE IF EXISTS {staged.table}")
        meter.band(0.75, 0.97)
        columns = ", ".join(quote(c) for c in spec.stored)
        order = f" ORDER BY {', '.join(quote(c) for c in spec.order_by)}" if spec.order_by else ""
        if accepted:
            meter.execute(con, f"INSERT INTO {spec.table} ({columns}, batch_id) SELECT {columns}, {batch_id} "
                               f"FROM {names.checked} WHERE _pa_code IS NULL{order}")
        if spec.after is not None and accepted:
            spec.after(con, names.checked, batch_id, {"file_name": path.name, "user": user})
        rows_total = accepted + already + set_aside
        con.execute(
            "INSERT INTO import_batches (batch_id, kind, file, file_format, encoding, sha256, user_name, started_at, "
            "finished_at, rows_total, accepted, set_aside, already_stored) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, spec.kind, str(path.resolve()), staged.format, staged.encoding, staged.digest(), user,
             started_at, _now_utc(), rows_total, accepted, set_aside, already])
        report = ImportReport(batch_id=batch_id, kind=spec.kind, file=str(path), file_format=staged.format,
                              encoding=staged.encoding, rows_total=rows_total, accepted=accepted,
                              set_aside=set_aside, already_stored=already, reasons=dict(sorted(reasons.items())),
                              sha256=staged.sha256)
        if on_stored is not None:
            on_stored(report)
    return report


def _drop(con: duckdb.DuckDBPyConnection, names: TempNames, spec: KindSpec) -> None:
    tables = names.all() + [f"{names.pmap}_{c.name}" for c in spec.columns if c.type == "plate"]
    for table in tables:
        for what in ("TABLE", "VIEW"):
            try:
                con.execute(f"DROP {what} IF EXISTS {table}")
            except duckdb.Error:  # it is the other kind of object
                pass


def _enable_progress(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    before = {}
    for setting in ("enable_progress_bar", "enable_progress_bar_print"):
        before[setting] = con.execute(f"SELECT current_setting('{setting}')").fetchone()[0]  # type: ignore[index]
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    return before


def _restore(con: duckdb.DuckDBPyConnection, settings: dict[str, Any]) -> None:
    for setting, value in settings.items():
        try:
            con.execute(f"SET {setting} = {'true' if value else 'false'}")
        except duckdb.Error:
            pass


__all__ = ["import_file"]
