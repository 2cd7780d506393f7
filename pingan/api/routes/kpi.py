"""The force's indicators, and the cases behind each number."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from pingan.api.deps import CurrentUser, StoreDep
from pingan.governance.audit import record
from pingan.kpi.indicators import KpiQuery, indicators, records
from pingan.timeutil import iso_local, parse_duration, parse_time

router = APIRouter(prefix="/api/kpi", tags=["indicators"])

AsOf = Annotated[str | None, Query(max_length=40, description="ISO 8601; default: just after the latest report")]
Period = Annotated[str, Query(max_length=16, description="the period the rates describe, e.g. 28d, 365d")]
Weeks = Annotated[int, Query(ge=1, le=520, description="weeks of the weekly chart")]
Category = Annotated[str | None, Query(max_length=64)]


def kpi_query(as_of: str | None, period: str, weeks: int, category: str | None) -> KpiQuery:
    return KpiQuery(as_of=parse_time(as_of, name="as_of") if as_of else None,
                    period=parse_duration(period, name="period"), weeks=weeks, category=category or None)


@router.get("")
def kpi_route(store: StoreDep, principal: CurrentUser, as_of: AsOf = None, period: Period = "365d",
              weeks: Weeks = 26, category: Category = None) -> dict[str, Any]:
    """Cases by week and category, year-on-year change, clearance rate, time to solve, cases per 100 officers.

    Every number carries a ``ref``; GET /api/kpi/records with that ref (and the same as_of) lists its cases.
    """
    principal.need("grids.read")
    document = indicators(store, kpi_query(as_of, period, weeks, category)).to_json()
    record(store, principal.actor(), action="consultation", operation="kpi",
           params={"as_of": as_of, "period": period, "category": category})
    return document


@router.get("/records")
def kpi_records(store: StoreDep, principal: CurrentUser,
                ref: Annotated[str, Query(min_length=1, max_length=200, description="a ref from /api/kpi")],
                as_of: AsOf = None, period: Period = "365d", category: Category = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                offset: Annotated[int, Query(ge=0)] = 0) -> dict[str, Any]:
    """The cases behind one number of the indicators, a page at a time."""
    principal.need("grids.read")
    principal.need("cases.read")
    ids = records(store, ref, kpi_query(as_of, period, 1, category))
    page = ids[offset:offset + limit]
    rows = store.con.execute(
        "SELECT case_id, category, lon, lat, start_ts, end_ts, status, reported_at, solved_at FROM cases "
        "WHERE case_id IN (SELECT unnest(?::VARCHAR[]))", [page]).fetchall()
    by_id = {r[0]: r for r in rows}
    cases = []
    for case_id in page:
        cid, category_, lon, lat, start, end, status, reported, solved = by_id[case_id]
        cases.append({"case_id": cid, "category": category_, "lon": lon, "lat": lat, "start": iso_local(start),
                      "end": iso_local(end), "status": status, "reported_at": iso_local(reported),
                      "solved_at": iso_local(solved)})
    record(store, principal.actor(), action="consultation", operation="kpi.records",
           params={"ref": ref, "offset": offset}, touched=len(cases))
    return {"ref": ref, "total": len(ids), "limit": limit, "offset": offset, "cases": cases}
