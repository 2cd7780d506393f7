"""Fitting the suspect ranker's weights by maximum likelihood on labelled candidates.

Training data are the candidates of planted offences in simulated counties (label 1 for the offender's
vehicle). The fit is an L2-penalised logistic regression (scipy), so the weights stay readable and the
score is a probability. Fit on some seeds, evaluate on others: ``bench/accuracy.py`` does both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from pingan.anpr.features import FEATURES
from pingan.anpr.ranking import Ranker, transform


def fit(frames: list[pd.DataFrame], *, l2: float = 1.0, note: dict[str, object] | None = None) -> Ranker:
    """A ranker fitted on labelled candidate features (columns FEATURES + ``label``)."""
    data = pd.concat(frames, ignore_index=True)
    x = transform(data[list(FEATURES)]).to_numpy(dtype=float)
    y = data["label"].to_numpy(dtype=float)
    n, d = x.shape

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        b, w = theta[0], theta[1:]
        z = b + x @ w
        # log(1 + e^z) computed stably
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * float(w @ w)
        p = 1.0 / (1.0 + np.exp(-z))
        grad_b = float(np.sum(p - y))
        grad_w = x.T @ (p - y) + l2 * w
        return nll, np.concatenate([[grad_b], grad_w])

    start = np.zeros(d + 1)
    start[0] = np.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6))
    solution = minimize(loss, start, jac=True, method="L-BFGS-B")
    intercept, weights = float(solution.x[0]), solution.x[1:]
    trained_on = {"candidates": int(n), "offenders": int(y.sum()), "l2": l2, "converged": bool(solution.success)}
    trained_on.update(note or {})
    return Ranker(intercept, {name: round(float(w), 4) for name, w in zip(FEATURES, weights, strict=True)},
                  trained_on)
