"""The cases a forecast may use: only those that started before ``as_of``, placed on the grid.

Every forecast goes through :func:`build_history`, which drops every case at or after ``as_of`` before
anything else looks at the data. That one filter is what the leakage tests check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd

from pingan.errors import BadInput
from pingan.forecast.grid import CellSet, FloatArray, Grid, IntArray
from pingan.timeutil import parse_duration

NS_PER_DAY = 86_400 * 10**9
REQUIRED_COLUMNS = ("lon", "lat", "start", "category")


def parse_horizon(text: str | timedelta, *, name: str = "horizon") -> pd.Timedelta:
    """How long a horizon such as ``"7d"``, ``"24h"`` or ``"2w"`` lasts."""
    # pd.Timedelta is a timedelta, so it passes through parse_duration unchanged
    value = pd.Timedelta(parse_duration(text, name=name))
    if value <= pd.Timedelta(0):
        raise BadInput(f"The {name} '{text}' must be longer than zero; write it like 24h, 7d or 2w.")
    return value


def as_utc(value: str | datetime | pd.Timestamp) -> pd.Timestamp:
    """A time as a UTC timestamp; a time without an offset is taken as UTC (how the store keeps times)."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise BadInput(f"The time '{value}' is not an ISO 8601 time; write it like 2018-06-01T00:00+00:00.") from None
    if stamp is pd.NaT:
        raise BadInput("The forecast time is missing; give --as-of like 2018-06-01T00:00.")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def start_ns(start: pd.Series) -> npt.NDArray[np.int64]:
    """Case start times as int64 nanoseconds since the epoch (UTC); naive times are taken as UTC."""
    stamps = pd.to_datetime(start, utc=True, errors="coerce")
    if stamps.isna().any():
        raise BadInput(f"{int(stamps.isna().sum())} cases have no readable start time; fix or drop them first.")
    return stamps.dt.as_unit("ns").astype("int64").to_numpy()


def check_cases(cases: pd.DataFrame) -> None:
    """Refuse a cases frame that lacks a column the forecast needs."""
    missing = [c for c in REQUIRED_COLUMNS if c not in cases.columns]
    if missing:
        raise BadInput(f"The cases lack the column(s) {missing}; a forecast needs {list(REQUIRED_COLUMNS)}.")


@dataclass(frozen=True)
class History:
    """Cases before ``as_of`` (and within the look-back, if any), each placed in a study cell."""

    as_of: pd.Timestamp
    age_days: FloatArray       # how long before as_of each case started (> 0)
    x: FloatArray              # projected metres
    y: FloatArray
    cell: IntArray             # index into ``cells``
    category: npt.NDArray[np.object_]
    cells: CellSet
    span_days: float           # how many days of history the cases could come from

    def __len__(self) -> int:
        return int(self.age_days.size)

    @property
    def grid(self) -> Grid:
        return self.cells.grid

    def counts(self, max_age_days: float | None = None, weights: FloatArray | None = None) -> FloatArray:
        """How many cases (or how much weight) each study cell holds, optionally only the recent ones."""
        keep = np.ones(len(self), bool) if max_age_days is None else self.age_days <= max_age_days
        w = None if weights is None else weights[keep]
        return np.bincount(self.cell[keep], weights=w, minlength=len(self.cells)).astype(float)

    def raster(self, values: FloatArray) -> FloatArray:
        """A per-cell vector laid out on the study raster (zeros off the study area)."""
        out = np.zeros(self.cells.shape[0] * self.cells.shape[1])
        out[self.cells.flat()] = values
        return out.reshape(self.cells.shape)

    def daily(self, days: int) -> FloatArray:
        """Counts per (day before as_of, study cell): row 0 is the last 24 h before as_of (days × cells)."""
        day = np.floor(self.age_days).astype(np.int64)
        keep = day < days
        out = np.zeros((days, len(self.cells)))
        np.add.at(out, (day[keep], self.cell[keep]), 1.0)
        return out


def build_history(
    as_of: pd.Timestamp,
    t_ns: npt.NDArray[np.int64],
    x: FloatArray,
    y: FloatArray,
    category: npt.NDArray[np.object_],
    grid: Grid,
    lookback: pd.Timedelta | None = None,
) -> History:
    """The history a forecast at ``as_of`` may use: cases that started strictly before it.

    Projected arrays come in so a benchmark can project 150 k cases once and slice them per week.
    """
    cut = as_of.value
    keep = t_ns < cut                     # the leakage guard: nothing at or after as_of survives
    span = float((cut - t_ns[keep].min()) / NS_PER_DAY) if keep.any() else 0.0
    if lookback is not None:
        keep &= t_ns >= cut - lookback.value
        span = min(span, lookback / pd.Timedelta(days=1))
    if not keep.any():
        raise BadInput(f"There are no cases before {as_of.isoformat()}; a forecast needs some history.")
    xs, ys = x[keep], y[keep]
    rows, cols = grid.row_col(xs, ys)
    cells = CellSet.from_row_col(grid, rows, cols)
    return History(
        as_of=as_of,
        age_days=(cut - t_ns[keep]) / NS_PER_DAY,
        x=xs, y=ys,
        cell=cells.index_of(rows, cols),
        category=category[keep],
        cells=cells,
        span_days=max(span, 1.0),
    )


def history_from_frame(
    cases: pd.DataFrame,
    as_of: pd.Timestamp,
    cell_m: float = 250.0,
    category: str | None = None,
    lookback: pd.Timedelta | None = None,
    grid: Grid | None = None,
) -> History:
    """The history for a forecast from a cases frame (columns lon, lat, start, category)."""
    check_cases(cases)
    t_ns = start_ns(cases["start"])
    before = t_ns < as_of.value           # filter first, so even the grid choice ignores future cases
    frame = cases.loc[before]
    t_ns = t_ns[before]
    if category is not None:
        known = set(map(str, cases["category"].unique()))
        if category not in known:
            raise BadInput(f"The category was '{category}' but the cases hold only {sorted(known)}.")
        chosen = (frame["category"].astype(str) == category).to_numpy()
        frame, t_ns = frame.loc[chosen], t_ns[chosen]
    lon = frame["lon"].to_numpy(dtype=float)
    lat = frame["lat"].to_numpy(dtype=float)
    grid = grid or Grid.for_points(lon, lat, cell_m)
    x, y = grid.project(lon, lat)
    return build_history(as_of, t_ns, x, y, frame["category"].astype(str).to_numpy(dtype=object), grid, lookback)
