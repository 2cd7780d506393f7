"""Opening the store: one DuckDB database file holding everything a deployment needs."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pingan.config import settings
from pingan.errors import BadInput
from pingan.store.schema import SCHEMA_VERSION, migrate


def default_db_path() -> Path:
    """``$PINGAN_DB``, else ``./pingan.duckdb``."""
    return Path(os.environ.get("PINGAN_DB") or "pingan.duckdb")


@dataclass
class Store:
    """An open pingan store. Use :func:`open_store`; close it when done (or use it as a context)."""

    path: Path
    con: duckdb.DuckDBPyConnection
    timezone: str = field(default_factory=lambda: settings().timezone)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One transaction: everything inside is stored, or (on any exception) nothing is."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")


def open_store(path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> Store:
    """Open (creating and migrating if needed) the store at ``path``.

    A directory is accepted too: the store is then ``pingan.duckdb`` inside it.
    """
    db_path = Path(path) if path is not None else default_db_path()
    if db_path.is_dir():
        db_path = db_path / "pingan.duckdb"
    if read_only and not db_path.exists():
        raise BadInput(f"There is no pingan store at {db_path}; import data first or pass --db PATH.")
    if not db_path.parent.exists():
        raise BadInput(f"The folder for the store {db_path} does not exist; create it or pass another --db PATH.")
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.IOException as exc:
        raise BadInput(f"Cannot open the store {db_path}: {exc}. Is another pingan process using it?") from exc
    tz = settings().timezone
    con.execute(f"SET TimeZone = '{tz}'")
    limit = settings().duckdb_memory_limit
    if limit:
        if not _MEMORY.fullmatch(limit.strip()):
            con.close()
            raise BadInput(f"PINGAN_DUCKDB_MEMORY_LIMIT must be an amount such as 1.5GB or 800MB, not {limit!r}.")
        con.execute(f"SET memory_limit = '{limit.strip()}'")
    if not read_only:
        migrate(con)
    store = Store(path=db_path, con=con, timezone=tz)
    return store


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)

__all__ = ["Store", "open_store", "default_db_path", "SCHEMA_VERSION"]
