"""Opening the store: DuckDB's memory can be bounded by a setting, and a bad amount is one clear sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingan.config import settings
from pingan.errors import BadInput
from pingan.store.db import open_store


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch):
    def set_limit(value: str) -> None:
        monkeypatch.setenv("PINGAN_DUCKDB_MEMORY_LIMIT", value)
        settings.cache_clear()

    yield set_limit
    settings.cache_clear()


def test_the_memory_setting_reaches_duckdb(tmp_path: Path, limit) -> None:
    with open_store(tmp_path / "a.duckdb") as store:
        default = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    limit("700MB")
    with open_store(tmp_path / "a.duckdb") as store:
        bounded = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert default != bounded == "667.5 MiB"  # 700 MB, as DuckDB shows it


def test_a_bad_amount_is_one_sentence(tmp_path: Path, limit) -> None:
    limit("lots")
    with pytest.raises(BadInput, match="PINGAN_DUCKDB_MEMORY_LIMIT must be an amount such as 1.5GB"):
        open_store(tmp_path / "b.duckdb")
