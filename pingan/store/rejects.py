"""The rows imports set aside, and the import batches: what came in, from where, and what was refused."""

from __future__ import annotations

import json
from typing import Any

from pingan.store.db import Store


def list_set_aside(store: Store, *, batch_id: int | None = None, kind: str | None = None,
                   reason: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows set aside, oldest batch first and in file order, each with its reason and the row as it arrived.

    ``reason`` keeps the rows whose reason starts with it (e.g. ``"unknown camera"``).
    """
    where, args = [], []
    if batch_id is not None:
        where.append("batch_id = ?")
        args.append(int(batch_id))
    if kind is not None:
        where.append("kind = ?")
        args.append(kind)
    if reason:
        where.append("starts_with(reason, ?)")
        args.append(reason)
    sql = "SELECT batch_id, kind, row_number, reason, row_json FROM set_aside"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY batch_id, row_number"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [
        {"batch_id": b, "kind": k, "row_number": n, "reason": r, "row": _row(j)}
        for b, k, n, r, j in store.con.execute(sql, args).fetchall()
    ]


def _row(text: str | None) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {"_text": text}


def list_batches(store: Store, *, kind: str | None = None) -> list[dict[str, Any]]:
    """The import batches, newest first: file, kind, format, encoding, counts, who and when."""
    sql = ("SELECT batch_id, kind, file, file_format, encoding, sha256, user_name, started_at, finished_at, "
           "rows_total, accepted, set_aside, already_stored FROM import_batches")
    args: list[Any] = []
    if kind is not None:
        sql += " WHERE kind = ?"
        args.append(kind)
    cur = store.con.execute(sql + " ORDER BY batch_id DESC", args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
