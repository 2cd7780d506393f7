"""Vectorised helpers the simulator uses everywhere: sampling by rows, segmented sums, ragged expansion."""

from __future__ import annotations

import numpy as np


class RowSampler:
    """Draws a column for each given row of a non-negative weight matrix (a destination per origin)."""

    def __init__(self, weights: np.ndarray) -> None:
        w = np.asarray(weights, dtype=np.float64)
        totals = w.sum(axis=1, keepdims=True)
        probs = np.divide(w, totals, out=np.full_like(w, 1.0 / w.shape[1]), where=totals > 0)
        cdf = np.cumsum(probs, axis=1)
        cdf[:, -1] = 1.0
        # Row r's CDF lives in [r, r + 1): one searchsorted serves every row at once.
        self._flat = (cdf + np.arange(w.shape[0])[:, None]).ravel()
        self._cols = w.shape[1]

    def sample(self, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
        """A column for each entry of ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        u = rng.random(len(rows))
        flat = np.searchsorted(self._flat, rows + u, side="right")
        return np.minimum(flat - rows * self._cols, self._cols - 1)


def ragged_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: the group of each element and its position inside the group."""
    counts = np.asarray(counts, dtype=np.int64)
    group = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(int(counts.sum())) - np.repeat(starts, counts)
    return group, position


def exclusive_cumsum_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sum of the earlier values of the same group (groups must be contiguous)."""
    total = np.cumsum(values) - values
    first = np.r_[True, group[1:] != group[:-1]]
    base = np.maximum.accumulate(np.where(first, np.arange(len(values)), 0))
    return total - total[base]


def cummax_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running maximum of values within contiguous groups."""
    if len(values) == 0:
        return values.copy()
    lo, hi = float(values.min()), float(values.max())
    span = hi - lo + 1.0
    first = np.r_[True, group[1:] != group[:-1]]
    rank = np.cumsum(first) - 1
    # Offsetting each group above the previous one keeps one accumulate from leaking between groups.
    shifted = (values - lo) + rank * span
    return np.maximum.accumulate(shifted) - rank * span + lo
