"""Synthetic cases for forecast tests, built with tiny helpers so the tests read like the domain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

CENTRE = (-79.40, 43.70)            # a Toronto-like place
HOTSPOT = (-79.395, 43.703)
START = pd.Timestamp("2016-01-01", tz="UTC")


def make_case(lon: float, lat: float, start: pd.Timestamp | str, category: str = "Assault") -> dict[str, object]:
    """One case as a row of the cases frame."""
    return {"lon": lon, "lat": lat, "start": pd.Timestamp(start), "category": category}


def make_cases(n_background: int = 400, n_hotspot: int = 250, days: int = 730, seed: int = 1) -> pd.DataFrame:
    """Cases over ``days`` from 2016: scattered background across ~4 km plus a steady hotspot."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_background):
        lon = CENTRE[0] + rng.uniform(-0.025, 0.025)
        lat = CENTRE[1] + rng.uniform(-0.018, 0.018)
        rows.append(make_case(lon, lat, START + pd.Timedelta(days=float(rng.uniform(0, days))),
                              str(rng.choice(["Assault", "Robbery", "Break and Enter"]))))
    for _ in range(n_hotspot):
        rows.append(make_case(HOTSPOT[0] + rng.normal(0, 0.0002), HOTSPOT[1] + rng.normal(0, 0.0002),
                              START + pd.Timedelta(days=float(rng.uniform(0, days))), "Robbery"))
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def cases() -> pd.DataFrame:
    """Two years of synthetic cases with one obvious hotspot."""
    return make_cases()


@pytest.fixture(scope="session")
def as_of() -> pd.Timestamp:
    """A forecast time in the middle of the synthetic cases."""
    return pd.Timestamp("2017-06-01T00:00", tz="UTC")
