"""A tiny simulated county, made once per test session, and helpers that read it back like an importer would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pingan.plates import normalise
from pingan.sim import SimConfig, SimResult, simulate

#: Small enough for a second of work, big enough for every planted thing to show.
TINY = SimConfig(vehicles=3_000, days=3, county_km=16, seed=11, reads_format="both", offences=8,
                 serial_offenders=2, clones=3, companions=3, misread_rate=0.05)


@dataclass
class County:
    """A simulated county on disk, with its files loaded as an analyst would load them."""

    path: Path
    result: SimResult
    config: SimConfig

    def key(self) -> dict[str, Any]:
        return json.loads((self.path / "answer_key.json").read_text(encoding="utf-8"))

    def csv(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.path / name, dtype=str, keep_default_na=False)

    def reads(self) -> pd.DataFrame:
        """Reads from the Parquet file, with the normalised plate, local time and camera position."""
        reads = pq.read_table(self.path / "reads.parquet").to_pandas()
        spellings = {p: normalise(p) for p in reads["plate"].unique()}
        reads["norm"] = reads["plate"].map(spellings)
        reads["ts"] = reads["ts"].dt.tz_convert("Asia/Shanghai")
        cams = pd.read_csv(self.path / "cameras.csv").set_index("camera_id")[["lon", "lat"]]
        return reads.join(cams, on="camera_id")


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    """The tiny county of :data:`TINY`."""
    path = tmp_path_factory.mktemp("county")
    return County(path=path, result=simulate(path, TINY), config=TINY)


@pytest.fixture(scope="session")
def reads(county: County) -> pd.DataFrame:
    return county.reads()


@pytest.fixture(scope="session")
def key(county: County) -> dict[str, Any]:
    return county.key()
