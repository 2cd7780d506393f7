"""Base layers (roads, grids), police grids with their grades and history, officers and disputes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pingan.api.deps import CurrentUser, StoreDep
from pingan.api.routes.tactics import NotAvailable, library
from pingan.errors import NotFound
from pingan.governance.audit import record
from pingan.reports import basemap
from pingan.store.db import Store
from pingan.timeutil import iso_local, parse_time

router = APIRouter(tags=["grids"])

OPEN = ("open", "mediating", "escalated")


@router.get("/api/layers/roads")
def roads_layer(store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """The county's roads as GeoJSON, drawn as the workbench's basemap (no online tiles)."""
    principal.need("grids.read")
    return basemap.roads(store)


@router.get("/api/layers/extent")
def extent(store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """The county's extent [min_lon, min_lat, max_lon, max_lat] (cameras and grids)."""
    principal.need("grids.read")
    box = basemap.bounds(store)
    return {"bbox": list(box) if box else None}


def _officers(store: Store) -> dict[str, dict[str, Any]]:
    rows = store.con.execute("SELECT officer_id, name, grid_ids FROM officers").fetchall()
    return {r[0]: {"officer_id": r[0], "name": r[1], "grid_ids": list(r[2] or [])} for r in rows}


def _open_disputes(store: Store) -> dict[str, int]:
    rows = store.con.execute(
        "SELECT grid_id, count(*) FROM disputes WHERE status IN ('open', 'mediating', 'escalated') "
        "AND grid_id IS NOT NULL GROUP BY grid_id").fetchall()
    return {r[0]: int(r[1]) for r in rows}


def grading_module() -> Any | None:
    """The grid-grading library, or None while it is not part of this installation."""
    try:
        return library("pingan.grids.grading", "Grid grading")
    except NotAvailable:
        return None


def _grades(store: Store, as_of: str | None) -> tuple[dict[str, dict[str, Any]], str | None]:
    """Each grid's current grade (colour, score, reasons) from the grading library, if there is one."""
    lib = grading_module()
    if lib is None or not hasattr(lib, "current_grades"):
        return {}, "Grid grading is not available in this installation yet."
    grades = lib.current_grades(store, as_of=parse_time(as_of, name="as_of") if as_of else None)
    if not grades:
        return {}, "The grids have not been graded yet; grade them with `pingan grids grade --as-of DATE`."
    return {g["grid_id"]: g for g in (x.to_json() if hasattr(x, "to_json") else x for x in grades)}, None


@router.get("/api/grids")
def grids(store: StoreDep, principal: CurrentUser,
          level: Annotated[str, Query(pattern="^(police|governance)$")] = "police",
          as_of: Annotated[str | None, Query(max_length=40)] = None) -> dict[str, Any]:
    """The grids of one level as GeoJSON, each with its grade (red/yellow/green), officer and open disputes."""
    principal.need("grids.read")
    collection = basemap.grids(store, level)
    officers, disputes = _officers(store), _open_disputes(store)
    grades, note = _grades(store, as_of) if level == "police" else ({}, None)
    for feature in collection["features"]:
        props = feature["properties"]
        officer = officers.get(props.get("officer_id") or "")
        props["officer_name"] = officer["name"] if officer else None
        props["open_disputes"] = disputes.get(props["grid_id"], 0)
        grade = grades.get(props["grid_id"])
        props["colour"] = grade.get("colour") if grade else None
        props["score"] = grade.get("score") if grade else None
        props["reasons"] = grade.get("reasons", []) if grade else []
    collection["grading"] = {"available": note is None, "note": note}
    record(store, principal.actor(), action="consultation", operation="grids.list",
           params={"level": level}, touched=len(collection["features"]))
    return collection


@router.get("/api/grids/{grid_id}")
def grid_detail(grid_id: str, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """One grid: its properties, officer, grade history and why it changed, and its unresolved disputes."""
    principal.need("grids.read")
    collection = basemap.grids(store, None)
    feature = next((f for f in collection["features"] if f["properties"]["grid_id"] == grid_id), None)
    if feature is None:
        raise NotFound(f"There is no grid {grid_id!r}; list grids at /api/grids.")
    props = dict(feature["properties"])
    officer = _officers(store).get(props.get("officer_id") or "")
    rows = store.con.execute(
        "SELECT dispute_id, level, status, opened_at, category, description FROM disputes "
        "WHERE grid_id = ? AND status IN ('open', 'mediating', 'escalated') ORDER BY opened_at DESC", [grid_id]
    ).fetchall()
    disputes = [{"dispute_id": r[0], "level": r[1], "status": r[2], "opened_at": iso_local(r[3]), "category": r[4],
                 "description": r[5]} for r in rows]
    lib = grading_module()
    history: list[dict[str, Any]] = []
    note = None
    if lib is not None and hasattr(lib, "grade_history"):
        history = [h.to_json() if hasattr(h, "to_json") else h for h in lib.grade_history(store, grid_id)]
        if not history and props.get("level") == "police":
            note = "This grid has not been graded yet; grade the grids with `pingan grids grade --as-of DATE`."
    else:
        note = "Grid grading is not available in this installation yet."
    record(store, principal.actor(), action="consultation", operation="grids.read",
           params={"grid_id": grid_id}, touched=1 + len(disputes))
    return {"grid": props, "geometry": feature["geometry"], "officer": officer, "open_disputes": disputes,
            "history": history, "grading": {"available": note is None, "note": note}}


@router.get("/api/disputes")
def disputes(store: StoreDep, principal: CurrentUser,
             status: Annotated[str | None, Query(pattern="^(open|mediating|resolved|escalated|unresolved)$")] = None,
             grid_id: Annotated[str | None, Query(max_length=64)] = None,
             limit: Annotated[int, Query(ge=1, le=1000)] = 100,
             offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    """Disputes, newest first, a page at a time; ``status=unresolved`` for all not yet resolved."""
    principal.need("grids.read")
    where, args = [], []
    if status == "unresolved":
        where.append("status <> 'resolved'")
    elif status:
        where.append("status = ?")
        args.append(status)
    if grid_id:
        where.append("grid_id = ?")
        args.append(grid_id)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    total = store.con.execute(f"SELECT count(*) FROM disputes{clause}", args).fetchone()[0]  # type: ignore[index]
    rows = store.con.execute(
        "SELECT dispute_id, grid_id, lon, lat, level, status, opened_at, closed_at, category, description "
        f"FROM disputes{clause} ORDER BY opened_at DESC, dispute_id LIMIT ? OFFSET ?", [*args, limit, offset]
    ).fetchall()
    keys = ("dispute_id", "grid_id", "lon", "lat", "level", "status", "opened_at", "closed_at", "category",
            "description")
    items = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["opened_at"], item["closed_at"] = iso_local(item["opened_at"]), iso_local(item["closed_at"])
        items.append(item)
    record(store, principal.actor(), action="consultation", operation="disputes.list",
           params={"status": status, "grid_id": grid_id}, touched=len(items))
    return {"total": total, "limit": limit, "offset": offset, "disputes": items}
