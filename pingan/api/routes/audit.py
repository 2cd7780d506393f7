"""The audit views: the log a page at a time, who did what, and whether the chain is intact."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from pingan.api.deps import CurrentUser, StoreDep
from pingan.governance.audit import record, verify
from pingan.timeutil import iso_local, parse_time

router = APIRouter(prefix="/api/audit", tags=["audit"])

Text = Annotated[str | None, Query(max_length=100)]


def _filters(user: str | None, action: str | None, operation: str | None, outcome: str | None,
             since: str | None, until: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column, value in (("user_name", user), ("action", action), ("outcome", outcome)):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if operation:
        clauses.append("operation LIKE ?")
        params.append(operation.replace("*", "%"))
    if since:
        clauses.append("at_utc >= ?")
        params.append(parse_time(since, name="since"))
    if until:
        clauses.append("at_utc <= ?")
        params.append(parse_time(until, name="until"))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


@router.get("")
def audit_log(store: StoreDep, principal: CurrentUser, user: Text = None, action: Text = None,
              operation: Annotated[str | None, Query(max_length=100, description="e.g. anpr.* ")] = None,
              outcome: Text = None, since: Text = None, until: Text = None,
              before: Annotated[int | None, Query(ge=1, description="only entries before this seq: stable pages "
                                                                     "while the log grows")] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    """Audit entries, newest first, filtered by user, action, operation (``*`` wildcard), outcome and time.

    Reading the log is itself recorded; to page through it without the pages shifting, pass the last
    ``seq`` seen as ``before``.
    """
    principal.need("audit.read")
    where, params = _filters(user, action, operation, outcome, since, until)
    if before is not None:
        where = f"{where} AND seq < ?" if where else " WHERE seq < ?"
        params.append(before)
    total = store.con.execute(f"SELECT count(*) FROM audit_log{where}", params).fetchone()[0]  # type: ignore[index]
    rows = store.con.execute(
        "SELECT seq, at_utc, user_name, role, action, operation, purpose, params, outcome, touched, hash "
        f"FROM audit_log{where} ORDER BY seq DESC LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()
    entries = [{"seq": r[0], "at": iso_local(r[1]), "user": r[2], "role": r[3], "action": r[4], "operation": r[5],
                "purpose": r[6], "params": json.loads(r[7]) if r[7] else {}, "outcome": r[8], "touched": r[9],
                "hash": r[10]} for r in rows]
    record(store, principal.actor(), action="consultation", operation="audit.read",
           params={"user": user, "action": action, "operation": operation, "outcome": outcome, "offset": offset},
           touched=len(entries))
    return {"total": total, "limit": limit, "offset": offset, "entries": entries}


@router.get("/summary")
def audit_summary(store: StoreDep, principal: CurrentUser, since: Text = None, until: Text = None) -> dict[str, Any]:
    """Who did what: entries and records touched per user and action, and refusals."""
    principal.need("audit.read")
    where, params = _filters(None, None, None, None, since, until)
    rows = store.con.execute(
        "SELECT user_name, action, count(*), sum(touched), count(*) FILTER (WHERE outcome <> 'ok') "
        f"FROM audit_log{where} GROUP BY ALL ORDER BY user_name, action", params).fetchall()
    record(store, principal.actor(), action="consultation", operation="audit.summary",
           params={"since": since, "until": until}, touched=sum(r[2] for r in rows))
    return {"rows": [{"user": r[0], "action": r[1], "entries": r[2], "touched": int(r[3] or 0), "not_ok": r[4]}
                     for r in rows]}


@router.get("/verify")
def audit_verify(store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Is the audit chain intact? Names the first entry that was edited, removed or reordered."""
    principal.need("audit.read")
    result = verify(store)
    record(store, principal.actor(), action="consultation", operation="audit.verify",
           params={"intact": result.ok}, outcome="ok" if result.ok else "failed", touched=result.entries)
    return {"ok": result.ok, "entries": result.entries, "first_bad_seq": result.first_bad_seq,
            "problem": result.problem}
