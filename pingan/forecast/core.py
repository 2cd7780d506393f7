"""``forecast``: expected crime per square cell for a horizon after ``as_of``, from earlier cases only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from pingan.forecast.grid import Grid, cell_id
from pingan.forecast.history import History, as_utc, history_from_frame, parse_horizon
from pingan.forecast.models import DEFAULT_MODEL, make_model
from pingan.forecast.models.base import HotspotModel


@dataclass(frozen=True)
class Forecast:
    """A ranked forecast: every study cell, best first, with its box and expected cases."""

    as_of: pd.Timestamp
    horizon: str
    cell_m: float
    model: str
    category: str | None
    cells: list[dict[str, Any]] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The contract's forecast document (with a few extra fields)."""
        return {
            "as_of": self.as_of.isoformat(),
            "horizon": self.horizon,
            "cell_m": float(self.cell_m),
            "model": self.model,
            "category": self.category,
            "cells": self.cells,
        }

    def to_json(self, **kwargs: Any) -> str:
        """The contract's forecast document as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)

    def top(self, n: int) -> list[dict[str, Any]]:
        """The ``n`` best cells."""
        return self.cells[:n]


def outward(box: list[float], digits: int = 7) -> list[float]:
    """A bbox rounded to ``digits`` decimals outwards, so it still holds every point of its cell."""
    scale = 10.0**digits
    return [float(np.floor(box[0] * scale) / scale), float(np.floor(box[1] * scale) / scale),
            float(np.ceil(box[2] * scale) / scale), float(np.ceil(box[3] * scale) / scale)]


def rank_cells(history: History, scores: np.ndarray) -> list[dict[str, Any]]:
    """Study cells ordered by score, ties by past cases and then by cell id (deterministic)."""
    cells = history.cells
    past = history.counts()
    order = np.lexsort((cells.cols, cells.rows, -past, -scores))
    boxes = cells.grid.bbox(cells.rows[order], cells.cols[order])
    out = []
    for rank, (i, box) in enumerate(zip(order.tolist(), boxes.tolist(), strict=True), start=1):
        out.append({
            "rank": rank,
            "cell_id": cell_id(cells.rows[i], cells.cols[i]),
            "bbox": outward(box),
            "score": round(float(scores[i]), 6),
            "expected": round(float(scores[i]), 6),
            "history_count": int(past[i]),
        })
    return out


def run_model(model: HotspotModel, history: History, horizon: pd.Timedelta) -> np.ndarray:
    """The model's expected cases per study cell, checked to be finite and non-negative."""
    scores = np.asarray(model.fit(history).predict(history.cells, history.as_of, horizon), dtype=float)
    if scores.shape != (len(history.cells),) or not np.all(np.isfinite(scores)):
        raise RuntimeError(f"The {model.name} model returned unusable scores.")
    return np.clip(scores, 0.0, None)


def forecast(
    cases: pd.DataFrame,
    as_of: str | datetime | pd.Timestamp,
    horizon: str | timedelta = "7d",
    cell_m: float = 250.0,
    category: str | None = None,
    model: str = "default",
    lookback: str | timedelta | None = None,
    grid: Grid | None = None,
) -> Forecast:
    """Which cells should expect the most crime in the horizon after ``as_of``?

    Parameters
    ----------
    cases : DataFrame with ``lon``, ``lat``, ``start`` (timezone-aware, or naive UTC) and ``category``.
        Cases that started at or after ``as_of`` are dropped before anything else happens.
    as_of : the forecast time (naive means UTC).
    horizon : ``"7d"``, ``"24h"``, ``"2w"``…
    cell_m : cell side in metres.
    category : forecast only this offence category.
    model : a name in :data:`pingan.forecast.models.MODELS`, or ``"default"``.
    lookback : use only cases this long before ``as_of`` (default: all earlier cases).
    grid : a fixed grid (default: the UTM zone of the cases before ``as_of``).

    Examples
    --------
    >>> fc = forecast(cases, "2018-06-01T00:00-04:00", horizon="7d")   # doctest: +SKIP
    >>> fc.cells[0]["cell_id"]                                         # doctest: +SKIP
    'r19339_c2522'
    """
    when = as_utc(as_of)
    span = parse_horizon(horizon)
    chosen = make_model(model)
    history = history_from_frame(cases, when, cell_m=cell_m, category=category,
                                 lookback=None if lookback is None else parse_horizon(lookback, name="look-back"),
                                 grid=grid)
    scores = run_model(chosen, history, span)
    label = horizon if isinstance(horizon, str) else f"{span / pd.Timedelta(hours=1):g}h"
    return Forecast(
        as_of=when,
        horizon=label,
        cell_m=float(history.grid.cell_m),
        model=DEFAULT_MODEL if model == "default" else model,
        category=category,
        cells=rank_cells(history, scores),
    )
