"""Rolling-origin evaluation of hotspot models: hit rate, PAI and PEI, and paired tests against naive.

For each origin (say every Monday), every model forecasts the next horizon from the history before that
origin; the forecast is scored against the cases that then happened. The study area is the cells with at
least one case in the history; cases that fall outside it count in the denominator and can never be hit.

* hit rate at coverage p: share of the horizon's cases in the top ``round(p × cells)`` cells. Tied scores at
  the cut are shared out in proportion (the expected hit rate if ties were broken at random), so a model
  gains nothing from an arbitrary tie order.
* PAI (predictive accuracy index) = hit rate / p.
* PEI (predictive efficiency index) = hit rate / the best possible hit rate at p (the oracle that knew
  the horizon's counts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from pingan.forecast.grid import FloatArray, Grid
from pingan.forecast.history import History, build_history
from pingan.forecast.models import HotspotModel

COVERAGES: tuple[float, ...] = (0.01, 0.05, 0.10, 0.20)


def top_k(n_cells: int, coverage: float) -> int:
    """How many cells a coverage share of the study area is (at least one)."""
    return max(1, int(round(coverage * n_cells)))


def captured(scores: FloatArray, actual: FloatArray, k: int) -> float:
    """Cases in the ``k`` best-scored cells, sharing tied cells at the cut in proportion."""
    if k >= scores.size:
        return float(actual.sum())
    cut = np.partition(scores, scores.size - k)[scores.size - k]     # the k-th highest score
    above = scores > cut
    tied = scores == cut
    room = k - int(above.sum())
    share = room / int(tied.sum())
    return float(actual[above].sum() + share * actual[tied].sum())


def oracle(actual: FloatArray, k: int) -> float:
    """The most cases any ``k`` cells could have held (what a perfect forecast would capture)."""
    if k >= actual.size:
        return float(actual.sum())
    return float(np.sort(actual)[::-1][:k].sum())


def hit_rate(scores: FloatArray, actual: FloatArray, coverage: float, total: float | None = None) -> float:
    """Share of cases (``total``, default those in the cells) in the top ``coverage`` of cells."""
    denominator = float(actual.sum()) if total is None else total
    if denominator == 0:
        return float("nan")
    return captured(scores, actual, top_k(scores.size, coverage)) / denominator


def pai(scores: FloatArray, actual: FloatArray, coverage: float, total: float | None = None) -> float:
    """Predictive accuracy index: hit rate over the share of area searched."""
    k = top_k(scores.size, coverage)
    return hit_rate(scores, actual, coverage, total) / (k / scores.size)


def pei(scores: FloatArray, actual: FloatArray, coverage: float) -> float:
    """Predictive efficiency index: captured cases over the most the same number of cells could hold."""
    k = top_k(scores.size, coverage)
    best = oracle(actual, k)
    return captured(scores, actual, k) / best if best > 0 else float("nan")


@dataclass(frozen=True)
class CaseArrays:
    """All cases projected once: start (ns UTC), x, y (metres in ``grid``) and category."""

    t_ns: npt.NDArray[np.int64]
    x: FloatArray
    y: FloatArray
    category: npt.NDArray[np.object_]
    grid: Grid

    def select(self, category: str | None) -> CaseArrays:
        """Only the cases of one category (``None``: all)."""
        if category is None:
            return self
        keep = self.category == category
        return CaseArrays(self.t_ns[keep], self.x[keep], self.y[keep], self.category[keep], self.grid)

    def history(self, as_of: pd.Timestamp, lookback: pd.Timedelta | None) -> History:
        """What a forecast at ``as_of`` may see (the same guarded path as :func:`forecast`)."""
        return build_history(as_of, self.t_ns, self.x, self.y, self.category, self.grid, lookback)

    def actual(self, history: History, horizon: pd.Timedelta) -> tuple[FloatArray, int]:
        """Cases per study cell in the horizon after as_of, and all cases in it (in the area or not)."""
        start = history.as_of.value
        keep = (self.t_ns >= start) & (self.t_ns < start + horizon.value)
        rows, cols = self.grid.row_col(self.x[keep], self.y[keep])
        idx = history.cells.index_of(rows, cols)
        inside = idx >= 0
        return np.bincount(idx[inside], minlength=len(history.cells)).astype(float), int(keep.sum())


def score_week(scores: FloatArray, actual: FloatArray, total: int,
               coverages: Sequence[float] = COVERAGES) -> dict[str, float]:
    """Captured, oracle, hit rate, PAI and PEI at each coverage for one forecast."""
    out: dict[str, float] = {}
    for p in coverages:
        k = top_k(scores.size, p)
        got, best = captured(scores, actual, k), oracle(actual, k)
        tag = f"{round(p * 100):g}"
        out[f"captured_{tag}"] = got
        out[f"oracle_{tag}"] = best
        out[f"hit_{tag}"] = got / total if total else float("nan")
        out[f"pai_{tag}"] = out[f"hit_{tag}"] / (k / scores.size)
        out[f"pei_{tag}"] = got / best if best else float("nan")
    return out


def rolling_origin(
    cases: CaseArrays,
    origins: Iterable[pd.Timestamp],
    models: dict[str, Callable[[], HotspotModel]],
    horizon: pd.Timedelta = pd.Timedelta(days=7),
    lookback: pd.Timedelta | None = pd.Timedelta(days=1096),
    category: str | None = None,
    refit_every: dict[str, int] | None = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """One row per (origin, model): the scores of each model's forecast at each origin.

    ``refit_every`` lets an expensive model re-learn its parameters only every n origins and otherwise
    just take the newer history (:meth:`HotspotModel.observe`); either way it sees nothing after the origin.
    """
    chosen = cases.select(category)
    live = {name: make() for name, make in models.items()}
    cadence = refit_every or {}
    rows: list[dict[str, object]] = []
    for i, origin in enumerate(origins):
        history = chosen.history(origin, lookback)
        actual, total = chosen.actual(history, horizon)
        for name, model in live.items():
            started = time.perf_counter()
            if i % cadence.get(name, 1) == 0:
                model.fit(history)
            else:
                model.observe(history)
            scores = np.clip(np.asarray(model.predict(history.cells, origin, horizon), float), 0, None)
            rows.append({"origin": origin, "model": name, "category": category or "all",
                         "cells": len(history.cells), "cases": total, "in_area": float(actual.sum()),
                         "seconds": time.perf_counter() - started, **score_week(scores, actual, total)})
        if progress:
            progress(f"{category or 'all'} {origin.date()} ({i + 1})")
    return pd.DataFrame(rows)


def summarise(weeks: pd.DataFrame, baseline: str = "naive", coverages: Sequence[float] = COVERAGES,
              margin: float = 0.10) -> pd.DataFrame:
    """Per (category, model): pooled hit rate, PAI, PEI at each coverage, and paired tests vs ``baseline``.

    Pooled hit rate = all captured cases / all cases over the weeks. The paired tests compare the per-week
    hit rates at 5 % coverage: ``p_wilcoxon`` / ``p_ttest`` test "better than the baseline" (one-sided), and
    ``p_margin`` tests "more than ``margin`` above the baseline" (model − (1 + margin) × baseline > 0).
    """
    out = []
    for (cat, name), group in weeks.groupby(["category", "model"], sort=False):
        base = weeks[(weeks.category == cat) & (weeks.model == baseline)].set_index("origin")
        g = group.set_index("origin")
        row: dict[str, object] = {"category": cat, "model": name, "weeks": len(g),
                                  "cases": int(g.cases.sum()), "seconds": float(g.seconds.mean())}
        for p in coverages:
            tag = f"{round(p * 100):g}"
            hit = g[f"captured_{tag}"].sum() / g.cases.sum()
            row[f"hit_{tag}"] = hit
            row[f"pai_{tag}"] = float((g[f"pai_{tag}"] * g.cases).sum() / g.cases.sum())
            row[f"pei_{tag}"] = g[f"captured_{tag}"].sum() / g[f"oracle_{tag}"].sum()
            row[f"oracle_{tag}"] = g[f"oracle_{tag}"].sum() / g.cases.sum()
        row.update(dict.fromkeys(["lift_5", "weeks_better", "p_wilcoxon", "p_ttest", "p_margin"], float("nan")))
        if len(base) and name != baseline:
            paired = g.join(base.add_suffix("_base"), how="inner")
            diff = (paired["hit_5"] - paired["hit_5_base"]).dropna()
            over = (paired["hit_5"] - (1 + margin) * paired["hit_5_base"]).dropna()
            base_hit = base["captured_5"].sum() / base.cases.sum()
            row["lift_5"] = row["hit_5"] / base_hit - 1 if base_hit else float("nan")
            row["weeks_better"] = int((diff > 0).sum())
            row["p_wilcoxon"] = one_sided_wilcoxon(diff)
            if len(diff) > 1:
                row["p_ttest"] = float(stats.ttest_1samp(diff, 0.0, alternative="greater").pvalue)
            row["p_margin"] = one_sided_wilcoxon(over)
        out.append(row)
    return pd.DataFrame(out)


def one_sided_wilcoxon(diff: pd.Series) -> float:
    """p-value of the Wilcoxon signed-rank test that the differences lean positive."""
    values = diff.to_numpy(dtype=float)
    if values.size < 2 or np.allclose(values, 0):
        return float("nan")
    return float(stats.wilcoxon(values, alternative="greater", zero_method="wilcox").pvalue)
