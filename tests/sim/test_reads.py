"""Camera behaviour: misreads at the configured rate, missed reads, double reads."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pingan.plates import PROVINCES, variants
from tests.sim.conftest import County


def test_misread_share_matches_the_configuration(county: County, reads: pd.DataFrame, key: dict[str, Any]) -> None:
    rate = county.config.misread_rate
    assert abs(key["stats"]["misread_share"] - rate) < 0.2 * rate
    # From the raw file: a misread is a rarely seen plate one cheap substitution from a common plate.
    counts = reads["norm"].value_counts()
    common = set(counts[counts >= 5].index)
    misread_like = sum(int(counts[p]) for p in counts[counts <= 2].index if _misread_of_common(p, common))
    assert 0.5 * rate < misread_like / len(reads) < 1.5 * rate


def test_misread_reads_have_lower_confidence_on_average(county: County, reads: pd.DataFrame) -> None:
    counts = reads["norm"].map(reads["norm"].value_counts())
    rare, common = reads[counts <= 2], reads[counts >= 5]
    assert rare["confidence"].mean() < common["confidence"].mean() - 0.04
    assert rare["confidence"].max() > common["confidence"].median()  # overlapping, not a giveaway


def test_some_passes_are_missed(key: dict[str, Any], county: County) -> None:
    stats = key["stats"]
    doubles = county.config.double_read_rate
    missed = 1 - stats["reads"] / (stats["passes"] * (1 + doubles))
    assert 0.5 * county.config.miss_rate < missed < 1.5 * county.config.miss_rate


def test_double_reads_exist_at_the_configured_rate(county: County, reads: pd.DataFrame) -> None:
    ordered = reads.sort_values(["norm", "camera_id", "ts"])
    again = (ordered["norm"].eq(ordered["norm"].shift()) & ordered["camera_id"].eq(ordered["camera_id"].shift())
             & ((ordered["ts"] - ordered["ts"].shift()) <= pd.Timedelta(seconds=5)))
    assert again.sum() > 0
    assert 0.5 * county.config.double_read_rate < again.mean() < 1.5 * county.config.double_read_rate


def _misread_of_common(plate: str, common: set[str]) -> bool:
    """Is ``plate`` a common plate with one OCR confusion, or with another province character?"""
    if any(v in common for v in variants(plate)):
        return True
    return any(province + plate[1:] in common for province in PROVINCES if province != plate[0])
