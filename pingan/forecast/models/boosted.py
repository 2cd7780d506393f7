"""A learned model: gradient-boosted Poisson regression over space-time features of each cell.

It learns, from the year before ``as_of``, how a cell's next-horizon count follows from its counts over
several look-back windows, its neighbours' counts, how recently it had a case, the same weeks last year and
its mix of offence categories (:mod:`pingan.forecast.features`). Every training target lies before
``as_of``: the last origin used for training is one horizon before it.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import pandas as pd

from pingan.forecast.features import CellFeatures
from pingan.forecast.grid import CellSet, FloatArray
from pingan.forecast.history import History
from pingan.forecast.models.base import DAY, HotspotModel

PARAMS: dict[str, Any] = {
    "objective": "poisson",
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 200,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_bin": 63,
    # one thread: on a busy machine LightGBM's threads fight other processes and run several times slower
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "seed": 7,
    "verbose": -1,
}


def horizon_days(horizon: pd.Timedelta) -> int:
    """The horizon in whole days the model is trained for (at least one)."""
    return max(1, int(round(horizon / DAY)))


class BoostedCounts(HotspotModel):
    """LightGBM Poisson regression of next-horizon counts per cell, trained on rolling origins."""

    name = "boosted"
    description = ("gradient-boosted (LightGBM) Poisson regression on per-cell space-time features "
                   "(8 look-back windows, neighbour rings, recency, last year, category mix), "
                   "trained on fortnightly origins over the prior year")

    def __init__(self, origins: int = 26, step_days: int = 14, rounds: int = 200,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.origins = origins
        self.step_days = step_days
        self.rounds = rounds
        self.params = {**PARAMS, **(params or {})}
        self.booster: Any = None
        self.trained_horizon: int | None = None
        self.categories: list[str] | None = None
        self._features: CellFeatures | None = None

    def training_set(self, feats: CellFeatures, h_days: int) -> tuple[pd.DataFrame, FloatArray]:
        """Features and targets over rolling origins whose targets end before as_of."""
        xs, ys = [], []
        for k in range(self.origins):
            origin = h_days + k * self.step_days
            if origin >= feats.days - 28:   # too little history left before this origin to learn from
                break
            seen = feats.seen_before(origin)
            xs.append(feats.at(origin, h_days)[seen])
            ys.append(feats.target(origin, h_days)[seen])
        if not xs:
            return pd.DataFrame(), np.zeros(0)
        return pd.concat(xs, ignore_index=True), np.concatenate(ys)

    def fit(self, history: History) -> Self:
        # training waits for predict(), which knows the horizon to train for
        self.history = history
        self.booster = None
        self.trained_horizon = None
        self.categories = sorted(set(history.category.tolist()))
        self._features = CellFeatures.of(history, self.categories)
        return self

    def train(self, history: History, horizon: pd.Timedelta) -> Self:
        """Fit the booster for this horizon on the history's rolling origins."""
        import lightgbm as lgb   # imported here so the cheap models work without it

        self.history = history
        if self._features is None or self._features.history is not history:
            self.categories = sorted(set(history.category.tolist()))
            self._features = CellFeatures.of(history, self.categories)
        feats = self._features
        h_days = horizon_days(horizon)
        x, y = self.training_set(feats, h_days)
        self.trained_horizon = h_days
        if len(y) == 0 or y.sum() == 0:
            self.booster = None         # too little history: predict() falls back to the recent rate
            return self
        self.booster = lgb.train(self.params, lgb.Dataset(x, y), num_boost_round=self.rounds)
        return self

    def observe(self, history: History) -> Self:
        """Use newer history with the already-trained booster (for a benchmark's refit cadence)."""
        if self.booster is None:
            return self.fit(history)
        self.history = history
        self._features = CellFeatures.of(history, self.categories)
        return self

    def predict(self, cells: CellSet, as_of: pd.Timestamp, horizon: pd.Timedelta) -> FloatArray:
        history = self._fitted(as_of)
        h_days = horizon_days(horizon)
        if self.trained_horizon != h_days:
            self.train(history, horizon)
        feats = self._features
        assert feats is not None
        if self.booster is None:
            return feats.window(0, 364) / min(364.0, history.span_days) * (horizon / DAY)
        pred = np.asarray(self.booster.predict(feats.at(0, h_days)), dtype=float)
        # trained for whole days; a shorter or fractional horizon takes its share
        return pred * ((horizon / DAY) / h_days)
