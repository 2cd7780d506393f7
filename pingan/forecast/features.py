"""Space-time features of each study cell at a forecast origin, for learned models.

An *origin* is a number of whole days before ``as_of``. Features at origin ``o`` use only cases at least
``o`` days old; the target is the count in the ``horizon_days`` after the origin (ages ``[o − H, o)``).
Origin 0 is the forecast itself, whose target lies after ``as_of`` and is never looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from pingan.forecast.grid import FloatArray
from pingan.forecast.history import History

OWN_WINDOWS = (7, 14, 28, 56, 91, 182, 364, 728)
RING_WINDOWS = (28, 182, 728)
RECENCY_CAP = 1000.0


@dataclass
class CellFeatures:
    """Precomputed per-day counts of one history, from which any origin's features come cheaply."""

    history: History
    days: int
    cum: np.ndarray          # (days + 1) × cells: cases younger than each age
    next_case: np.ndarray    # (days + 1) × cells: the smallest age ≥ a at which the cell had a case
    categories: list[str]

    @classmethod
    def of(cls, history: History, categories: list[str] | None = None) -> CellFeatures:
        """The per-day tables of this history."""
        days = int(np.ceil(history.span_days))
        daily = history.daily(days).astype(np.float32)
        cum = np.vstack([np.zeros((1, daily.shape[1]), np.float32), np.cumsum(daily, axis=0, dtype=np.float32)])
        ages = np.arange(days, dtype=np.float32)[:, None]
        first = np.where(daily > 0, ages, np.float32(np.inf))
        nxt = np.minimum.accumulate(first[::-1], axis=0)[::-1]
        nxt = np.vstack([nxt, np.full((1, daily.shape[1]), np.inf, np.float32)])
        cats = categories if categories is not None else sorted(set(history.category.tolist()))
        return cls(history, days, cum, nxt, cats)

    def window(self, start: int, length: int) -> FloatArray:
        """Cases per cell aged in ``[start, start + length)`` days (clipped to the history)."""
        lo = int(np.clip(start, 0, self.days))
        hi = int(np.clip(start + length, 0, self.days))
        return (self.cum[hi] - self.cum[lo]).astype(float)

    def _ring(self, values: FloatArray, size: int, inner: int) -> FloatArray:
        """Sum over the ``size``×``size`` block around each cell minus the inner block."""
        raster = self.history.raster(values)
        outer = ndimage.uniform_filter(raster, size=size, mode="constant") * size * size
        core = ndimage.uniform_filter(raster, size=inner, mode="constant") * inner * inner if inner > 1 else raster
        cells = self.history.cells
        return (outer - core)[cells.r, cells.c]

    def at(self, origin: int, horizon_days: int) -> pd.DataFrame:
        """Features of every study cell at ``origin`` days before as_of."""
        cols: dict[str, FloatArray] = {}
        for w in OWN_WINDOWS:
            cols[f"own_{w}"] = self.window(origin, w)
        for w in RING_WINDOWS:
            v = self.window(origin, w)
            cols[f"ring1_{w}"] = self._ring(v, 3, 1)
            cols[f"ring2_{w}"] = self._ring(v, 5, 3)
        o = min(origin, self.days)
        # the naive model's signal, as a rate so origins with less history behind them compare
        cols["rate_all"] = self.window(origin, self.days) / max(self.days - origin, 1)
        cols["recency"] = np.minimum(self.next_case[o] - origin, RECENCY_CAP).astype(float)
        # the same weeks a year before the target, and a month either side of them
        cols["last_year"] = self.window(origin + 364 - horizon_days, horizon_days)
        cols["last_year_wide"] = self.window(origin + 364 - horizon_days - 14, horizon_days + 28)
        h = self.history
        in_year = (h.age_days >= origin) & (h.age_days < origin + 364)
        for i, name in enumerate(self.categories):
            chosen = in_year & (h.category == name)
            cols[f"cat_{i}"] = np.bincount(h.cell[chosen], minlength=len(h.cells)).astype(float)
        cols["available_days"] = np.full(len(h.cells), float(self.days - origin))
        day_of_year = (h.as_of - pd.Timedelta(days=origin)).day_of_year
        cols["day_of_year"] = np.full(len(h.cells), float(day_of_year))
        return pd.DataFrame(cols)

    def seen_before(self, origin: int) -> np.ndarray:
        """Which cells had a case before the origin (the study area as it was then)."""
        return self.cum[self.days] - self.cum[min(origin, self.days)] > 0

    def target(self, origin: int, horizon_days: int) -> FloatArray:
        """Cases per cell in the ``horizon_days`` after the origin (needs origin ≥ horizon_days)."""
        return self.window(origin - horizon_days, horizon_days)
