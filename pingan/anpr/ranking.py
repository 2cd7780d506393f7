"""The suspect ranker: a transparent logistic model over investigator features, with reasons.

score = sigmoid(intercept + sum(weight_i * transform_i(feature_i)))

The weights live in ``ranker_weights.json`` beside this module; ``pingan.anpr.tuning`` fits them on
simulated counties (maximum likelihood with an L2 penalty), so the score is a calibrated probability that
the vehicle is the offender's, given what the model sees. Each candidate's reasons are the features that
moved its score most, in plain words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pingan.anpr.features import FEATURES

WEIGHTS_FILE = Path(__file__).with_name("ranker_weights.json")


def transform(features: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: features on the scale where their effect is roughly linear."""
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
    for name in ("dark_overlap", "dark_new", "own_hour_rarity"):
        x[name] = features[name] if name in features else 0.0
    return x[list(FEATURES)]


@dataclass
class Ranker:
    """A logistic scoring model; ``weights`` maps each feature in FEATURES to its weight."""

    intercept: float
    weights: dict[str, float]
    trained_on: dict[str, object] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Ranker:
        return cls.load(WEIGHTS_FILE)

    @classmethod
    def load(cls, path: Path) -> Ranker:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(float(data["intercept"]), {k: float(v) for k, v in data["weights"].items()},
                   data.get("trained_on", {}))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"intercept": self.intercept, "weights": self.weights,
                                    "trained_on": self.trained_on}, indent=1, ensure_ascii=False) + "\n",
                        encoding="utf-8")

    def vector(self) -> np.ndarray:
        return np.array([self.weights.get(name, 0.0) for name in FEATURES])

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """Each feature's push on each candidate's log-odds."""
        return transform(features) * self.vector()

    def score(self, features: pd.DataFrame) -> np.ndarray:
        """The probability, per candidate, that it is the offender's vehicle."""
        if features.empty:
            return np.zeros(0)
        logit = self.intercept + self.contributions(features).sum(axis=1).to_numpy()
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -40, 40)))
