"""DuckDB's memory: small while it answers questions, DuckDB's own during bulk jobs, each bounded by a setting;
a bad amount is one clear sentence."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pingan.config import settings
from pingan.errors import BadInput
from pingan.store.db import Store, bulk_memory, open_store
from pingan.store.importers import import_file
from tests.store.helpers import CAMERAS, write_csv


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch):
    def set_value(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        settings.cache_clear()

    settings.cache_clear()
    yield set_value
    settings.cache_clear()


def memory(store: Store) -> str:
    return store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def duckdb_own(tmp_path: Path) -> str:
    con = duckdb.connect(str(tmp_path / "plain.duckdb"))
    try:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def test_questions_get_one_gigabyte_unless_the_setting_says_otherwise(tmp_path: Path, setting) -> None:
    with open_store(tmp_path / "a.duckdb") as store:
        assert memory(store) == "953.6 MiB"  # 1 GB, as DuckDB shows it
    setting("PINGAN_DUCKDB_MEMORY_LIMIT", "700MB")
    with open_store(tmp_path / "a.duckdb") as store:
        assert memory(store) == "667.5 MiB"
    setting("PINGAN_DUCKDB_MEMORY_LIMIT", "duckdb")
    with open_store(tmp_path / "a.duckdb") as store:
        assert memory(store) == duckdb_own(tmp_path) != "953.6 MiB"


def test_a_bulk_job_has_duckdbs_own_memory_until_the_last_one_ends(tmp_path: Path, setting) -> None:
    with open_store(tmp_path / "a.duckdb") as store:
        with bulk_memory(store):
            assert memory(store) == duckdb_own(tmp_path)
            with bulk_memory(store):  # a second job (a server running two imports)
                pass
            assert memory(store) == duckdb_own(tmp_path)  # the first is still running
        assert memory(store) == "953.6 MiB"
        with pytest.raises(RuntimeError), bulk_memory(store):
            raise RuntimeError("the job failed")
        assert memory(store) == "953.6 MiB"  # lowered again all the same
    setting("PINGAN_DUCKDB_BULK_MEMORY_LIMIT", "2GB")
    with open_store(tmp_path / "a.duckdb") as store, bulk_memory(store):
        assert memory(store) == "1.8 GiB"


def test_an_import_runs_with_the_bulk_memory(tmp_path: Path, setting) -> None:
    setting("PINGAN_DUCKDB_BULK_MEMORY_LIMIT", "3GB")
    during: list[str] = []
    with open_store(tmp_path / "a.duckdb") as store:
        import_file(store, "cameras", write_csv(tmp_path, "cameras.csv", CAMERAS),
                    on_stored=lambda report: during.append(memory(store)))
        assert during == ["2.7 GiB"]  # 3 GB while the import ran
        assert memory(store) == "953.6 MiB"


@pytest.mark.parametrize("name", ["PINGAN_DUCKDB_MEMORY_LIMIT", "PINGAN_DUCKDB_BULK_MEMORY_LIMIT"])
def test_a_bad_amount_is_one_sentence(tmp_path: Path, setting, name: str) -> None:
    setting(name, "lots")
    with pytest.raises(BadInput, match=f"{name} must be an amount such as 1.5GB or 800MB"):
        with open_store(tmp_path / "b.duckdb") as store, bulk_memory(store):
            pass
