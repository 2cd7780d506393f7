"""The hotspot-model interface every named forecasting strategy implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Self

import numpy as np
import pandas as pd

from pingan.forecast.grid import CellSet, FloatArray
from pingan.forecast.history import History

DAY = pd.Timedelta(days=1)


class HotspotModel(ABC):
    """A strategy that answers: how many cases should each study cell expect in the horizon?

    ``fit`` sees only a :class:`History` (cases before ``as_of``); ``predict`` returns one non-negative
    score per study cell, on the scale of expected cases in the horizon.
    """

    name: ClassVar[str] = "base"
    description: ClassVar[str] = ""

    def __init__(self) -> None:
        self.history: History | None = None

    @abstractmethod
    def fit(self, history: History) -> Self:
        """Learn whatever the model needs from the history; return self."""

    def observe(self, history: History) -> Self:
        """Take newer history without re-learning parameters (cheap models simply refit)."""
        return self.fit(history)

    @abstractmethod
    def predict(self, cells: CellSet, as_of: pd.Timestamp, horizon: pd.Timedelta) -> FloatArray:
        """Expected cases per study cell in (as_of, as_of + horizon]."""

    def _fitted(self, as_of: pd.Timestamp) -> History:
        """The history the model was fitted on, checked to be no newer than the forecast time."""
        if self.history is None:
            raise RuntimeError(f"The {self.name} model must be fitted before it predicts.")
        if self.history.as_of > as_of:
            raise RuntimeError("A model cannot predict for a time before the history it was fitted on.")
        return self.history


def recent_rate(history: History, days: float = 364.0) -> float:
    """Cases per day over the study area in the most recent ``days`` (or all history if shorter)."""
    window = min(days, history.span_days)
    return float((history.age_days <= window).sum()) / window


def calibrate(scores: FloatArray, history: History, horizon: pd.Timedelta) -> FloatArray:
    """Scale relative scores so they sum to the recent case rate times the horizon."""
    total = float(scores.sum())
    expected = recent_rate(history) * (horizon / DAY)
    return scores * (expected / total) if total > 0 else np.full_like(scores, expected / max(scores.size, 1))
