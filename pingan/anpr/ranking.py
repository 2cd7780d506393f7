"""The suspect rankers: models over investigator features that give each vehicle a probability and reasons.

Two models read the same features (:data:`pingan.anpr.features.FEATURES`, on the scale :func:`transform`
puts them):

- :class:`LogisticRanker`: ``sigmoid(intercept + sum(weight_i * x_i))``. Every weight can be read and
  argued with; it is the reference the other model has to beat.
- :class:`BoostedRanker`: gradient-boosted trees (LightGBM) trained to put the offender's vehicle first
  among the vehicles of its case (a learning-to-rank objective), so it can weigh combinations an
  investigator weighs together (a relevant prior counts for more when the car also went out of sight
  next to the scene at night). Its raw score, the mean of several tree models fitted alike, is turned
  into a probability by a logistic calibration fitted on counties the trees did not see, and each
  feature's push on a vehicle's score is its exact tree contribution (TreeSHAP, averaged likewise), so
  reasons stay traceable.

``pingan.anpr.tuning`` fits both on simulated counties; ``bench/accuracy.py`` measures both on other
counties. The model in :data:`DEFAULT_FILE` is the one suspects and collide use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pingan.anpr.features import FEATURES

HERE = Path(__file__).parent
#: The logistic reference model's weights.
WEIGHTS_FILE = HERE / "ranker_weights.json"
#: The boosted model (trees, calibration, what it was trained on).
BOOSTED_FILE = HERE / "ranker_boosted.json"
#: The model suspects and collide use.
DEFAULT_FILE = BOOSTED_FILE


def transform(features: pd.DataFrame) -> pd.DataFrame:
    """The models' inputs: features on the scale where their effect is roughly linear."""
    x = pd.DataFrame(index=features.index)
    x["relevance"] = features["relevance"]
    x["watchlisted"] = features["watchlisted"]
    x["fuzzy"] = features["fuzzy"]
    x["history_days"] = np.log1p(features["history_days"])
    x["new_here"] = features["new_here"]
    x["stay_hours"] = np.log1p(features["stay_hours"].clip(0, 12))
    x["in_window"] = features["in_window"]
    x["hour_rarity"] = features["hour_rarity"].clip(-3, 6)
    x["far_km"] = np.log1p(features["far_km"].clip(0, 200))
    x["unknown_history"] = features["unknown_history"]
    x["low_confidence"] = features["low_confidence"]
    x["reads"] = features["reads"]
    for name in ("dark_overlap", "dark_new", "own_hour_rarity", "turned_nearest", "approach", "depart",
                 "could_be_there"):
        x[name] = features[name] if name in features else 0.0
    for name in ("near_km", "turn_km"):
        x[name] = np.log1p(features[name].clip(0, 50)) if name in features else 0.0
    return x[list(FEATURES)]


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


class Ranker:
    """What suspects needs of a model: a probability per vehicle and each feature's push on it."""

    trained_on: dict[str, Any]

    @classmethod
    def default(cls) -> Ranker:
        """The model in DEFAULT_FILE, loaded once per process (and again if the file changes)."""
        stat = DEFAULT_FILE.stat()
        return _load_cached(DEFAULT_FILE, stat.st_mtime_ns, stat.st_size)

    @property
    def base_rate(self) -> float:
        """The share of offenders among the vehicles it was trained on: its score before any evidence."""
        offenders, candidates = self.trained_on.get("offenders"), self.trained_on.get("candidates")
        return float(offenders) / float(candidates) if offenders and candidates else 1e-3

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        """Log-odds, per vehicle, that it is the offender's."""
        raise NotImplementedError

    def warm(self) -> None:
        """Do now what the first query would (a server calls it at start)."""

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Each feature's push on each vehicle's log-odds (columns FEATURES)."""
        raise NotImplementedError

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """The probability, per vehicle, that it is the offender's."""
        if features.empty:
            return np.zeros(0)
        return sigmoid(self.logit(features))


@dataclass
class LogisticRanker(Ranker):
    """A logistic scoring model; ``weights`` maps each feature in FEATURES to its weight."""

    intercept: float
    weights: dict[str, float]
    trained_on: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"kind": "logistic", "intercept": self.intercept, "weights": self.weights,
                                    "trained_on": self.trained_on}, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")

    def vector(self) -> np.ndarray:
        return np.array([self.weights.get(name, 0.0) for name in FEATURES])

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        return transform(features) * self.vector()

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        return self.intercept + self.contributions(features).sum(axis=1).to_numpy()


@dataclass
class BoostedRanker(Ranker):
    """Boosted trees ranking the vehicles of a case; ``slope`` and ``intercept`` calibrate the raw score.

    The raw score is the mean of several tree models fitted alike but for their random draws (LightGBM's
    seed and the sampled non-offender vehicles). Each alone ranks a case's top few a little differently;
    their mean is steadier (docs/ranking.md has the figures). TreeSHAP contributions add up to each model's
    score, so their mean adds up to the mean score: the reasons stay exact.
    """

    models: list[str]
    """The LightGBM models, as LightGBM writes them."""
    slope: float
    intercept: float
    trained_on: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import lightgbm

        if not self.models:
            raise ValueError("a boosted ranker needs at least one tree model")
        self._boosters = [lightgbm.Booster(model_str=m) for m in self.models]
        self._fast: list[Any] | None = None  # the models compiled, on first use
        # the features they were trained on, by name: a model from before a feature was added still loads
        self._features = list(self._boosters[0].feature_name())
        if any(list(b.feature_name()) != self._features for b in self._boosters[1:]):
            raise ValueError("the tree models of a boosted ranker must read the same features")

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"kind": "boosted", "slope": self.slope, "intercept": self.intercept,
                                    "trained_on": self.trained_on, "models": self.models},
                                   ensure_ascii=False) + "\n", encoding="utf-8")

    def _inputs(self, features: pd.DataFrame) -> np.ndarray:
        return transform(features)[self._features].to_numpy(dtype=float)

    def raw(self, features: pd.DataFrame) -> np.ndarray:
        x = np.ascontiguousarray(self._inputs(features))
        return np.mean([np.asarray(predict(x), dtype=float) for predict in self._predictors()], axis=0)

    def _predictors(self) -> list[Any]:
        """Each model's raw scores: compiled to machine code where it can be (:mod:`compiled_trees`, the same
        scores 4-5x faster), else LightGBM's."""
        if self._fast is None:
            from pingan.anpr.compiled_trees import compiled

            fast = [compiled(m) for m in self.models]
            self._fast = fast if all(f is not None for f in fast) else [b.predict for b in self._boosters]
        return self._fast

    def warm(self) -> None:
        self._predictors()  # the trees compiled (or loaded compiled), ~2.7 s the first time on a machine

    @property
    def engine(self) -> str:
        """What scores the vehicles: "compiled" trees or "lightgbm"."""
        return "lightgbm" if self._predictors()[0] == self._boosters[0].predict else "compiled"

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        return self.intercept + self.slope * self.raw(features)

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        if features.empty:
            return pd.DataFrame(columns=list(FEATURES), index=features.index, dtype=float)
        x = self._inputs(features)
        contrib = np.mean([np.asarray(b.predict(x, pred_contrib=True), dtype=float) for b in self._boosters], axis=0)
        pushes = pd.DataFrame(contrib[:, : len(self._features)] * self.slope, index=features.index, columns=self._features)
        return pushes.reindex(columns=list(FEATURES), fill_value=0.0)


@lru_cache(maxsize=4)
def _load_cached(path: Path, mtime_ns: int, size: int) -> Ranker:
    return load_ranker(path)


def load_ranker(path: Path) -> Ranker:
    """The model saved at ``path`` (logistic or boosted)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("kind") == "boosted":
        models = data["models"] if "models" in data else [data["model"]]  # one model: files before the ensemble
        return BoostedRanker(list(models), float(data["slope"]), float(data["intercept"]), data.get("trained_on", {}))
    return LogisticRanker(float(data["intercept"]), {k: float(v) for k, v in data["weights"].items()},
                          data.get("trained_on", {}))
