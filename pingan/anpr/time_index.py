"""A time-ordered copy of the reads, for the questions the plate-ordered table answers slowly.

The reads table is ordered by (day, plate, ts): one plate's month is a few dozen row groups, but "who
passed these cameras between 08:01 and 08:03" touches every row group of the day, because each holds
a slice of plates over the whole day. Companion searches ask exactly that, for every trip of a month
(measured: ~1.2 s over 30 days of 10 M reads a day, against < 0.2 s with this index).

``anpr_time_index`` holds (day, ts, camera_id, plate, confidence) ordered by day, quarter of an hour, camera
and time (:data:`LAYOUT`), so a row group covers about a quarter of an hour and DuckDB's zone maps skip the
rest of the day. It also
carries what a suspects query reads from the padded window (``read_id``, ``plate_valid``, and ``plate_raw``
where it differs from ``plate``: NULL otherwise, which saves most of its space)
and integer forms of the plate and camera (``key``, ``cam``: see :mod:`pingan.anpr.summaries`), because
DuckDB fetches a few thousand scattered rows' integers far faster than their strings. It is a
derived copy, built a day at a time by :func:`build_time_index` (``pingan time-index``), and used only
for days whose read count still matches the reads table: a day re-imported or pruned since is read
from the reads table until the index is rebuilt. It holds personal data like the reads it copies, so
retention must prune it too (:func:`drop_time_index`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from pingan.anpr.summaries import CAMERAS, check_all, forget, number_cameras, plate_key_sql
from pingan.store.db import Store, bulk_work

TABLE = "anpr_time_index"
#: The rows' order within a day: by quarter of an hour, then camera, then time. A row group still covers
#: about a quarter of an hour (zone maps on ``ts`` skip the rest of the day as before), and inside it one
#: area's cameras sit in a few runs of rows, so DuckDB decodes the plates of those runs only, not of the
#: whole window: a daytime area's 7 hours of reads (79,000 of 3 M) 41 -> 25 ms (docs/anpr_speed.md).
#: Days built in the earlier (ts, camera_id) order answer the same, more slowly, until rebuilt.
LAYOUT = "time_bucket(INTERVAL 15 MINUTE, r.ts), c.cam, r.ts, r.camera_id"
DAYS_TABLE = "anpr_time_index_days"


#: Columns added after the first release, with their types: an index without them is rebuilt.
LATER_COLUMNS = {"read_id": "VARCHAR", "plate_raw": "VARCHAR", "plate_valid": "BOOLEAN", "key": "UBIGINT",
                 "cam": "INTEGER"}


def _ensure_tables(store: Store) -> None:
    store.con.execute(f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        day DATE NOT NULL, ts TIMESTAMP NOT NULL, camera_id VARCHAR NOT NULL, plate VARCHAR NOT NULL,
        confidence DOUBLE, read_id VARCHAR, plate_raw VARCHAR, plate_valid BOOLEAN, key UBIGINT, cam INTEGER)""")
    store.con.execute(f"""CREATE TABLE IF NOT EXISTS {DAYS_TABLE} (
        day DATE PRIMARY KEY, reads BIGINT NOT NULL, built_at TIMESTAMP NOT NULL)""")
    missing = [c for c in LATER_COLUMNS if c not in _columns(store.con)]
    if missing:  # an index from before these columns: every day is rebuilt with them
        for column in missing:
            store.con.execute(f"ALTER TABLE {TABLE} ADD COLUMN {column} {LATER_COLUMNS[column]}")
        store.con.execute(f"DELETE FROM {DAYS_TABLE}")


def _columns(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [TABLE]).fetchall()}


def _exists(store: Store) -> bool:
    rows = store.con.execute(
        "SELECT count(DISTINCT table_name) FROM information_schema.tables WHERE table_name IN (?, ?)", [TABLE, DAYS_TABLE]
    ).fetchall()
    return bool(rows and rows[0][0] == 2)


def _reads_per_day(store: Store, first: date | None, last: date | None) -> dict[date, int]:
    where = []
    if first is not None:
        where.append(f"day >= DATE '{first}'")
    if last is not None:
        where.append(f"day <= DATE '{last}'")
    sql = "SELECT day, count(*) FROM reads" + (" WHERE " + " AND ".join(where) if where else "") + " GROUP BY day"
    return {d: int(n) for d, n in store.con.execute(sql).fetchall()}


def usable_days(store: Store, first: date, last: date) -> set[date]:
    """The days from ``first`` to ``last`` a suspects query may read from the index: it has every column
    and the day's read count still matches the reads table (counted once per store, see summaries)."""
    from pingan.anpr.summaries import fresh_in, tables

    catalogue = tables(store)
    # an index from before LATER_COLUMNS serves companions only
    whole = DAYS_TABLE in catalogue and set(LATER_COLUMNS) <= catalogue.get(TABLE, set())
    return fresh_in(store, DAYS_TABLE, first, last) if whole else set()


def fresh_days(store: Store, first: date, last: date, days: set[date] | None = None) -> set[date]:
    """The days from ``first`` to ``last`` (or just ``days``) whose index matches the reads table."""
    if not _exists(store):
        return set()
    indexed = {d: int(n) for d, n in store.con.execute(
        f"SELECT day, reads FROM {DAYS_TABLE} WHERE day BETWEEN DATE '{first}' AND DATE '{last}'").fetchall()}
    if days is not None:
        indexed = {d: n for d, n in indexed.items() if d in days}
    if not indexed:
        return set()
    # one pruned count per day: far cheaper than grouping a month of reads by day
    counts = " UNION ALL ".join(f"SELECT DATE '{d}' AS day, count(*) AS n FROM reads WHERE day = DATE '{d}'"
                                for d in sorted(indexed))
    actual = {d: int(n) for d, n in store.con.execute(counts).fetchall()}
    return {d for d, n in indexed.items() if actual.get(d) == n}


@dataclass
class IndexReport:
    built: list[date] = field(default_factory=list)
    already_fresh: list[date] = field(default_factory=list)
    reads: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return {"built": [d.isoformat() for d in self.built], "already_fresh": len(self.already_fresh),
                "reads": self.reads, "seconds": round(self.seconds, 2)}


@bulk_work
def build_time_index(store: Store, first: date | None = None, last: date | None = None,
                     *, rebuild: bool = False, days: Iterable[date] | None = None,
                     progress: Callable[[date, int, int], None] | None = None) -> IndexReport:
    """Build (or bring up to date) the time-ordered copy for the days from ``first`` to ``last`` (or just
    ``days``), one day per transaction so that a crash leaves every day either old or new, never half."""
    import time

    from pingan.anpr.summaries import reads_per_day

    started = time.perf_counter()
    forget(store)
    store.con.execute("SET enable_progress_bar = false")  # a library call draws no progress bars
    with store.atomic():
        _ensure_tables(store)
    report = IndexReport()
    actual = reads_per_day(store, sorted(set(days))) if days is not None else _reads_per_day(store, first, last)
    indexed = {d: int(n) for d, n in store.con.execute(f"SELECT day, reads FROM {DAYS_TABLE}").fetchall()}
    todo = [d for d in sorted(actual) if rebuild or indexed.get(d) != actual[d]]
    report.already_fresh = [d for d in sorted(actual) if d not in todo]
    for i, day in enumerate(todo):
        with store.atomic() as con:
            number_cameras(con, f"SELECT camera_id FROM reads WHERE day = DATE '{day}'")
            con.execute(f"DELETE FROM {TABLE} WHERE day = DATE '{day}'")
            con.execute(f"""INSERT INTO {TABLE} (day, ts, camera_id, plate, confidence, read_id, plate_raw,
                                                 plate_valid, key, cam)
                WITH k AS (SELECT plate, {plate_key_sql('plate')} AS key
                           FROM (SELECT DISTINCT plate FROM reads WHERE day = DATE '{day}'))
                SELECT r.day, r.ts, r.camera_id, r.plate, r.confidence, r.read_id,
                       CASE WHEN r.plate_raw <> r.plate THEN r.plate_raw END, r.plate_valid, k.key, c.cam
                FROM reads r JOIN k USING (plate) JOIN {CAMERAS} c USING (camera_id)
                WHERE r.day = DATE '{day}' ORDER BY {LAYOUT}""")
            con.execute(f"INSERT OR REPLACE INTO {DAYS_TABLE} VALUES (DATE '{day}', ?, ?)",
                        [actual[day], datetime.now()])
        report.built.append(day)
        report.reads += actual[day]
        if progress is not None:
            progress(day, i + 1, len(todo))
    check_all(store, DAYS_TABLE)
    forget(store)
    report.seconds = time.perf_counter() - started
    return report


def drop_time_index(store: Store, before: date | None = None) -> int:
    """Remove the index for days before ``before`` (all days when None); returns the days removed."""
    if not _exists(store):
        return 0
    forget(store)
    with store.atomic() as con:
        return prune_time_index(con, before)


def prune_time_index(con: duckdb.DuckDBPyConnection, before: date | None) -> int:
    """The same inside a transaction the caller holds (retention purges reads and this in one go)."""
    exists = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [DAYS_TABLE]
                         ).fetchall()[0][0]
    if not exists:
        return 0
    cond = f"day < DATE '{before}'" if before is not None else "TRUE"
    days = con.execute(f"SELECT count(*) FROM {DAYS_TABLE} WHERE {cond}").fetchall()[0][0]
    con.execute(f"DELETE FROM {TABLE} WHERE {cond}")
    con.execute(f"DELETE FROM {DAYS_TABLE} WHERE {cond}")
    return int(days)
