"""Crime forecasts: expected cases per square cell for a horizon, drawn as the grid view's heat layer."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query

from pingan.api.deps import CurrentUser, StoreDep
from pingan.api.routes.tactics import library
from pingan.errors import BadInput
from pingan.governance.audit import record
from pingan.forecast.store_cases import cases_frame
from pingan.timeutil import iso_local, parse_time

router = APIRouter(prefix="/api/forecast", tags=["forecast"])


@router.get("")
def forecast_route(store: StoreDep, principal: CurrentUser,
                   as_of: Annotated[str | None, Query(max_length=40, description="default: the latest case start")] = None,
                   horizon: Annotated[str, Query(max_length=16)] = "7d",
                   cell_m: Annotated[float, Query(ge=50, le=5000)] = 250.0,
                   category: Annotated[str | None, Query(max_length=64)] = None,
                   model: Annotated[str, Query(max_length=32)] = "default",
                   top: Annotated[int, Query(ge=1, le=100_000)] = 500) -> dict[str, Any]:
    """Expected crime per cell for the horizon after ``as_of``, best first, from earlier cases only."""
    principal.need("grids.read")
    core = library("pingan.forecast.core", "Forecasting")
    cases = cases_frame(store)
    if cases.empty:
        raise BadInput("There are no cases to forecast from; import cases first.")
    when = parse_time(as_of, name="as_of") if as_of else cases["start"].max().to_pydatetime() + timedelta(seconds=1)
    result = core.forecast(cases, pd.Timestamp(when), horizon=horizon, cell_m=cell_m, category=category or None,
                           model=model)
    document: dict[str, Any] = result.to_dict()
    cells = document["cells"]
    document["as_of_local"] = iso_local(when)
    document["study_cells"] = len(cells)
    document["cells"] = cells[:top]
    document["max_score"] = max((c["score"] for c in cells), default=0.0)
    record(store, principal.actor(), action="consultation", operation="forecast",
           params={"as_of": as_of, "horizon": horizon, "model": model}, touched=int((cases["start"] < when).sum()))
    return document
