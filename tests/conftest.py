from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pingan.store.db import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, empty store."""
    with open_store(tmp_path / "pingan.duckdb") as s:
        yield s
