"""Opening the store: one DuckDB database file holding everything a deployment needs."""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

import duckdb

from pingan.config import settings
from pingan.errors import BadInput
from pingan.store.schema import SCHEMA_VERSION, migrate

P = ParamSpec("P")
R = TypeVar("R")


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
    try:
        with _bulk_lock:  # a bulk job of this process on the same file keeps its memory until it ends
            if not _bulk_jobs.get(str(db_path)):
                con.execute(_memory_sql(settings().duckdb_memory_limit, "PINGAN_DUCKDB_MEMORY_LIMIT"))
    except BadInput:
        con.close()
        raise
    if not read_only:
        migrate(con)
    store = Store(path=db_path, con=con, timezone=tz)
    return store


_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)
#: The word that leaves DuckDB's memory at its own default (80 % of RAM).
DUCKDB_DEFAULT = "duckdb"


def _memory_sql(amount: str, variable: str) -> str:
    """The statement that gives DuckDB ``amount`` of memory (a setting's value, named ``variable``)."""
    value = amount.strip()
    if value.lower() == DUCKDB_DEFAULT:
        return "RESET memory_limit"
    if not _MEMORY.fullmatch(value):
        raise BadInput(f"{variable} must be an amount such as 1.5GB or 800MB (or '{DUCKDB_DEFAULT}' for "
                       f"DuckDB's own default), not {amount!r}.")
    return f"SET memory_limit = '{value}'"


_bulk_lock = threading.Lock()
_bulk_jobs: dict[str, int] = {}  # per database file: the bulk jobs running (a server may run two imports)


@contextmanager
def bulk_memory(store: Store) -> Iterator[None]:
    """DuckDB's memory raised to the bulk setting (``PINGAN_DUCKDB_BULK_MEMORY_LIMIT``) while a bulk job
    runs, then back to the questions' (``PINGAN_DUCKDB_MEMORY_LIMIT``) when the last one ends.

    DuckDB has one memory limit per database, shared by every connection to it: questions asked meanwhile
    get the larger amount too. A question needs little (1 GB kept every question of the 300 M-read
    benchmarks at full speed); an import of millions of reads sorts them in memory (30 % slower under 1 GB).
    """
    config = settings()
    raise_sql = _memory_sql(config.duckdb_bulk_memory_limit, "PINGAN_DUCKDB_BULK_MEMORY_LIMIT")
    lower_sql = _memory_sql(config.duckdb_memory_limit, "PINGAN_DUCKDB_MEMORY_LIMIT")
    name = str(store.path)
    with _bulk_lock:
        if not _bulk_jobs.get(name):
            store.con.execute(raise_sql)  # before counting: a job that cannot raise it is not counted
        _bulk_jobs[name] = _bulk_jobs.get(name, 0) + 1
    try:
        yield
    finally:
        with _bulk_lock:
            _bulk_jobs[name] -= 1
            if not _bulk_jobs[name]:
                del _bulk_jobs[name]
                try:
                    store.con.execute(lower_sql)
                except duckdb.Error:  # the connection was closed meanwhile: the next one starts low
                    pass


def bulk_work(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func(store, ...)`` within :func:`bulk_memory` of its first argument, the store."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        store = args[0]
        assert isinstance(store, Store), f"{func.__name__} takes the store first"
        with bulk_memory(store):
            return func(*args, **kwargs)

    return run


__all__ = ["Store", "open_store", "default_db_path", "bulk_memory", "bulk_work", "SCHEMA_VERSION"]
