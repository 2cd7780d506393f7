"""How relevant a person's prior offence categories are to the category of the case at hand.

An investigator weighs a cable thief's prior for metal theft far above a prior for fraud. The table is
configuration: pass your own mapping to the ranker, or a JSON file of the same shape.
"""

from __future__ import annotations

import json
from pathlib import Path

#: Relevance of a prior in category (column) to a case in category (row); unlisted pairs get DEFAULT.
RELEVANCE: dict[str, dict[str, float]] = {
    "cable_theft": {"cable_theft": 1.0, "theft": 0.8, "burglary": 0.6, "vehicle_theft": 0.4, "robbery": 0.4},
    "theft": {"theft": 1.0, "cable_theft": 0.8, "burglary": 0.7, "vehicle_theft": 0.6, "robbery": 0.5},
    "burglary": {"burglary": 1.0, "theft": 0.7, "cable_theft": 0.6, "robbery": 0.6, "vehicle_theft": 0.4},
    "vehicle_theft": {"vehicle_theft": 1.0, "theft": 0.6, "burglary": 0.5, "robbery": 0.4},
    "robbery": {"robbery": 1.0, "assault": 0.7, "theft": 0.5, "burglary": 0.5},
    "assault": {"assault": 1.0, "robbery": 0.7},
    "fraud": {"fraud": 1.0},
    "drugs": {"drugs": 1.0},
}
DEFAULT = 0.15


def normalise_category(category: str) -> str:
    return category.strip().lower().replace(" ", "_").replace("-", "_")


def relevance(case_category: str, prior_categories: list[str] | tuple[str, ...],
              table: dict[str, dict[str, float]] | None = None) -> float:
    """The highest relevance of any prior category to the case's category, in 0..1."""
    table = table or RELEVANCE
    case = normalise_category(case_category)
    row = table.get(case, {})
    best = 0.0
    for prior in prior_categories:
        prior = normalise_category(prior)
        value = 1.0 if prior == case else row.get(prior, DEFAULT)
        best = max(best, value)
    return best


def load_table(path: Path) -> dict[str, dict[str, float]]:
    """A relevance table from a JSON file: {case_category: {prior_category: relevance}}."""
    return json.loads(path.read_text(encoding="utf-8"))
