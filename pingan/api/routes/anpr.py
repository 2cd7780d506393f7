"""Suspects and collide: personal data, so every call names its purpose and is audited."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pingan.anpr.collide import CollideQuery, collide
from pingan.anpr.suspects import SuspectQuery, suspects
from pingan.api.deps import CurrentUser, StoreDep
from datetime import timedelta

from pingan.anpr.cases import load_case
from pingan.governance.audit import audited
from pingan.governance.purpose import check_old_reads
from pingan.timeutil import parse_duration

router = APIRouter(prefix="/api", tags=["anpr"])


class SuspectsBody(BaseModel):
    case_id: str = Field(min_length=1, max_length=128)
    radius_km: float = Field(default=5.0, gt=0, le=50)
    pad: str = Field(default="2h", max_length=16)
    top: int | None = Field(default=50, ge=1, le=100_000)
    purpose: str | None = Field(default=None, max_length=500, description="defaults to the case id")
    authorisation: str | None = Field(default=None, max_length=64,
                                      description="a supervisor's reference, needed for reads older than 90 days")


class CollideBody(BaseModel):
    case_ids: list[str] = Field(min_length=2, max_length=50)
    min_cases: int | None = Field(default=None, ge=1)
    radius_km: float = Field(default=5.0, gt=0, le=50)
    pad: str = Field(default="2h", max_length=16)
    top: int | None = Field(default=100, ge=1, le=100_000)
    purpose: str | None = Field(default=None, max_length=500)
    authorisation: str | None = Field(default=None, max_length=64)


@router.post("/suspects")
def suspects_route(body: SuspectsBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """The vehicles seen around a case, best suspects first, with reasons and reads."""
    principal.need("anpr.query")
    query = SuspectQuery(case_id=body.case_id, radius_km=body.radius_km,
                         pad=parse_duration(body.pad, name="pad"), top=body.top)
    actor = principal.actor(body.purpose or body.case_id)
    case = load_case(store, body.case_id)
    check_old_reads(store, actor, case.start - query.pad - timedelta(days=query.history.days), body.authorisation,
                    operation="anpr.suspects")
    with audited(store, actor, action="consultation",
                 operation="anpr.suspects", params=body.model_dump(exclude={"purpose"})) as audit:
        result = suspects(store, query)
        audit.touched = result.vehicles_seen
    return result.to_json()


@router.post("/collide")
def collide_route(body: CollideBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Vehicles seen around at least K of the cases, most surprising first."""
    principal.need("anpr.query")
    query = CollideQuery(case_ids=tuple(body.case_ids), min_cases=body.min_cases, radius_km=body.radius_km,
                         pad=parse_duration(body.pad, name="pad"), top=body.top)
    actor = principal.actor(body.purpose or ",".join(body.case_ids))
    earliest = min(load_case(store, c).start for c in body.case_ids) - query.pad - timedelta(days=query.history.days)
    check_old_reads(store, actor, earliest, body.authorisation, operation="anpr.collide")
    with audited(store, actor, action="combination",
                 operation="anpr.collide", params=body.model_dump(exclude={"purpose"})) as audit:
        result = collide(store, query)
        audit.touched = len(result.vehicles)
    return result.to_json()
