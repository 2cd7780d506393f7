"""Model internals: the self-exciting fit finds planted repeats, the learned model's training stays in the past."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pingan.forecast.features import CellFeatures
from pingan.forecast.history import history_from_frame
from pingan.forecast.models.boosted import BoostedCounts
from pingan.forecast.models.hawkes import Hawkes
from tests.forecast.conftest import CENTRE, START, make_case


def _repeats(seed: int, repeat: bool) -> pd.DataFrame:
    """Scattered first cases; with ``repeat`` each is followed by repeats in the same spot a day or two later."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(300):
        lon = CENTRE[0] + rng.uniform(-0.02, 0.02)
        lat = CENTRE[1] + rng.uniform(-0.015, 0.015)
        when = START + pd.Timedelta(days=float(rng.uniform(0, 700)))
        rows.append(make_case(lon, lat, when))
        for _ in range(rng.poisson(1.5) if repeat else 0):
            rows.append(make_case(lon, lat, when + pd.Timedelta(days=float(rng.uniform(1, 3)))))
    return pd.DataFrame(rows)


def test_hawkes_finds_planted_repeats_and_not_absent_ones() -> None:
    as_of = START + pd.Timedelta(days=720)
    fits = {}
    for repeat in (True, False):
        history = history_from_frame(_repeats(3, repeat), as_of)
        fits[repeat] = Hawkes().fit(history).params
    assert fits[True] is not None and fits[False] is not None
    assert fits[True].theta[0] > 0.3 and fits[True].fast_days <= 7
    assert fits[True].background_share < 0.7 < fits[False].background_share


def test_boosted_training_targets_end_before_as_of(cases: pd.DataFrame, as_of: pd.Timestamp) -> None:
    history = history_from_frame(cases, as_of)
    feats = CellFeatures.of(history)
    model = BoostedCounts()
    _, y = model.training_set(feats, 7)
    # the first training origin is one horizon before as_of: its target is the last week before as_of
    assert y.sum() > 0
    recent = (history.age_days < 7).sum()
    first_origin_cells = feats.seen_before(7).sum()
    assert feats.target(7, 7)[feats.seen_before(7)].sum() <= recent
    assert first_origin_cells <= len(history.cells)
