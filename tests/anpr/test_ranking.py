"""The rankers: fitted on labelled candidates, they put the offender-like vehicle first, give probabilities,
and say how much each feature pushed a score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pingan.anpr.features import FEATURES
from pingan.anpr.ranking import BoostedRanker, LogisticRanker, Ranker, load_ranker
from pingan.anpr.tuning import BOOSTED_SEEDS, cross_validated_ranks, fit_boosted, fit_logistic


def cases(n_cases: int, seed: int, county: str) -> list[pd.DataFrame]:
    """Cases of 60 ordinary vehicles and one offender who is new here, stayed unseen beside the scene
    and has a relevant prior; a few ordinary vehicles share one or two of those traits."""
    rng = np.random.default_rng(seed)
    frames = []
    for case in range(n_cases):
        n = 61
        f = pd.DataFrame({name: np.zeros(n) for name in FEATURES})
        f["history_days"] = rng.integers(0, 28, n).astype(float)
        f["stay_hours"] = rng.exponential(0.3, n)
        f["near_km"] = rng.uniform(0.2, 5.0, n)
        f["turn_km"] = f["near_km"] + rng.uniform(0, 1, n)
        f["reads"] = np.log1p(rng.integers(1, 6, n))
        f["far_km"] = rng.uniform(0, 20, n)
        f["relevance"] = (rng.random(n) < 0.1).astype(float)
        f["watchlisted"] = np.maximum(f["relevance"], (rng.random(n) < 0.05).astype(float))
        f["in_window"] = 1.0
        f.loc[0, ["history_days", "stay_hours", "near_km", "turn_km", "relevance", "watchlisted",
                  "turned_nearest", "dark_overlap"]] = [0.0, 1.2, 0.4, 0.5, 1.0, 1.0, 1.0, 0.8]
        f["new_here"] = (f["history_days"] == 0).astype(float)
        f["label"] = 0
        f.loc[0, "label"] = 1
        f["group"] = f"{county}/C{case}"
        frames.append(f)
    return frames


@pytest.mark.parametrize("fitter", [fit_logistic, fit_boosted])
def test_a_fitted_ranker_puts_the_offender_first_on_cases_it_never_saw(fitter) -> None:  # noqa: ANN001
    training = cases(40, 1, "a") + cases(40, 2, "b") + cases(40, 3, "c")
    ranker = fitter(training)
    firsts = 0
    for frame in cases(20, 9, "held-out"):
        score = ranker.score(frame)
        assert ((score >= 0) & (score <= 1)).all()
        firsts += int(np.argmax(score) == 0)
    assert firsts >= 18


def test_the_boosted_ranker_is_calibrated_and_its_pushes_add_up_to_its_log_odds() -> None:
    ranker = fit_boosted(cases(40, 1, "a") + cases(40, 2, "b") + cases(40, 3, "c"))
    frame = pd.concat(cases(30, 7, "held-out"), ignore_index=True)
    score = ranker.score(frame)
    # one offender in 61 vehicles: the mean probability is near the base rate, not inflated by training
    assert score.mean() == pytest.approx(1 / 61, rel=0.5)
    pushes = ranker.contributions(frame)
    assert list(pushes.columns) == list(FEATURES)
    bias = ranker.logit(frame) - pushes.sum(axis=1).to_numpy()
    assert np.allclose(bias, bias[0])  # the rest is one constant: the pushes explain every difference
    offender = frame.index[frame["label"] == 1][0]
    assert pushes.loc[offender].idxmax() in {"relevance", "turned_nearest", "stay_hours", "near_km", "turn_km",
                                             "dark_overlap", "history_days", "new_here", "watchlisted"}


def test_the_boosted_ranker_scores_and_explains_by_the_mean_of_its_tree_models(tmp_path: Path) -> None:
    ranker = fit_boosted(cases(30, 1, "a") + cases(30, 2, "b"), seeds=(1, 2, 3))
    assert len(ranker.models) == 3
    members = [BoostedRanker([model], ranker.slope, ranker.intercept) for model in ranker.models]
    frame = pd.concat(cases(5, 6, "c"), ignore_index=True)
    logits = [m.logit(frame) for m in members]
    assert not np.allclose(logits[0], logits[1])  # each model drew its own sample: they differ
    assert np.allclose(ranker.logit(frame), np.mean(logits, axis=0))
    pushes = np.mean([m.contributions(frame).to_numpy() for m in members], axis=0)
    assert np.allclose(ranker.contributions(frame).to_numpy(), pushes)
    # a file written before the ensemble (one "model") still loads, as that one model
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"kind": "boosted", "slope": ranker.slope, "intercept": ranker.intercept,
                               "model": ranker.models[0]}), encoding="utf-8")
    assert np.allclose(load_ranker(old).logit(frame), logits[0])


def test_rankers_survive_a_save_and_load(tmp_path: Path) -> None:
    training = cases(30, 1, "a") + cases(30, 2, "b")
    frame = pd.concat(cases(3, 5, "c"), ignore_index=True)
    for ranker in (fit_logistic(training), fit_boosted(training)):
        path = tmp_path / "ranker.json"
        ranker.save(path)  # type: ignore[attr-defined]
        again = load_ranker(path)
        assert type(again) is type(ranker)
        assert np.allclose(again.score(frame), ranker.score(frame))


def test_the_shipped_default_is_the_boosted_ranker_fitted_on_simulated_counties() -> None:
    ranker = Ranker.default()
    assert isinstance(ranker, BoostedRanker)
    assert ranker.trained_on["offenders"] > 100 and ranker.trained_on["seeds"]
    assert len(ranker.models) == len(BOOSTED_SEEDS)
    assert isinstance(load_ranker(Path(__file__).parents[2] / "pingan" / "anpr" / "ranker_weights.json"),
                      LogisticRanker)


def test_cross_validation_ranks_each_case_by_trees_that_never_saw_its_county() -> None:
    frames = cases(30, 1, "a") + cases(30, 2, "b") + cases(30, 3, "c")
    noise = cases(30, 4, "d")
    traits = ["stay_hours", "relevance", "watchlisted", "dark_overlap", "turned_nearest", "history_days", "near_km",
              "turn_km"]
    for f in noise:  # a county where the offender looks like everyone else, and its accomplice car like an offender
        f["accomplice"] = 0
        f.loc[1, traits] = f.loc[0, traits].to_numpy()
        f.loc[1, "accomplice"] = 1
        f.loc[0, traits] = [0.1, 0.0, 0.0, 0.0, 0.0, 20.0, 3.0, 3.5]
        f["new_here"] = (f["history_days"] == 0).astype(float)
    ranks = cross_validated_ranks(frames + noise, folds=4)
    assert len(ranks) == 120 and (ranks["vehicles_seen"] == 61).all()
    county = ranks["group"].str.split("/").str[0]
    assert (ranks.loc[county != "d", "rank"] == 1).mean() >= 0.9
    assert ranks.loc[county == "d", "rank"].median() > 5
    assert (ranks.loc[county == "d", "rank_with_accomplice"] == 1).mean() >= 0.9
    assert (ranks.loc[county != "d", "rank_with_accomplice"] == ranks.loc[county != "d", "rank"]).all()
    assert ranks["watchlisted"].sum() == 90  # the offenders of a, b and c
