"""Fitting the suspect rankers on labelled candidates of simulated counties.

Training data are the candidates of planted offences (label 1 for the offender's vehicle), one frame per
case with columns FEATURES, ``label`` and ``group`` (county and case: the vehicles that compete for the
top of one list). Fit on some seeds, evaluate on others: ``bench/accuracy.py`` does both.

- :func:`fit_logistic`: L2-penalised logistic regression (scipy), readable weights.
- :func:`fit_boosted`: LightGBM with a learning-to-rank objective (lambdarank: the offender above the
  other vehicles of its case), then a logistic calibration of its raw score fitted on out-of-fold scores
  of every candidate (not the subsample the trees train on), so the probability keeps the real base rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from pingan.anpr.features import FEATURES
from pingan.anpr.ranking import BoostedRanker, LogisticRanker, transform

#: The trees' settings: small trees, shrinkage and subsampling, chosen on seeds 101–107 against 1–5.
BOOSTED_PARAMS = {
    "objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 7, "min_data_in_leaf": 50,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambdarank_truncation_level": 20,
    "verbose": -1, "deterministic": True, "num_threads": 2,
}
BOOSTED_ROUNDS = 200
#: LightGBM seeds of the tree models a boosted ranker averages (one model per seed, each with its own
#: sample of non-offender vehicles). Five: cross-validated top-1 0.84 against 0.82 for one; more than five
#: gained nothing measurable (docs/ranking.md).
BOOSTED_SEEDS = (1, 2, 3, 4, 5)
#: Non-offender vehicles kept per case for the trees (LightGBM ranks at most 10,000 rows per case).
NEGATIVES_PER_CASE = 5000


def _logistic(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[float, np.ndarray, bool]:
    n, d = x.shape

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        b, w = theta[0], theta[1:]
        z = b + x @ w
        nll = float(np.sum(np.logaddexp(0.0, z) - y * z)) + 0.5 * l2 * float(w @ w)
        p = 1.0 / (1.0 + np.exp(-z))
        return nll, np.concatenate([[float(np.sum(p - y))], x.T @ (p - y) + l2 * w])

    start = np.zeros(d + 1)
    start[0] = np.log(max(y.mean(), 1e-6) / max(1 - y.mean(), 1e-6))
    solution = minimize(loss, start, jac=True, method="L-BFGS-B")
    return float(solution.x[0]), solution.x[1:], bool(solution.success)


def fit_logistic(frames: list[pd.DataFrame], *, l2: float = 1.0, note: dict[str, object] | None = None) -> LogisticRanker:
    """A logistic ranker fitted on labelled candidate features (columns FEATURES + ``label``)."""
    data = pd.concat(frames, ignore_index=True)
    x = transform(data[list(FEATURES)]).to_numpy(dtype=float)
    y = data["label"].to_numpy(dtype=float)
    intercept, weights, converged = _logistic(x, y, l2)
    trained_on = {"candidates": int(len(y)), "offenders": int(y.sum()), "l2": l2, "converged": converged}
    trained_on.update(note or {})
    return LogisticRanker(intercept, {name: round(float(w), 4) for name, w in zip(FEATURES, weights, strict=True)},
                          trained_on)


def _trees(data: pd.DataFrame, rng: np.random.Generator, seed: int):  # noqa: ANN202 - lightgbm.Booster
    import lightgbm

    size = data.groupby("group")["label"].transform("size").to_numpy()
    keep = (data["label"].to_numpy() == 1) | (rng.random(len(data)) < NEGATIVES_PER_CASE / np.maximum(size, NEGATIVES_PER_CASE))
    sample = data[keep].sort_values("group", kind="stable")
    groups = sample.groupby("group", sort=False).size().to_numpy()
    dataset = lightgbm.Dataset(transform(sample[list(FEATURES)]).to_numpy(dtype=float),
                               sample["label"].to_numpy(), group=groups, feature_name=list(FEATURES))
    return lightgbm.train({**BOOSTED_PARAMS, "seed": seed}, dataset, BOOSTED_ROUNDS)


def _forest(data: pd.DataFrame, rng: np.random.Generator, seeds: tuple[int, ...]) -> list:
    """One tree model per seed, each on its own sample of the non-offender vehicles."""
    return [_trees(data, rng, seed) for seed in seeds]


def _mean_raw(boosters: list, features: pd.DataFrame) -> np.ndarray:
    x = transform(features[list(FEATURES)]).to_numpy(dtype=float)
    return np.mean([b.predict(x) for b in boosters], axis=0)


def fit_boosted(frames: list[pd.DataFrame], *, folds: int = 3, seeds: tuple[int, ...] = BOOSTED_SEEDS,
                note: dict[str, object] | None = None) -> BoostedRanker:
    """A boosted ranker: tree models (one per seed) on every case, calibrated on out-of-fold raw scores of
    every candidate.

    Each frame needs ``group`` naming its county and case; folds split by county (the part of the group
    before ``/``), so the calibration sees scores of counties the trees were not trained on.
    """
    data = pd.concat(frames, ignore_index=True)
    rng = np.random.default_rng(0)
    county = data["group"].str.split("/", n=1).str[0]
    counties = sorted(county.unique())
    raw = np.zeros(len(data))
    for k in range(min(folds, len(counties))):
        held = county.isin(counties[k::folds]).to_numpy()
        raw[held] = _mean_raw(_forest(data[~held], rng, seeds), data.loc[held])
    intercept, slope, converged = _logistic(raw[:, None], data["label"].to_numpy(dtype=float), l2=0.0)
    boosters = _forest(data, rng, seeds)
    trained_on = {"candidates": int(len(data)), "offenders": int(data["label"].sum()),
                  "cases": int(data["group"].nunique()), "rounds": BOOSTED_ROUNDS, "tree_seeds": list(seeds),
                  "calibration": "logistic on out-of-fold raw scores", "calibration_folds": folds,
                  "converged": converged}
    trained_on.update(note or {})
    return BoostedRanker([b.model_to_string() for b in boosters], float(slope[0]), intercept, trained_on)


def cross_validated_scores(frames: list[pd.DataFrame], *, folds: int = 5, seed: int = 0,
                           seeds: tuple[int, ...] = BOOSTED_SEEDS) -> pd.DataFrame:
    """The frames, concatenated, with ``cv_score``: each row's raw score from tree models (one per seed in
    ``seeds``, as fit_boosted makes them) fitted on the other folds' counties (``folds`` folds by county,
    the part of ``group`` before ``/``); ``seed`` draws the non-offender samples."""
    data = pd.concat(frames, ignore_index=True)
    county = data["group"].str.split("/", n=1).str[0]
    counties = sorted(county.unique())
    if len(counties) < 2:
        raise ValueError("cross-validation needs cases from at least two counties")
    raw = np.full(len(data), np.nan)
    rng = np.random.default_rng(seed)
    for k in range(min(folds, len(counties))):
        held = county.isin(counties[k::folds]).to_numpy()
        raw[held] = _mean_raw(_forest(data[~held], rng, seeds), data.loc[held])
    return data.assign(cv_score=raw)


def cross_validated_ranks(frames: list[pd.DataFrame], *, folds: int = 5, seed: int = 0,
                          seeds: tuple[int, ...] = BOOSTED_SEEDS) -> pd.DataFrame:
    """The offender's rank in each case when the trees never saw its county: ``folds`` folds by county.

    Each county's cases are scored by trees fitted on the other folds' counties (no calibration: ranks
    only). One row per case with an offender: ``group``, ``rank`` (1 = top), ``rank_with_accomplice`` (the
    better of the offender's and, where the frame marks one, the accomplice car's), ``watchlisted`` and
    ``vehicles_seen`` (the case's candidates).
    More counties than a fixed evaluation set can hold, so the figure is tighter (see ``bench/accuracy.py
    crossval``).
    """
    scored = cross_validated_scores(frames, folds=folds, seed=seed, seeds=seeds)
    if "accomplice" not in scored:
        scored["accomplice"] = 0
    rows = []
    for group, case in scored.groupby("group", sort=True):
        score = case["cv_score"].to_numpy()
        offender = case["label"].to_numpy() == 1
        if not offender.any():
            continue
        best = score[offender].max()
        partner = score[case["accomplice"].fillna(0).to_numpy() == 1]
        either = max(best, partner.max()) if len(partner) else best
        rows.append({"group": group, "rank": int((score > best).sum()) + 1,
                     "rank_with_accomplice": int((score > either).sum()) + 1,
                     "watchlisted": bool(case["watchlisted"].to_numpy()[offender].max() >= 1),
                     "vehicles_seen": len(case)})
    return pd.DataFrame(rows, columns=["group", "rank", "rank_with_accomplice", "watchlisted", "vehicles_seen"])
