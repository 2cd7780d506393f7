"""Kernel density: a Gaussian-smoothed, time-weighted map of past cases, integrated over each cell."""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
from scipy import ndimage

from pingan.forecast.grid import CellSet, FloatArray
from pingan.forecast.history import History
from pingan.forecast.models.base import DAY, HotspotModel

# each cell is split into SUB × SUB pixels so points are smoothed from where they are, not cell centres
SUB = 5


class KernelDensity(HotspotModel):
    """Gaussian KDE (bandwidth ``bandwidth_m``) of cases in the last ``window_days``.

    Cases can be down-weighted with age (half-life ``half_life_days``; ``None`` weighs all alike).
    Each cell's score is the density integrated over the cell, scaled to cases per horizon.
    """

    name = "kde"
    description = "Gaussian kernel density (250 m bandwidth) of the last year's cases, 6-month half-life"

    def __init__(self, bandwidth_m: float = 250.0, window_days: float = 365.25,
                 half_life_days: float | None = 182.0) -> None:
        super().__init__()
        self.bandwidth_m = bandwidth_m
        self.window_days = window_days
        self.half_life_days = half_life_days

    def fit(self, history: History) -> Self:
        self.history = history
        return self

    def predict(self, cells: CellSet, as_of: pd.Timestamp, horizon: pd.Timedelta) -> FloatArray:
        history = self._fitted(as_of)
        keep = history.age_days <= self.window_days
        weight = np.ones(int(keep.sum()))
        if self.half_life_days:
            weight = 0.5 ** (history.age_days[keep] / self.half_life_days)
        cell_m = cells.grid.cell_m
        px = cell_m / SUB
        # pixel indices on the study raster, refined SUB times
        pr = np.floor(history.y[keep] / px).astype(np.int64) - cells.row0 * SUB
        pc = np.floor(history.x[keep] / px).astype(np.int64) - cells.col0 * SUB
        fine = np.zeros((cells.shape[0] * SUB, cells.shape[1] * SUB))
        np.add.at(fine, (pr, pc), weight)
        smooth = ndimage.gaussian_filter(fine, sigma=self.bandwidth_m / px, mode="constant", truncate=3.0)
        per_cell = smooth.reshape(cells.shape[0], SUB, cells.shape[1], SUB).sum(axis=(1, 3))
        days = min(self.window_days, history.span_days)
        if self.half_life_days:
            # effective days of a decayed window, so the scale stays "cases per day"
            lam = np.log(2) / self.half_life_days
            days = (1 - np.exp(-lam * days)) / lam
        return per_cell[cells.r, cells.c] / days * (horizon / DAY)
