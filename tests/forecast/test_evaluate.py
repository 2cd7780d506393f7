"""Hit rate, PAI and PEI on hand-computed examples; the rolling-origin protocol end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pingan.forecast.evaluate import CaseArrays, captured, hit_rate, pai, pei, rolling_origin, summarise
from pingan.forecast.grid import Grid
from pingan.forecast.models import MODELS
from pingan.forecast.models.base import HotspotModel


def test_hit_rate_and_pai_by_hand() -> None:
    # ten cells; the forecast's top two are cells 0 and 1, which held 3 + 1 of the 8 cases
    scores = np.array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], float)
    actual = np.array([3, 1, 0, 2, 0, 0, 0, 2, 0, 0], float)
    assert hit_rate(scores, actual, 0.2) == pytest.approx(4 / 8)
    assert pai(scores, actual, 0.2) == pytest.approx((4 / 8) / 0.2)
    # the best two cells would have held 3 + 2
    assert pei(scores, actual, 0.2) == pytest.approx(4 / 5)
    # cases outside the study area still count in the denominator
    assert hit_rate(scores, actual, 0.2, total=10) == pytest.approx(0.4)


def test_tied_scores_at_the_cut_share_credit() -> None:
    scores = np.array([5, 1, 1, 1, 0], float)
    actual = np.array([1, 3, 0, 0, 0], float)
    # top 2: cell 0, then one of three tied cells; on average a third of their 3 cases
    assert captured(scores, actual, 2) == pytest.approx(1 + 3 / 3)


class Oracle(HotspotModel):
    """A model that cheats by design, to show the harness would notice leakage into the score."""

    name = "oracle"

    def fit(self, history):  # type: ignore[no-untyped-def]
        self.history = history
        return self

    def predict(self, cells, as_of, horizon):  # type: ignore[no-untyped-def]
        return np.asarray(self.history.counts(max_age_days=7), float)


def test_rolling_origin_scores_every_model_every_week(cases: pd.DataFrame) -> None:
    grid = Grid.for_points(cases.lon, cases.lat)
    x, y = grid.project(cases.lon, cases.lat)
    t = pd.to_datetime(cases.start, utc=True).dt.as_unit("ns").astype("int64").to_numpy()
    arrays = CaseArrays(t, x, y, cases.category.to_numpy(dtype=object), grid)
    origins = list(pd.date_range("2017-06-05", periods=4, freq="7D", tz="UTC"))
    models = {"naive": MODELS["naive"], "near_repeat": MODELS["near_repeat"], "oracle": Oracle}
    weeks = rolling_origin(arrays, origins, models, lookback=pd.Timedelta(days=365))
    assert len(weeks) == 12
    assert (weeks.hit_5 <= weeks.oracle_5 / weeks.cases + 1e-9).all()
    summary = summarise(weeks).set_index("model")
    assert summary.loc["naive", "hit_20"] > summary.loc["naive", "hit_1"]
    assert np.isnan(summary.loc["naive", "p_wilcoxon"])
    assert 0 <= summary.loc["near_repeat", "p_wilcoxon"] <= 1 or np.isnan(summary.loc["near_repeat", "p_wilcoxon"])
