"""Health, cases and cameras."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pingan import __version__
from pingan.api.deps import CurrentUser, StoreDep
from pingan.errors import NotFound
from pingan.governance.audit import record
from pingan.timeutil import iso_local

router = APIRouter(tags=["cases"])


@router.get("/health")
def health(store: StoreDep) -> dict[str, Any]:
    """Is the service up, and how much data does the store hold."""
    counts = {
        table: store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
        for table in ("cameras", "reads", "cases", "watchlist", "grids")
    }
    return {"status": "ok", "version": __version__, "counts": counts}


@router.get("/api/cameras")
def cameras(store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    principal.need("cases.read")
    rows = store.con.execute("SELECT camera_id, lon, lat, kind, name, road FROM cameras ORDER BY camera_id").fetchall()
    keys = ("camera_id", "lon", "lat", "kind", "name", "road")
    record(store, principal.actor(), action="consultation", operation="cameras.list", touched=len(rows))
    return {"cameras": [dict(zip(keys, row, strict=True)) for row in rows]}


@router.get("/api/cases")
def cases(
    store: StoreDep,
    principal: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> dict[str, Any]:
    principal.need("cases.read")
    total = store.con.execute("SELECT count(*) FROM cases").fetchone()[0]  # type: ignore[index]
    rows = store.con.execute(
        "SELECT case_id, category, lon, lat, start_ts, end_ts, status, description FROM cases "
        "ORDER BY start_ts DESC, case_id LIMIT ? OFFSET ?", [limit, offset]
    ).fetchall()
    record(store, principal.actor(), action="consultation", operation="cases.list",
           params={"offset": offset}, touched=len(rows))
    return {"total": total, "limit": limit, "offset": offset, "cases": [case_json(r) for r in rows]}


@router.get("/api/cases/{case_id}")
def case(store: StoreDep, principal: CurrentUser, case_id: str) -> dict[str, Any]:
    principal.need("cases.read")
    row = store.con.execute(
        "SELECT case_id, category, lon, lat, start_ts, end_ts, status, description FROM cases WHERE case_id = ?",
        [case_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no case {case_id!r}; list cases at /api/cases.")
    record(store, principal.actor(), action="consultation", operation="cases.read",
           params={"case_id": case_id}, touched=1)
    return case_json(row)


def case_json(row: tuple[Any, ...]) -> dict[str, Any]:
    case_id, category, lon, lat, start, end, status, description = row
    return {"case_id": case_id, "category": category, "lon": lon, "lat": lat,
            "start": iso_local(start), "end": iso_local(end), "status": status, "description": description}
