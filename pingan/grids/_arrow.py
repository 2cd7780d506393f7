"""Writing many rows at once: through Arrow, because row-by-row inserts are slow in DuckDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa


def append_rows(con: duckdb.DuckDBPyConnection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                *, types: Mapping[str, pa.DataType] | None = None) -> int:
    """Append ``rows`` (each a sequence in ``columns`` order) to ``table`` in one statement."""
    if not rows:
        return 0
    types = {"parties": pa.list_(pa.string()), **(types or {})}
    arrow = pa.table({c: pa.array([r[i] for r in rows], type=types.get(c)) for i, c in enumerate(columns)})
    con.register("_append_rows", arrow)
    try:
        con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM _append_rows")
    finally:
        con.unregister("_append_rows")
    return len(rows)
