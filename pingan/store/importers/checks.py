"""The checks of an import, as SQL built from a spec: typed values, rules, already stored, duplicates.

Every statement runs over all rows of the file at once (no Python loop over rows):

* :func:`checked_sql` — one ``CREATE TABLE … AS SELECT``: each column converted to its type, the first
  rule that fails (its reason category in ``_pa_code``, its full reason in ``_pa_reason``), and the
  stored columns.
* :func:`mark_already_stored` — rows whose natural key is stored: already stored (same values, or any
  values for ``on_stored="skip"``), else set aside naming the columns that differ.
* :func:`mark_duplicates` — later rows of the file repeating an earlier row's key.
"""

from __future__ import annotations

import uuid

import duckdb

from pingan.store.importers.progress import Meter
from pingan.store.importers.sources import Staged
from pingan.store.importers.spec import (
    ALREADY,
    CONFLICT,
    DUPLICATE,
    EMPTY_PLATE,
    MISSING,
    UNPARSEABLE,
    KindSpec,
    Rule,
    literal,
    native,
    quote,
    text_sql,
    typed_sql,
)


class TempNames:
    """Temp table names for one import (unique, so imports on one connection never collide)."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:10]
        self.stage = f"_pa_stage_{tag}"
        self.checked = f"_pa_checked_{tag}"
        self.dups = f"_pa_dups_{tag}"
        self.pmap = f"_pa_pmap_{tag}"

    def all(self) -> list[str]:
        return [self.stage, self.checked, self.dups, self.pmap, self.stage + "_rows"]


_SQL_TYPES = {"text": "VARCHAR", "lower": "VARCHAR", "double": "DOUBLE", "int": "BIGINT", "time": "TIMESTAMPTZ",
              "list": "VARCHAR[]", "plate": "VARCHAR"}


# --- building the check ------------------------------------------------------------------------------

_EXPECTED = {"time": "an ISO 8601 time", "double": "a number", "int": "a whole number"}


def _rules(spec: KindSpec, staged: Staged) -> list[Rule]:
    """The engine's own rules (values present and parseable, column by column), then the spec's."""
    rules: list[Rule] = []
    for c in spec.columns:
        name = quote(c.name)
        if c.type in UNPARSEABLE and c.name in staged.columns:
            # A value that is there but does not parse (blank is missing, not unparseable); trim() only runs
            # for the rows whose value did not parse.
            rules.append(Rule(UNPARSEABLE[c.type],
                              f"{name} IS NULL AND _pa_text_{c.name} IS NOT NULL AND trim(_pa_text_{c.name}) <> ''",
                              f"{literal(c.name + ' ' + chr(39))} || trim(_pa_text_{c.name}) || "
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
            text = "CAST(NULL AS VARCHAR)" if native(c, stype) else text_sql(ref, stype, trim=False)
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


def checked_sql(spec: KindSpec, staged: Staged, names: TempNames) -> str:
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


def mark_already_stored(con: duckdb.DuckDBPyConnection, spec: KindSpec, names: TempNames, meter: Meter) -> None:
    """Mark rows whose key is stored: already stored, or set aside when stored with other values."""
    stored = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {spec.table} LIMIT 1)").fetchone()
    if not stored or not stored[0]:
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


def mark_duplicates(con: duckdb.DuckDBPyConnection, spec: KindSpec, names: TempNames) -> None:
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
