"""Same seed, same county, byte for byte; another seed, another county."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pingan.sim import simulate
from tests.sim.conftest import TINY, County


def test_same_seed_writes_identical_files(county: County, tmp_path: Path) -> None:
    again = simulate(tmp_path, TINY)
    assert sorted(p.name for p in county.path.iterdir()) == sorted(p.name for p in tmp_path.iterdir())
    for name, path in again.files.items():
        assert path.read_bytes() == (county.path / path.name).read_bytes(), f"{name} differs between runs"


def test_another_seed_makes_another_county(county: County, tmp_path: Path) -> None:
    other = simulate(tmp_path, dataclasses.replace(TINY, seed=12, reads_format="parquet"))
    assert other.files["reads_parquet"].read_bytes() != (county.path / "reads.parquet").read_bytes()
