"""A self-exciting (Hawkes) point process per cell, fitted by EM on daily counts.

Each cell ``c`` has an intensity on day ``t``

    λ_c(t) = μ_c + θ_fast · F_c(t) + θ_slow · S_c(t) + θ_near · N_c(t)

where ``F`` and ``S`` are the cell's own past cases seen through a fast and a slow exponential memory
(normalised kernels ``(1 − a) a^(k−1)`` for a case ``k`` days ago), and ``N`` is the fast memory of the eight
neighbouring cells' cases. ``μ`` (one background rate per cell) and the three ``θ`` are fitted by the
expectation-maximisation of Mohler et al. (2011; the grid form of Mohler 2014), and the two memories'
lengths are chosen by profile likelihood from a small grid. Only days before ``as_of`` are used, and a
case never excites its own day, so several offences recorded for one incident do not count as repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Self

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.signal import lfilter

from pingan.forecast.grid import CellSet, FloatArray
from pingan.forecast.history import History
from pingan.forecast.models.base import DAY, HotspotModel

FAST_DAYS = (2.0, 7.0, 21.0)        # mean memory of the fast kernel, days
SLOW_DAYS = (60.0, 180.0, 365.0)    # mean memory of the slow kernel, days


@dataclass(frozen=True)
class HawkesFit:
    """The fitted parameters and the day-by-day fit quality."""

    fast_days: float
    slow_days: float
    theta: tuple[float, float, float]   # expected offspring per case: own fast, own slow, neighbours
    loglik: float
    background_share: float             # share of cases the fit explains as background


def neighbour_matrix(cells: CellSet) -> sparse.csr_matrix:
    """Which study cells touch which (the eight around each, not itself)."""
    rows, cols = [], []
    for dr, dc in product((-1, 0, 1), repeat=2):
        if dr == 0 and dc == 0:
            continue
        other = cells.index_of(cells.rows + dr, cells.cols + dc)
        ok = other >= 0
        rows.append(np.flatnonzero(ok))
        cols.append(other[ok])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(r.size, np.float32), (r, c)), shape=(len(cells), len(cells)))


def memory(counts: np.ndarray, mean_days: float) -> np.ndarray:
    """Exponential memory of past days' counts, one row per day plus one for the first day after.

    Row ``t`` holds Σ_k (1 − a) a^(k−1) · counts[t − k] for k ≥ 1 (a = exp(−1/mean_days)).
    """
    a = np.float32(np.exp(-1.0 / mean_days))
    padded = np.vstack([counts, np.zeros((1, counts.shape[1]), np.float32)])
    return lfilter(np.float32([0.0, 1.0 - a]), np.float32([1.0, -a]), padded, axis=0)


class Hawkes(HotspotModel):
    """Self-exciting point process on the grid (background + own-cell and neighbour triggering)."""

    name = "hawkes"
    description = ("self-exciting point process per cell: background rate + fast/slow own-cell and "
                   "neighbour triggering, fitted by EM")

    def __init__(self, max_days: int = 1096, iterations: int = 60,
                 fast_days: tuple[float, ...] = FAST_DAYS, slow_days: tuple[float, ...] = SLOW_DAYS) -> None:
        super().__init__()
        self.max_days = max_days
        self.iterations = iterations
        self.fast_grid = fast_days
        self.slow_grid = slow_days
        self.params: HawkesFit | None = None
        self._mu: FloatArray | None = None
        self._state: dict[str, FloatArray] = {}

    def _daily(self, history: History) -> tuple[np.ndarray, int]:
        days = int(min(self.max_days, np.ceil(history.span_days)))
        # oldest day first, as the filters run forwards in time
        return history.daily(days)[::-1].astype(np.float32), days

    def fit(self, history: History) -> Self:
        return self._fit(history, self.fast_grid, self.slow_grid)

    def observe(self, history: History) -> Self:
        """Refit rates and weights on newer history, keeping the memory lengths already chosen."""
        if self.params is None:
            return self.fit(history)
        return self._fit(history, (self.params.fast_days,), (self.params.slow_days,))

    def _fit(self, history: History, fast_grid: tuple[float, ...], slow_grid: tuple[float, ...]) -> Self:
        self.history = history
        counts, days = self._daily(history)
        near = np.asarray((neighbour_matrix(history.cells) @ counts.T).T, dtype=np.float32)
        nz = np.nonzero(counts)
        n = counts[nz].astype(float)
        cell = nz[1]
        # the memories at the days with cases, and summed over all days (the compensator)
        fast = {d: memory(counts, d) for d in fast_grid}
        slow = {d: memory(counts, d) for d in slow_grid}
        nearm = {d: memory(near, d) for d in fast_grid}
        best: tuple[float, float, float, FloatArray, np.ndarray, float] | None = None
        for fd, sd in product(fast_grid, slow_grid):
            comps = np.stack([fast[fd][:-1][nz], slow[sd][:-1][nz], nearm[fd][:-1][nz]]).astype(float)
            totals = np.array([fast[fd][:-1].sum(), slow[sd][:-1].sum(), nearm[fd][:-1].sum()], float)
            mu, theta, loglik = self._em(n, cell, comps, totals, len(history.cells), days)
            if best is None or loglik > best[2]:
                best = (fd, sd, loglik, mu, theta, float((mu[cell] / (mu[cell] + theta @ comps) * n).sum() / n.sum()))
        assert best is not None
        fd, sd, loglik, mu, theta, bg = best
        self.params = HawkesFit(fd, sd, (float(theta[0]), float(theta[1]), float(theta[2])), loglik, bg)
        self._mu = mu
        self._state = {"fast": fast[fd][-1], "slow": slow[sd][-1], "near": nearm[fd][-1]}
        return self

    def _em(self, n: FloatArray, cell: np.ndarray, comps: np.ndarray, totals: FloatArray,
            ncells: int, days: int) -> tuple[FloatArray, np.ndarray, float]:
        """Background rates, triggering weights and log-likelihood after EM from a neutral start."""
        mu = np.bincount(cell, weights=n, minlength=ncells) / days * 0.5
        theta = np.full(comps.shape[0], 0.1)
        safe_totals = np.maximum(totals, 1e-12)
        for _ in range(self.iterations):
            trig = theta[:, None] * comps
            lam = mu[cell] + trig.sum(0)
            share_bg = mu[cell] / lam
            mu = np.bincount(cell, weights=n * share_bg, minlength=ncells) / days
            theta = (n * trig / lam).sum(1) / safe_totals
        lam = mu[cell] + (theta[:, None] * comps).sum(0)
        loglik = float((n * np.log(lam)).sum() - mu.sum() * days - theta @ totals)
        return mu, theta, loglik

    def predict(self, cells: CellSet, as_of: pd.Timestamp, horizon: pd.Timedelta) -> FloatArray:
        self._fitted(as_of)
        assert self.params is not None and self._mu is not None
        h = horizon / DAY
        theta = self.params.theta
        expected = self._mu * h
        # without new cases each memory decays geometrically; sum it over the horizon's days
        for key, mean_days, weight in (("fast", self.params.fast_days, theta[0]),
                                       ("slow", self.params.slow_days, theta[1]),
                                       ("near", self.params.fast_days, theta[2])):
            a = np.exp(-1.0 / mean_days)
            expected = expected + weight * self._state[key].astype(float) * (1 - a ** h) / (1 - a)
        return expected
