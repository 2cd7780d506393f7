"""The naive count: each cell expects what it averaged over the last three years."""

from __future__ import annotations

from typing import Self

import pandas as pd

from pingan.forecast.grid import CellSet, FloatArray
from pingan.forecast.history import History
from pingan.forecast.models.base import DAY, HotspotModel

THREE_YEARS_DAYS = 3 * 365.25


class NaiveCount(HotspotModel):
    """Cases per cell over the last ``window_days`` (three years), as a daily rate times the horizon.

    The baseline every other model has to beat (see ``docs/forecasting.md``).
    """

    name = "naive"
    description = "count of cases per cell over the last 3 years"

    def __init__(self, window_days: float = THREE_YEARS_DAYS) -> None:
        super().__init__()
        self.window_days = window_days

    def fit(self, history: History) -> Self:
        self.history = history
        return self

    def predict(self, cells: CellSet, as_of: pd.Timestamp, horizon: pd.Timedelta) -> FloatArray:
        history = self._fitted(as_of)
        days = min(self.window_days, history.span_days)
        return history.counts(max_age_days=self.window_days) / days * (horizon / DAY)
