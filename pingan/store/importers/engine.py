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
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from pingan.errors import BadFile, BadInput
from pingan.store.db import Store
from pingan.store.importers import clock
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
from pingan.store.importers.spec import (
    ALREADY,
    CONFLICT,
    DUPLICATE,
    EMPTY_PLATE,
    MALFORMED,
    MISSING,
    UNPARSEABLE,
    Column,
    KindSpec,
    Rule,
    literal,
    native,
    quote,
    text_sql,
    typed_sql,
)

_SQL_TYPES = {"text": "VARCHAR", "lower": "VARCHAR", "double": "DOUBLE", "int": "BIGINT", "time": "TIMESTAMPTZ",
              "list": "VARCHAR[]", "plate": "VARCHAR"}


def _now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class _Names:
    """Temp table names for one import (unique, so imports on one connection never collide)."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:10]
        self.stage = f"_pa_stage_{tag}"
        self.checked = f"_pa_checked_{tag}"
        self.dups = f"_pa_dups_{tag}"
        self.pmap = f"_pa_pmap_{tag}"

    def all(self) -> list[str]:
        return [self.stage, self.checked, self.dups, self.pmap, self.stage + "_rows"]


# --- building the check ------------------------------------------------------------------------------

_EXPECTED = {"time": "an ISO 8601 time", "double": "a number", "int": "a whole number"}


def _rules(spec: KindSpec, staged: Staged) -> list[Rule]:
    """The engine's own rules (values present and parseable, column by column), then the spec's."""
    rules: list[Rule] = []
    for c in spec.columns:
        name = quote(c.name)
        if c.type in UNPARSEABLE and c.name in staged.columns:
            rules.append(Rule(UNPARSEABLE[c.type], f"_pa_text_{c.name} IS NOT NULL AND {name} IS NULL",
                              f"{literal(c.name + ' ' + chr(39))} || _pa_text_{c.name} || "
                              f"{literal(chr(39) + ' is not ' + _EXPECTED[c.type])}"))
        if c.required:
            if c.type == "plate":
                raw = quote(c.name + "_raw")
                rules.append(Rule(EMPTY_PLATE, f"{name} IS NULL",
                                  f"CASE WHEN {raw} IS NOT NULL THEN {literal('nothing is left of ' + chr(39))} || "
                                  f"{raw} || {literal(chr(39) + ' once separators are removed')} END"))
            else:
                rules.append(Rule(MISSING, f"{name} IS NULL", literal(f"{c.name} is empty")))
    return rules + list(spec.rules)


def _typed_select(spec: KindSpec, staged: Staged, pmap: str) -> tuple[list[str], list[str]]:
    """Select items converting the staged row ``s`` to typed values, and the joins they need."""
    items = [f"{staged.row_sql} AS _pa_row"]
    joins: list[str] = []
    for c in spec.columns:
        name = quote(c.name)
        present = c.name in staged.columns
        ref = f"s.{name}"
        stype = staged.columns.get(c.name, "VARCHAR")
        if c.type == "plate":
            raw = ref if stype == "VARCHAR" else f"CAST({ref} AS VARCHAR)"
            if not present:
                raw = "CAST(NULL AS VARCHAR)"
            alias = f"_pa_pm_{c.name}"
            joins.append(f"LEFT JOIN {pmap}_{c.name} {alias} ON {alias}.raw = {raw}")
            items += [f"{alias}.plate AS {name}", f"{raw} AS {quote(c.name + '_raw')}",
                      f"coalesce({alias}.plate_valid, false) AS {quote(c.name + '_valid')}",
                      f"{alias}.prank AS {quote('_pa_' + c.name + '_rank')}"]
            continue
        if not present:
            items.append(f"CAST(NULL AS {_SQL_TYPES[c.type]}) AS {name}")
            if c.type in UNPARSEABLE:
                items.append(f"CAST(NULL AS VARCHAR) AS _pa_text_{c.name}")
            continue
        items.append(f"{typed_sql(c, ref, stype)} AS {name}")
        if c.type in UNPARSEABLE:
            # A value already of its type cannot fail to parse: no text needed (casting it costs).
            text = "CAST(NULL AS VARCHAR)" if native(c, stype) else text_sql(ref, stype)
            items.append(f"{text} AS _pa_text_{c.name}")
    known = {c.name for c in spec.columns}
    for col in staged.columns:
        if col.startswith("_pa_") and col != "_pa_row":
            items.append(f"s.{quote(col)} AS {quote(col)}")
    extras = [col for col in staged.file_columns if col not in known]
    if spec.extra == "keep" and extras:
        fields = ", ".join(f"{quote(col)} := {text_sql('s.' + quote(col), staged.columns[col])}" for col in extras)
        items.append(f"CAST(to_json(struct_pack({fields})) AS VARCHAR) AS _pa_extra")
    else:
        items.append("CAST(NULL AS VARCHAR) AS _pa_extra")
    return items, joins


def checked_sql(spec: KindSpec, staged: Staged, names: _Names) -> str:
    """The statement creating the checked table: typed values, the first failing rule, stored columns."""
    typed, joins = _typed_select(spec, staged, names.pmap)
    rules = _rules(spec, staged)
    which = " ".join(f"WHEN {r.when} THEN {i}" for i, r in enumerate(rules, start=1))
    code = " ".join(f"WHEN {i} THEN {literal(r.reason)}" for i, r in enumerate(rules, start=1))
    reason = " ".join(
        f"WHEN {i} THEN {literal(r.reason)}" + (f" || coalesce(': ' || ({r.detail}), '')" if r.detail else "")
        for i, r in enumerate(rules, start=1))
    stored = [f"{expr} AS {quote(col)}" for col, expr in spec.stored.items()]
    helpers = [f"{expr} AS {quote(col)}" for col, expr in spec.helpers.items()]
    return f"""
        CREATE TEMP TABLE {names.checked} AS
        WITH typed AS (
            SELECT {', '.join(typed)} FROM {staged.table} s {' '.join(joins)}
        ),
        ruled AS (
            SELECT typed.*, CASE {which} END AS _pa_rule FROM typed {' '.join(spec.joins)}
        )
        SELECT _pa_row,
               CASE _pa_rule {code} END AS _pa_code,
               CASE _pa_rule {reason} END AS _pa_reason,
               {', '.join(stored + helpers)}
        FROM ruled
    """


def _key_text(columns: tuple[str, ...], alias: str) -> str:
    """SQL text naming a key's values, e.g. ``camera_id C1`` or ``list priors, plate 苏N12345``."""
    parts = [f"'{c} ' || coalesce(CAST({alias}.{quote(c)} AS VARCHAR), 'NULL')" for c in columns]
    return " || ', ' || ".join(parts)


def _json_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? AND data_type = 'JSON'",
                       [table]).fetchall()
    return {r[0] for r in rows}


def _mark_already_stored(con: duckdb.DuckDBPyConnection, spec: KindSpec, names: _Names, meter: Meter) -> None:
    """Mark rows whose key is stored: already stored, or set aside when stored with other values."""
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {spec.table} LIMIT 1)").fetchone()[0] == 0:  # type: ignore[index]
        return
    for key in spec.keys:
        when = f" AND ({key.when})" if key.when else ""
        bounds = ""
        if key.prune:
            lows = ", ".join(f"min({quote(c)}), max({quote(c)})" for c in key.prune)
            row = con.execute(f"SELECT {lows} FROM {names.checked} WHERE _pa_code IS NULL{when}").fetchone()
            if row is None or row[0] is None:
                continue
            params = list(row)
            bounds = " AND " + " AND ".join(
                f"_pa_t.{quote(c)} BETWEEN ${2 * i + 1} AND ${2 * i + 2}" for i, c in enumerate(key.prune))
        else:
            params = []
        match = " AND ".join(f"_pa_t.{quote(c)} = c.{quote(c)}" for c in key.columns)
        if spec.on_stored == "skip":
            sql = (f"UPDATE {names.checked} c SET _pa_code = {literal(ALREADY)} "
                   f"WHERE c._pa_code IS NULL{when} "
                   f"AND EXISTS (SELECT 1 FROM {spec.table} _pa_t WHERE {match}{bounds})")
            meter.execute(con, sql, params or None)
            continue
        json_cols = _json_columns(con, spec.table)
        compared = [col for col in spec.stored if col not in key.columns]

        def both(col: str) -> tuple[str, str]:
            if col in json_cols:
                return f"CAST(c.{quote(col)} AS VARCHAR)", f"CAST(_pa_t.{quote(col)} AS VARCHAR)"
            return f"c.{quote(col)}", f"_pa_t.{quote(col)}"

        same = " AND ".join(f"{a} IS NOT DISTINCT FROM {b}" for a, b in map(both, compared)) or "true"
        differ = ", ".join(f"CASE WHEN {a} IS DISTINCT FROM {b} THEN {literal(col)} END"
                           for col, (a, b) in zip(compared, map(both, compared), strict=True))
        key_cols = ", ".join(quote(c) for c in key.columns)
        sql = f"""
            UPDATE {names.checked} c SET
                _pa_code = CASE WHEN {same} THEN {literal(ALREADY)} ELSE {literal(CONFLICT)} END,
                _pa_reason = CASE WHEN {same} THEN NULL ELSE
                    {literal(CONFLICT)} || ': ' || {_key_text(key.columns, 'c')} || ' is stored with another '
                    || concat_ws(', ', {differ or "NULL"}) END
            FROM (SELECT {key_cols}, {', '.join(quote(c) for c in compared) or 'NULL AS _pa_none'}
                  FROM {spec.table}) _pa_t
            WHERE c._pa_code IS NULL{when} AND {match}{bounds}
        """
        meter.execute(con, sql, params or None)


def _mark_duplicates(con: duckdb.DuckDBPyConnection, spec: KindSpec, names: _Names) -> None:
    """Set aside every row whose key an earlier row of the file already has (among rows still accepted)."""
    for key in spec.keys:
        when = f" AND ({key.when})" if key.when else ""
        cols = ", ".join(quote(c) for c in key.columns)
        match = " AND ".join(f"c.{quote(c)} IS NOT DISTINCT FROM f.{quote(c)}" for c in key.columns)
        # Group by the key's hash first (integers group much faster than strings), then compare the few
        # rows whose hashes repeat by their actual key.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE {names.dups} AS
            WITH repeated AS (
                SELECT hash({cols}) AS _pa_h FROM {names.checked} WHERE _pa_code IS NULL{when}
                GROUP BY ALL HAVING count(*) > 1
            ),
            candidates AS (
                SELECT * FROM {names.checked}
                WHERE _pa_code IS NULL{when} AND hash({cols}) IN (SELECT _pa_h FROM repeated)
            )
            SELECT c._pa_row, f._pa_first FROM candidates c JOIN (
                SELECT {cols}, min(_pa_row) AS _pa_first FROM candidates GROUP BY ALL HAVING count(*) > 1
            ) f ON {match}
            WHERE c._pa_row > f._pa_first
        """)
        if not con.execute(f"SELECT count(*) FROM {names.dups}").fetchone()[0]:  # type: ignore[index]
            continue
        if len(key.columns) == 1:
            why = f"{_key_text(key.columns, 'c')} || ' is also in row ' || d._pa_first"
        else:
            why = f"{literal('the same ' + ', '.join(key.columns) + ' as row ')} || d._pa_first"
        con.execute(f"""
            UPDATE {names.checked} c SET _pa_code = {literal(DUPLICATE)},
                _pa_reason = {literal(DUPLICATE + ': ')} || {why}
            FROM {names.dups} d WHERE c._pa_row = d._pa_row
        """)


# --- the import --------------------------------------------------------------------------------------

def _spec(kind: str) -> KindSpec:
    spec = KINDS.get(kind)
    if spec is None:
        raise BadInput(f"The kind '{kind}' is not known; use one of {sorted(KINDS)}.")
    return spec


def _stage(con: duckdb.DuckDBPyConnection, spec: KindSpec, path: Path, names: _Names, encoding: str | None,
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


def import_file(store: Store, kind: str, path: str | Path, *, encoding: str | None = None, user: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import one file of ``kind``; returns what was accepted, set aside and already stored.

    Bad rows never stop an import: they are set aside with a reason (:func:`pingan.store.rejects.list_set_aside`).
    A file that is not what it claims (missing columns, corrupt, undecodable) raises :class:`BadFile` and
    stores nothing; so does any failure part-way.

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
    names = _Names()
    settings = _enable_progress(con) if progress else None
    clock.install(con, store.timezone)
    try:
        with tempfile.TemporaryDirectory(prefix="pingan-import-") as workdir:
            staged = _stage(con, spec, path, names, encoding, meter, Path(workdir))
            with _reading(staged, path):
                meter.band(0.55, 0.6)
                for c in spec.columns:
                    if c.type == "plate":
                        raw = f"s.{quote(c.name)}" if staged.columns.get(c.name) == "VARCHAR" else \
                            f"CAST(s.{quote(c.name)} AS VARCHAR)"
                        source = f"SELECT {raw} AS raw FROM {staged.table} s" if c.name in staged.columns \
                            else "SELECT CAST(NULL AS VARCHAR) AS raw"
                        build_plate_map(con, source, f"{names.pmap}_{c.name}")
                report = _store(store, spec, path, staged, names, meter, user=user, started_at=started_at)
    finally:
        _drop(con, names, spec)
        if settings is not None:
            _restore(con, settings)
    report.seconds = time.perf_counter() - started
    meter.done()
    return report


@contextmanager
def _reading(staged: Staged, path: Path) -> Iterator[None]:
    """A Parquet file is read while it is checked (it is staged as a view): a corrupt page is a BadFile."""
    try:
        yield
    except duckdb.Error as exc:
        if staged.format == "parquet" and isinstance(exc, duckdb.IOException | duckdb.InvalidInputException):
            raise parquet_error(path, exc) from None
        raise


def _store(store: Store, spec: KindSpec, path: Path, staged: Staged, names: _Names, meter: Meter, *,
           user: str | None, started_at: datetime) -> ImportReport:
    with store.atomic() as con:
        batch_id = int(con.execute("SELECT nextval('batch_seq')").fetchone()[0])  # type: ignore[index]
        meter.band(0.6, 0.75)
        meter.execute(con, checked_sql(spec, staged, names))
        _mark_already_stored(con, spec, names, meter)
        _mark_duplicates(con, spec, names)
        counts = dict(con.execute(f"SELECT _pa_code, count(*) FROM {names.checked} GROUP BY ALL").fetchall())
        accepted = int(counts.pop(None, 0))
        already = int(counts.pop(ALREADY, 0))
        reasons = {str(k): int(v) for k, v in counts.items()}
        if staged.rejected:
            reasons[MALFORMED] = reasons.get(MALFORMED, 0) + len(staged.rejected)
        set_aside = sum(reasons.values())
        meter.band(0.75, 0.97)
        columns = ", ".join(quote(c) for c in spec.stored)
        order = f" ORDER BY {', '.join(quote(c) for c in spec.order_by)}" if spec.order_by else ""
        meter.execute(con, f"INSERT INTO {spec.table} ({columns}, batch_id) SELECT {columns}, {batch_id} "
                           f"FROM {names.checked} WHERE _pa_code IS NULL{order}")
        if set_aside - len(staged.rejected) > 0:
            con.execute(f"""
                INSERT INTO set_aside (batch_id, kind, row_number, reason, row_json)
                SELECT {batch_id}, {literal(spec.kind)}, c._pa_row, coalesce(c._pa_reason, c._pa_code), {row_as_json(staged)}
                FROM {names.checked} c JOIN {staged.table} s ON {staged.row_sql} = c._pa_row
                WHERE c._pa_code IS NOT NULL AND c._pa_code <> {literal(ALREADY)}
                ORDER BY c._pa_row
            """)
        if staged.rejected:
            con.executemany(
                "INSERT INTO set_aside (batch_id, kind, row_number, reason, row_json) VALUES (?, ?, ?, ?, ?)",
                [[batch_id, spec.kind, row, f"{MALFORMED}: {what}", reject_json(raw)]
                 for row, what, raw in staged.rejected])
        if spec.after is not None and accepted:
            spec.after(con, names.checked, batch_id, {"file_name": path.name, "user": user})
        rows_total = accepted + already + set_aside
        con.execute(
            "INSERT INTO import_batches (batch_id, kind, file, file_format, encoding, sha256, user_name, started_at, "
            "finished_at, rows_total, accepted, set_aside, already_stored) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, spec.kind, str(path), staged.format, staged.encoding, staged.digest(), user, started_at,
             _now_utc(), rows_total, accepted, set_aside, already])
    return ImportReport(batch_id=batch_id, kind=spec.kind, file=str(path), file_format=staged.format,
                        encoding=staged.encoding, rows_total=rows_total, accepted=accepted, set_aside=set_aside,
                        already_stored=already, reasons=dict(sorted(reasons.items())), sha256=staged.sha256)


def _drop(con: duckdb.DuckDBPyConnection, names: _Names, spec: KindSpec) -> None:
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


__all__ = ["import_file", "checked_sql", "Column"]
