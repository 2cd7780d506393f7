"""Prospective near-repeat mapping: recent cases raise the risk close by for a few weeks."""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
from scipy import ndimage

from pingan.forecast.grid import CellSet, FloatArray
from pingan.forecast.history import History
from pingan.forecast.models.base import HotspotModel, calibrate


class NearRepeat(HotspotModel):
    """Prospective hotspotting (Bowers, Johnson & Pease 2004).

    Each case of the last ``weeks`` weeks adds ``1 / (1 + weeks old)`` × ``1 / (1 + cells away)`` to every
    cell within ``radius_m``; scores are then scaled to the recent case rate.
    """

    name = "near_repeat"
    description = "prospective near-repeat map: cases of the last 8 weeks, 400 m, inverse distance and age"

    def __init__(self, weeks: int = 8, radius_m: float = 400.0) -> None:
        super().__init__()
        self.weeks = weeks
        self.radius_m = radius_m

    def fit(self, history: History) -> Self:
        self.history = history
        return self

    def kernel(self, cell_m: float) -> FloatArray:
        """The spatial weights around a case, in cells."""
        reach = int(np.floor(self.radius_m / cell_m))
        dr, dc = np.mgrid[-reach:reach + 1, -reach:reach + 1]
        dist = np.hypot(dr, dc)
        return np.where(dist * cell_m <= self.radius_m, 1.0 / (1.0 + dist), 0.0)

    def predict(self, cells: CellSet, as_of: pd.Timestamp, horizon: pd.Timedelta) -> FloatArray:
        history = self._fitted(as_of)
        week = np.floor(history.age_days / 7.0).astype(np.int64)
        keep = week < self.weeks
        weighted = np.bincount(history.cell[keep], weights=1.0 / (1.0 + week[keep]), minlength=len(cells))
        surface = ndimage.convolve(history.raster(weighted), self.kernel(cells.grid.cell_m), mode="constant")
        return calibrate(surface[cells.r, cells.c], history, horizon)
