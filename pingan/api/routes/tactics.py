"""Vehicle tactics: plate search, trajectory, stay points, companions, cloned plates, night activity,
newcomers and loitering.

Every tactic reads personal data: plates travel in the request body (never in the URL), each request
names its purpose, and each runs inside :func:`pingan.governance.audit.audited`. A tactic whose library
is not installed answers 501 ``not_available`` so the workbench can say so.
"""

from __future__ import annotations

import importlib
import math
from datetime import datetime, timedelta
from types import ModuleType
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from pingan.api.deps import CurrentUser, Principal, StoreDep
from pingan.errors import BadInput, PinganError
from pingan.governance.audit import audited
from pingan.governance.purpose import check_old_reads
from pingan.store.db import Store
from pingan.timeutil import parse_duration

router = APIRouter(prefix="/api/tactics", tags=["tactics"])


class NotAvailable(PinganError):
    """A capability whose library is not part of this installation yet."""

    status = 501
    code = "not_available"


def library(module: str, what: str, needs: tuple[str, ...] = ()) -> ModuleType:
    """Import a library module (with the functions it ``needs``), or say clearly that this capability is
    not available here."""
    try:
        lib = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise NotAvailable(f"{what} is not available in this installation yet ({module} is missing).") from None
        raise
    missing = [name for name in needs if not hasattr(lib, name)]
    if missing:
        raise NotAvailable(f"{what} is not available in this installation yet ({module} has no {missing[0]}).")
    return lib


def duration(text: str | None, name: str) -> timedelta | None:
    return None if text is None else parse_duration(text, name=name)


class Purposeful(BaseModel):
    purpose: str | None = Field(default=None, max_length=500,
                                description="why the data is looked at: a case id or a written purpose (audited; "
                                            "required: a request without one is refused and recorded)")
    authorisation: str | None = Field(default=None, max_length=64,
                                      description="a supervisor's reference, needed for reads older than 90 days")


class PeriodBody(Purposeful):
    start: str | None = Field(default=None, max_length=40, description="ISO 8601; local time when no offset")
    end: str | None = Field(default=None, max_length=40, description="ISO 8601; default: the end of the data")


class PlateBody(PeriodBody):
    plate: str = Field(min_length=1, max_length=32, description="a plate as read or typed, e.g. 苏N12345")


def period(store: Store, body: PeriodBody, default_days: int = 30) -> Any:
    common = library("pingan.anpr.tactic_common", "Vehicle tactics")
    return common.resolve_period(store, body.start, body.end, default_days=default_days)


def plate_of(body: PlateBody) -> str:
    common = library("pingan.anpr.tactic_common", "Vehicle tactics")
    return str(common.plate_arg(body.plate))


def run(store: Store, principal: Principal, body: Purposeful, operation: str, action: str, call: Any,
        count: Any, earliest: datetime) -> dict[str, Any]:
    """Run one tactic under audit; ``count`` says how many records the result touched.

    A query reaching reads older than 90 days needs a supervisor's authorisation reference (refused and
    audited without one)."""
    purpose = body.purpose
    params = body.model_dump(exclude={"purpose"})
    check_old_reads(store, principal.actor(purpose), earliest, body.authorisation, operation=operation)
    with audited(store, principal.actor(purpose), action=action, operation=operation,  # type: ignore[arg-type]
                 params=params) as audit:
        result = call()
        audit.touched = int(count(result))
    return plain(result.to_json())


def plain(value: Any) -> Any:
    """A library's JSON document with numpy scalars and arrays as plain values, and NaN or infinity as null."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, str):  # numpy scalars and arrays
        return plain(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --- plate search ------------------------------------------------------------------------------------

class SearchBody(PeriodBody):
    pattern: str = Field(min_length=1, max_length=40, description="a partial plate: ? one character, * any")
    fuzzy: bool = Field(default=False, description="also match characters cameras confuse (8/B, 0/D/Q …)")
    max_cost: float = Field(default=1.0, ge=0, le=10)
    top: int = Field(default=100, ge=1, le=1000)


@router.post("/search")
def search_route(body: SearchBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Plates matching a partial plate (witness memory), with their reads, cheapest match first."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.search", "Plate search")
    query = lib.PlateSearchQuery(pattern=body.pattern, period=period(store, body), fuzzy=body.fuzzy,
                                 max_cost=body.max_cost, top=body.top)
    return run(store, principal, body, "anpr.search", "consultation",
               lambda: lib.plate_search(store, query), lambda r: len(r.matches), query.period.start)


# --- one plate ---------------------------------------------------------------------------------------

class TrajectoryBody(PlateBody):
    trip_gap: str = Field(default="30m", max_length=16, description="a longer gap starts a new trip")


@router.post("/trajectory")
def trajectory_route(body: TrajectoryBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """The plate's reads in time order, split into trips, with speeds and misread variants."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.trajectory", "Trajectories")
    query = lib.TrajectoryQuery(plate=plate_of(body), period=period(store, body),
                                trip_gap=parse_duration(body.trip_gap, name="trip_gap"))
    return run(store, principal, body, "anpr.trajectory", "consultation",
               lambda: lib.trajectory(store, query), lambda r: len(r.reads), query.period.start)


class StayBody(PlateBody):
    min_dwell: str = Field(default="1h", max_length=16)
    radius_km: float = Field(default=1.0, gt=0, le=20)
    top: int | None = Field(default=20, ge=1, le=1000)


@router.post("/stay-points")
def stay_points_route(body: StayBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Where the vehicle stays (long dwells, overnight), most important first."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.staypoints", "Stay points")
    query = lib.StayQuery(plate=plate_of(body), period=period(store, body),
                          min_dwell=parse_duration(body.min_dwell, name="min_dwell"), radius_km=body.radius_km,
                          top=body.top)
    return run(store, principal, body, "anpr.stay_points", "consultation",
               lambda: lib.stay_points(store, query), lambda r: r.reads, query.period.start)


class CompanionsBody(PlateBody):
    within: str = Field(default="60s", max_length=16, description="two reads this close at one camera are together")
    min_cameras: int = Field(default=2, ge=1, le=100)
    min_trips: int = Field(default=2, ge=1, le=100)
    top: int | None = Field(default=20, ge=1, le=1000)


@router.post("/companions")
def companions_route(body: CompanionsBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Vehicles that repeatedly travel with the plate, best first."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.companions", "Companions")
    query = lib.CompanionQuery(plate=plate_of(body), period=period(store, body),
                               within=parse_duration(body.within, name="within"), min_cameras=body.min_cameras,
                               min_trips=body.min_trips, top=body.top)
    return run(store, principal, body, "anpr.companions", "combination",
               lambda: lib.companions(store, query), lambda r: len(r.companions), query.period.start)


# --- sweeps over every plate -------------------------------------------------------------------------

class ClonedBody(PeriodBody):
    plates: list[str] | None = Field(default=None, max_length=1000, description="only these plates (default: all)")
    top: int | None = Field(default=50, ge=1, le=10_000)


@router.post("/cloned")
def cloned_route(body: ClonedBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Plates that appear to be on two vehicles at once, most certain first."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.cloned", "Cloned-plate detection")
    plates = None
    if body.plates is not None:
        common = library("pingan.anpr.tactic_common", "Vehicle tactics")
        plates = tuple(common.plate_arg(p) for p in body.plates)
    query = lib.CloneQuery(period=period(store, body, default_days=7), plates=plates, top=body.top)
    return run(store, principal, body, "anpr.cloned", "consultation",
               lambda: lib.cloned(store, query), lambda r: len(r.plates), query.period.start)


class NightBody(PeriodBody):
    night_start: int = Field(default=22, ge=0, le=23)
    night_end: int = Field(default=5, ge=0, le=23)
    min_reads: int = Field(default=10, ge=1)
    min_nights: int = Field(default=3, ge=1)
    top: int | None = Field(default=50, ge=1, le=10_000)


@router.post("/night-active")
def night_active_route(body: NightBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Vehicles whose activity concentrates at night (昼伏夜出), most marked first."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.patterns", "Night activity")
    query = lib.NightQuery(period=period(store, body), night_start=body.night_start, night_end=body.night_end,
                           min_reads=body.min_reads, min_nights=body.min_nights, top=body.top)
    return run(store, principal, body, "anpr.night_active", "consultation",
               lambda: lib.night_active(store, query), lambda r: len(r.vehicles), query.period.start)


class AreaBody(PeriodBody):
    case_id: str | None = Field(default=None, max_length=128, description="the area around this case's scene")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    radius_km: float = Field(default=1.0, gt=0, le=50)
    top: int | None = Field(default=50, ge=1, le=10_000)


def area_cameras(store: Store, body: AreaBody) -> tuple[str, ...]:
    from pingan.anpr.area import area_around
    from pingan.anpr.cases import load_case

    if body.case_id:
        case = load_case(store, body.case_id)
        lon, lat = case.lon, case.lat
    elif body.lon is not None and body.lat is not None:
        lon, lat = body.lon, body.lat
    else:
        raise BadInput("Say where: give case_id, or lon and lat.")
    return tuple(area_around(store, lon, lat, body.radius_km).camera_ids)


class FirstSeenBody(AreaBody):
    lookback: str = Field(default="30d", max_length=16)
    whole_city: bool = Field(default=False, description="ignore the area: newcomers anywhere")


@router.post("/first-seen")
def first_seen_route(body: FirstSeenBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Vehicles seen in the period (around a place) and never in the weeks before, anywhere."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.patterns", "First-seen vehicles")
    cameras = None if body.whole_city else area_cameras(store, body)
    query = lib.FirstSeenQuery(period=period(store, body, default_days=7),
                               lookback=parse_duration(body.lookback, name="lookback"), cameras=cameras, top=body.top)
    return run(store, principal, body, "anpr.first_seen", "consultation",
               lambda: lib.first_seen(store, query), lambda r: len(r.vehicles),
               query.period.start - query.lookback)


class LoiterBody(AreaBody):
    min_visits: int = Field(default=3, ge=1, le=1000)


@router.post("/loitering")
def loitering_route(body: LoiterBody, store: StoreDep, principal: CurrentUser) -> dict[str, Any]:
    """Vehicles that keep coming back to a place, or circle in it."""
    principal.need("anpr.query")
    lib = library("pingan.anpr.patterns", "Loitering")
    query = lib.LoiterQuery(period=period(store, body), cameras=area_cameras(store, body),
                            min_visits=body.min_visits, top=body.top)
    return run(store, principal, body, "anpr.loitering", "consultation",
               lambda: lib.loitering(store, query), lambda r: len(r.vehicles), query.period.start)
