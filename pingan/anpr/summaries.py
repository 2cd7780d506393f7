"""Per-day summaries of the reads: what a suspects query needs from the weeks before a case.

A suspects query asks, for the vehicles seen around a scene, how often these cameras saw each of them in
the 28 days before, where each usually is and at what hours it is usually out. Over raw reads that is a
scan of four weeks: the reads table is ordered by (day, plate, ts), so neither a camera filter nor a set
of a thousand random plates prunes anything (measured at 300 M reads: 3.6 s, 2.2 s and 2.9 s a case).
These tables hold the same facts, a day at a time, in a form DuckDB reads fast:

``anpr_vehicle_days``  one row per vehicle and local day (a second row for a vehicle seen by more than 15
                       cameras that day): ``key`` (the first 8 bytes of the MD5 of the plate, as UBIGINT),
                       ``reads``, ``hours`` (bit h set: read in local hour h) and the cameras that saw it,
                       packed three 20-bit camera numbers to a UBIGINT (``c0`` … ``c4``; 0 is no camera).
                       Ordered by key within the day. Integer columns only: measured, a join on 12,000
                       keys over 28 days reads them in tens of milliseconds, where the same rows with plate
                       strings or camera lists took ten times longer.
``anpr_camera_hours``  reads per camera, local day and local hour: the traffic profile of an area.
``anpr_summary_cameras`` the camera numbers (camera_id to ``cam``, assigned once, never reused).
``anpr_summary_days``  each day summarised, with the read count it had and when.

Like the time index (:mod:`pingan.anpr.time_index`) it is a derived copy, built a day at a time
(:func:`build_summaries`, run after every reads import and by ``pingan summaries``), and used only for days
whose read count still matches the reads table: a day imported into or pruned since is computed from the
raw reads until it is rebuilt, so answers are the same either way, only slower. It holds personal data
like the reads, so retention prunes it with them (:func:`prune_summaries`).

The per-day read counts that decide freshness are one pruned ``count(*)`` per day (about 2 ms a day at
10 M reads a day: the ``day`` column of a day's row groups is a constant). A :class:`~pingan.store.db.Store`
remembers them, and the vehicle rows it fetched, while the reads table keeps its size: a query that asks
for the same weeks again (usual places after history) reads nothing twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pingan.anpr import vehicle_day_files, vehicle_read_files
from pingan.store.db import Store, bulk_work
from pingan.timeutil import local_tz

VEHICLE_DAYS = "anpr_vehicle_days"
CAMERA_HOURS = "anpr_camera_hours"
CAMERAS = "anpr_summary_cameras"
DAYS_TABLE = "anpr_summary_days"
STATE = "anpr_summary_state"
TABLES = (VEHICLE_DAYS, CAMERA_HOURS, CAMERAS, DAYS_TABLE, STATE)

#: Camera numbers per packed column, bits per number, packed columns per row.
PER_COLUMN, CAMERA_BITS, COLUMNS = 3, 20, 5
SLOTS = PER_COLUMN * COLUMNS
MAX_CAMERAS = (1 << CAMERA_BITS) - 1
PACKED = tuple(f"c{i}" for i in range(COLUMNS))


def plate_key_sql(column: str) -> str:
    """SQL for a plate's key: the first 8 bytes of its MD5 (stable across DuckDB versions, unlike hash())."""
    return f"('0x' || left(md5({column}), 16))::UBIGINT"


def plate_key(plate: str) -> int:
    """The same key in Python (a collision among the vehicles of one query: about 1 in 10^10)."""
    return int.from_bytes(hashlib.md5(plate.encode("utf-8")).digest()[:8], "big")


def plate_keys(plates: Iterable[str]) -> np.ndarray:
    """:func:`plate_key` of many plates, as uint64 (the digests joined and read at once: 40 % faster)."""
    md5 = hashlib.md5
    joined = b"".join(md5(plate.encode("utf-8")).digest()[:8] for plate in plates)
    return np.frombuffer(joined, dtype=">u8").astype(np.uint64)


def day_offset_seconds(day: date) -> int:
    """The deployment's UTC offset on a local day (at noon: a DST change happens at night)."""
    offset = datetime.combine(day, clock(12)).replace(tzinfo=local_tz()).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def local_hour_sql(day: date) -> str:
    """SQL for the local hour of ``ts`` on that local day."""
    return f"hour(ts + INTERVAL {day_offset_seconds(day)} SECOND)"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0]
    return bool(row and row[0])


def _ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    packed = ", ".join(f"{c} UBIGINT" for c in PACKED)
    con.execute(f"""CREATE TABLE IF NOT EXISTS {VEHICLE_DAYS} (
        day DATE NOT NULL, key UBIGINT NOT NULL, reads INTEGER NOT NULL, hours INTEGER NOT NULL, {packed})""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {CAMERA_HOURS} (
        day DATE NOT NULL, cam INTEGER NOT NULL, hour TINYINT NOT NULL, reads INTEGER NOT NULL)""")
    con.execute(f"CREATE TABLE IF NOT EXISTS {CAMERAS} (camera_id VARCHAR NOT NULL, cam INTEGER NOT NULL)")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {DAYS_TABLE} (
        day DATE PRIMARY KEY, reads BIGINT NOT NULL, built_at TIMESTAMP NOT NULL)""")
    con.execute(f"""CREATE TABLE IF NOT EXISTS {STATE} (
        days_table VARCHAR PRIMARY KEY, reads BIGINT NOT NULL, checked_at TIMESTAMP NOT NULL)""")


def number_cameras(con: duckdb.DuckDBPyConnection, source_sql: str) -> None:
    """Give a number to every camera id ``source_sql`` (a query of ``camera_id``) yields that has none."""
    _ensure_tables(con)
    con.execute(f"""INSERT INTO {CAMERAS}
        SELECT camera_id, (SELECT coalesce(max(cam), 0) FROM {CAMERAS}) + row_number() OVER (ORDER BY camera_id)
        FROM (SELECT DISTINCT camera_id FROM ({source_sql})) s
        WHERE camera_id NOT IN (SELECT camera_id FROM {CAMERAS})""")
    top = con.execute(f"SELECT max(cam) FROM {CAMERAS}").fetchall()[0]
    if top and top[0] is not None and top[0] > MAX_CAMERAS:
        raise RuntimeError(f"More than {MAX_CAMERAS:,} cameras: widen CAMERA_BITS in pingan.anpr.summaries.")


# --- freshness -------------------------------------------------------------------------------------------

def _memo(store: Store) -> dict[str, Any]:
    """What this store has already counted and fetched, valid while the reads table keeps its size (inside
    :func:`one_question` the size is counted once)."""
    memo: dict[str, Any] = store.__dict__.setdefault("_summary_memo", {})
    if memo.get("pinned") and "total" in memo:
        return memo
    total = store.con.execute("SELECT count(*) FROM reads").fetchall()[0][0]
    if memo.get("total") != total:
        memo.clear()
        memo.update(total=total, counts={}, vehicles={})
    return memo


@contextmanager
def one_question(store: Store) -> Iterator[None]:
    """Answer one question (a suspects query, say) against the reads as they are when it starts: the reads
    table's size, which decides what is remembered, is counted once rather than at every lookup (a
    millisecond each, a dozen times a query). Nothing may write reads inside."""
    memo = _memo(store)
    if memo.get("pinned"):
        yield
        return
    memo["pinned"] = True
    try:
        yield
    finally:
        memo.pop("pinned", None)


def known(store: Store, what: str, find: Callable[[], Any]) -> Any:
    """A fact about the store's tables (exists, has columns), found once while the store is remembered:
    the catalogue lookups cost a few milliseconds each, a dozen times a query."""
    facts: dict[str, Any] = _memo(store).setdefault("facts", {})
    if what not in facts:
        facts[what] = find()
    return facts[what]


def tables(store: Store) -> dict[str, set[str]]:
    """The store's tables and views with their columns, read in one catalogue query while the store is
    remembered (a catalogue query costs a millisecond or more, and a suspects query asked six)."""
    def read() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for table, column in store.con.execute(
                "SELECT table_name, column_name FROM information_schema.columns").fetchall():
            found.setdefault(table, set()).add(column)
        return found

    return known(store, "catalogue", read)  # type: ignore[no-any-return]


def forget(store: Store) -> None:
    """Drop what the store remembers (after writing reads or summaries through it)."""
    store.__dict__.pop("_summary_memo", None)


def reads_per_day(store: Store, days: Iterable[date]) -> dict[date, int]:
    """The read count of each day (days without reads are left out)."""
    memo = _memo(store)
    counts: dict[date, int] = memo["counts"]
    missing = sorted(set(days) - set(counts))
    if missing:
        # one pruned count per day: far cheaper than grouping a month of reads by day
        sql = " UNION ALL ".join(f"SELECT DATE '{d}' AS day, count(*) AS n FROM reads WHERE day = DATE '{d}'"
                                 for d in missing)
        found = {d: int(n) for d, n in store.con.execute(sql).fetchall()}
        counts.update({d: found.get(d, 0) for d in missing})
    return {d: counts[d] for d in days if counts.get(d)}


def fresh_in(store: Store, days_table: str, first: date, last: date) -> set[date]:
    """The days from ``first`` to ``last`` whose copy in ``days_table`` matches the reads table.

    When the reads table still has the size it had when the copy was last built, every day listed was
    checked then and nothing was imported or purged since (an import or a purge changes the size), so no
    day needs counting; otherwise each day's reads are counted.
    """
    return set(known(store, f"fresh:{days_table}:{first}:{last}", lambda: _fresh_in(store, days_table, first, last)))


def _fresh_in(store: Store, days_table: str, first: date, last: date) -> set[date]:
    built = {d: n for d, (n, _) in stamps_of(store, days_table).items() if first <= d <= last}
    if not built:
        return set()
    checked = known(store, f"checked:{days_table}", lambda: store.con.execute(
        f"SELECT reads FROM {STATE} WHERE days_table = ?", [days_table]).fetchall() if STATE in tables(store) else [])
    if checked and checked[0][0] == _memo(store)["total"]:
        return set(built)
    actual = reads_per_day(store, _days(first, last))
    return {d for d, n in built.items() if actual.get(d) == n}


def stamps_of(store: Store, days_table: str = DAYS_TABLE) -> dict[date, tuple[int, datetime]]:
    """Every day a derived copy (``days_table``: the summaries' or the time index's) lists, with its read
    count and build stamp; read once while the store is remembered (a query each time cost a millisecond or
    two, several times a question). Fresh or not is :func:`fresh_in`'s question."""
    def read() -> dict[date, tuple[int, datetime]]:
        if days_table not in tables(store):
            return {}
        return vehicle_day_files.day_stamps(store.con, days_table, date.min, date.max)

    return known(store, f"stamps:{days_table}", read)  # type: ignore[no-any-return]


def fresh_stamps(store: Store, first: date, last: date) -> dict[date, tuple[int, datetime]]:
    """The (reads, built_at) stamps of the days from ``first`` to ``last`` whose summaries are fresh: the
    names of their files beside the store."""
    fresh = fresh_days(store, first, last)
    return {d: s for d, s in stamps_of(store, DAYS_TABLE).items() if d in fresh}


def check_all(store: Store, days_table: str) -> list[date]:
    """After a build: count the reads of every day ``days_table`` lists, forget the days that no longer
    match (they are rebuilt or read raw), and note the reads table's size, under which the rest stay fresh.
    Returns the days forgotten."""
    forget(store)
    with store.atomic() as con:
        _ensure_tables(con)
        listed = {d: int(n) for d, n in con.execute(f"SELECT day, reads FROM {days_table}").fetchall()}
    actual = reads_per_day(store, sorted(listed)) if listed else {}
    stale = sorted(d for d, n in listed.items() if actual.get(d) != n)
    total = _memo(store)["total"]
    with store.atomic() as con:
        for day in stale:
            con.execute(f"DELETE FROM {days_table} WHERE day = DATE '{day}'")
        con.execute(f"INSERT OR REPLACE INTO {STATE} VALUES (?, ?, ?)", [days_table, total, datetime.now()])
    return stale


def fresh_days(store: Store, first: date, last: date) -> set[date]:
    """The days from ``first`` to ``last`` whose summaries match the reads table."""
    return fresh_in(store, DAYS_TABLE, first, last)


# --- building --------------------------------------------------------------------------------------------

def _pack_sql(source: str) -> str:
    """Rows of ``anpr_vehicle_days`` (without ``day``) from ``source`` (plate, cam, hour, n)."""
    slots = []
    for column in range(COLUMNS):
        parts = [f"CASE WHEN i % {SLOTS} = {column * PER_COLUMN + s} THEN cam::UBIGINT << {CAMERA_BITS * s} END"
                 for s in range(PER_COLUMN)]
        slots.append(f"bit_or(coalesce({', '.join(parts)})) AS {PACKED[column]}")
    return f"""
        WITH pc AS (SELECT plate, cam, sum(n)::INTEGER AS n, bit_or((1 << hour)::INTEGER) AS hours
                    FROM {source} GROUP BY plate, cam),
             num AS (SELECT *, (row_number() OVER (PARTITION BY plate ORDER BY cam) - 1)::INTEGER AS i FROM pc),
             rows AS (SELECT plate, sum(n)::INTEGER AS reads, bit_or(hours) AS hours, {', '.join(slots)}
                      FROM num GROUP BY plate, i // {SLOTS})
        SELECT {plate_key_sql('plate')} AS key, reads, hours, {', '.join(PACKED)} FROM rows"""


def _build_day(con: duckdb.DuckDBPyConnection, day: date, reads: int, built_at: datetime) -> None:
    number_cameras(con, f"SELECT camera_id FROM reads WHERE day = DATE '{day}'")
    con.execute(f"DELETE FROM {VEHICLE_DAYS} WHERE day = DATE '{day}'")
    con.execute(f"DELETE FROM {CAMERA_HOURS} WHERE day = DATE '{day}'")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _pa_day AS
        SELECT r.plate, c.cam, {local_hour_sql(day)} AS hour, count(*)::INTEGER AS n
        FROM reads r JOIN {CAMERAS} c USING (camera_id) WHERE r.day = DATE '{day}' GROUP BY ALL""")
    con.execute(f"""INSERT INTO {CAMERA_HOURS} SELECT DATE '{day}', cam, hour, sum(n)::INTEGER
        FROM _pa_day GROUP BY cam, hour ORDER BY cam, hour""")
    con.execute(f"INSERT INTO {VEHICLE_DAYS} SELECT DATE '{day}', * FROM ({_pack_sql('_pa_day')}) ORDER BY key")
    con.execute("DROP TABLE _pa_day")
    con.execute(f"INSERT OR REPLACE INTO {DAYS_TABLE} VALUES (DATE '{day}', ?, ?)", [reads, built_at])


@dataclass
class SummaryReport:
    built: list[date] = field(default_factory=list)
    already_fresh: list[date] = field(default_factory=list)
    reads: int = 0
    seconds: float = 0.0
    seconds_per_day: dict[date, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {"built": [d.isoformat() for d in self.built], "already_fresh": len(self.already_fresh),
                "reads": self.reads, "seconds": round(self.seconds, 2)}


def _days_with_reads(store: Store, first: date | None, last: date | None, days: Iterable[date] | None) -> dict[date, int]:
    if days is not None:
        return reads_per_day(store, sorted(set(days)))
    if first is None or last is None:
        lo, hi = store.con.execute("SELECT min(day), max(day) FROM reads").fetchall()[0]
        if lo is None:
            return {}
        first, last = first or lo, last or hi
    return reads_per_day(store, _days(first, last))  # type: ignore[arg-type]


@bulk_work
def build_summaries(store: Store, first: date | None = None, last: date | None = None, *,
                    days: Iterable[date] | None = None, rebuild: bool = False,
                    progress: Callable[[date, int, int], None] | None = None) -> SummaryReport:
    """Build (or bring up to date) the summaries of the days from ``first`` to ``last`` (default: every
    day with reads), or of just ``days``; one day per transaction, so a crash leaves each day either old or
    new, never half (an old day is stale, and read from the raw reads until rebuilt)."""
    started = time.perf_counter()
    forget(store)
    store.con.execute("SET enable_progress_bar = false")  # a library call draws no progress bars
    with store.atomic() as con:
        _ensure_tables(con)
    report = SummaryReport()
    actual = _days_with_reads(store, first, last, days)
    built = {d: int(n) for d, n in store.con.execute(f"SELECT day, reads FROM {DAYS_TABLE}").fetchall()}
    todo = [d for d in sorted(actual) if rebuild or built.get(d) != actual[d]]
    report.already_fresh = [d for d in sorted(actual) if d not in todo]
    for i, day in enumerate(todo):
        t0 = time.perf_counter()
        built_at = datetime.now()
        with store.atomic() as con:
            _build_day(con, day, actual[day], built_at)
        write_day_files(store, day, actual[day], built_at)
        report.seconds_per_day[day] = time.perf_counter() - t0
        report.built.append(day)
        report.reads += actual[day]
        if progress is not None:
            progress(day, i + 1, len(todo))
    check_all(store, DAYS_TABLE)
    stamps = {d: (int(n), b) for d, n, b in store.con.execute(f"SELECT day, reads, built_at FROM {DAYS_TABLE}").fetchall()}
    for day in vehicle_day_files.without_files(store, {d: s for d, s in stamps.items() if d in actual}):
        write_day_files(store, day, *stamps[day])
    vehicle_day_files.tidy(store, [(d, n, b) for d, (n, b) in stamps.items()])
    forget(store)
    report.seconds = time.perf_counter() - started
    return report


def write_day_files(store: Store, day: date, reads: int, built_at: datetime) -> None:
    """The day's copies beside the store: its vehicle-days, then its reads in vehicle order (writing the
    first removes every older file of the day)."""
    vehicle_day_files.write_day(store, day, reads, built_at)
    vehicle_read_files.write_day(store, day, reads, built_at)


def drop_summaries(store: Store, before: date | None = None) -> int:
    """Remove the summaries of the days before ``before`` (all days when None); returns the days removed."""
    forget(store)
    with store.atomic() as con:
        days = prune_summaries(con, before)
    vehicle_day_files.remove_files(store, before)
    return days


def prune_summaries(con: duckdb.DuckDBPyConnection, before: date | None) -> int:
    """The same inside a transaction the caller holds (retention purges reads and this in one go)."""
    if not _table_exists(con, DAYS_TABLE):
        return 0
    cond = f"day < DATE '{before}'" if before is not None else "TRUE"
    days = con.execute(f"SELECT count(*) FROM {DAYS_TABLE} WHERE {cond}").fetchall()[0][0]
    for table in (VEHICLE_DAYS, CAMERA_HOURS, DAYS_TABLE):
        con.execute(f"DELETE FROM {table} WHERE {cond}")
    return int(days)


# --- reading ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PackedDays:
    """Vehicle-days from the summaries as they came: per row a vehicle (a code into ``plates``), a day, its
    reads, its hours bitmask and five words of three 20-bit camera numbers. A busy area's four weeks are a few
    hundred thousand vehicle-days and millions of camera rows; most questions need only a few of them, so
    frames are built only for what is asked."""

    which: np.ndarray  # int64 codes into ``plates``
    day: np.ndarray  # datetime64[D]
    reads: np.ndarray  # int64
    hours: np.ndarray  # int64
    words: tuple[np.ndarray, ...]  # COLUMNS arrays of uint64 (views of the rows as found: no copy)
    plates: pd.CategoricalDtype
    numbers: tuple[tuple[int, str], ...]  # (camera number, camera_id)

    def subset(self, rows: np.ndarray) -> PackedDays:
        return PackedDays(self.which[rows], self.day[rows], self.reads[rows], self.hours[rows],
                          tuple(word[rows] for word in self.words), self.plates, self.numbers)

    def days_frame(self) -> pd.DataFrame:
        """One row per vehicle-day (plate, day, reads, hours), the plate as a category."""
        # a vehicle seen by more than SLOTS cameras has a second row that day: one row per vehicle-day (the
        # few later rows are folded into the first; hashing finds them faster than sorting everything)
        vehicle_day = pd.Index(self.which * 1_000_000 + self.day.astype(np.int64))
        later = vehicle_day.duplicated(keep="first")
        first_row = np.flatnonzero(~later)
        reads_day, hours_day = self.reads[first_row].copy(), self.hours[first_row].copy()
        if later.any():
            into = pd.Index(vehicle_day[first_row]).get_indexer(vehicle_day[later])
            np.add.at(reads_day, into, self.reads[later])
            np.bitwise_or.at(hours_day, into, self.hours[later])
        return pd.DataFrame({"plate": pd.Categorical.from_codes(self.which[first_row], dtype=self.plates),
                             "day": self.day[first_row], "reads": reads_day, "hours": hours_day})

    def slots(self) -> np.ndarray:
        """The camera numbers, a column per slot (0: empty)."""
        shifts = np.arange(PER_COLUMN, dtype=np.uint64) * np.uint64(CAMERA_BITS)
        words = np.stack(self.words, axis=1) if len(self.which) else np.zeros((0, COLUMNS), dtype=np.uint64)
        return ((words[:, :, None] >> shifts) & np.uint64(MAX_CAMERAS)).reshape(len(self.which), -1)

    def frame(self) -> pd.DataFrame:
        """One row per (vehicle, day, camera), plates and cameras as categories."""
        cams = self.slots()
        row, slot = np.nonzero(cams)
        code_of = np.full(max((n for n, _ in self.numbers), default=0) + 1, -1, dtype=np.int64)
        for i, (number, _) in enumerate(self.numbers):
            code_of[number] = i
        camera_type = pd.CategoricalDtype([camera_id for _, camera_id in self.numbers])
        return pd.DataFrame({"plate": pd.Categorical.from_codes(self.which[row], dtype=self.plates),
                             "day": self.day[row],
                             "camera_id": pd.Categorical.from_codes(code_of[cams[row, slot].astype(np.int64)],
                                                                    dtype=camera_type)})

    def days_at(self, camera_ids: Iterable[str]) -> pd.Series:
        """Per plate: on how many days one of these cameras read it (plates never read there left out)."""
        number_of = {camera_id: number for number, camera_id in self.numbers}
        wanted = np.zeros(MAX_CAMERAS + 1, dtype=bool)
        wanted[[number_of[c] for c in set(camera_ids) if c in number_of]] = True
        hit = np.zeros(len(self.which), dtype=bool)

        def look(part: slice) -> None:
            for word in self.words:
                # most vehicles pass a few cameras a day: their later words are empty and need no look
                rows = np.flatnonzero(word[part]) + (part.start or 0)
                used = word[rows]
                found = np.zeros(len(rows), dtype=bool)
                for slot in range(PER_COLUMN):
                    found |= wanted[(used >> np.uint64(slot * CAMERA_BITS)) & np.uint64(MAX_CAMERAS)]
                hit[rows] |= found

        # in two halves on two threads (NumPy lets go of the GIL): a busy area's 500,000 vehicle-days
        half = len(self.which) // 2
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(look, (slice(0, half), slice(half, None))))
        # a vehicle seen by more than SLOTS cameras a day has a second row: count each vehicle-day once
        which, day = self.which[hit], self.day[hit].astype(np.int64)
        if len(which) == 0:
            return pd.Series([], dtype=np.int64, index=pd.Index([], dtype=object, name="plate"))
        marked = np.zeros((len(self.plates.categories), int(day.max() - day.min()) + 1), dtype=bool)
        marked[which, day - day.min()] = True
        counts = marked.sum(axis=1)
        seen = np.flatnonzero(counts)
        return pd.Series(counts[seen], index=pd.Index(self.plates.categories[seen].astype(object), name="plate"))


class VehicleDays:
    """Vehicles' days in a period: ``days`` (plate, day, reads, hours) and ``cameras`` (plate, day, camera_id).

    The days read from the summaries stay packed until ``days`` or ``cameras`` is first asked for (usually of
    a few vehicles, after :meth:`of`); :meth:`days_at` counts from the packed words directly."""

    def __init__(self, days: pd.DataFrame, cameras: pd.DataFrame, packed: PackedDays | None = None) -> None:
        self._unpacked_days = days  # the days read from the raw reads
        self._unpacked = cameras
        self._packed = packed
        self._days: pd.DataFrame | None = days if packed is None else None
        self._cameras: pd.DataFrame | None = cameras if packed is None else None

    @property
    def days(self) -> pd.DataFrame:
        if self._days is None:
            assert self._packed is not None
            self._days = _concat([self._packed.days_frame(), self._unpacked_days], _empty_days())
        return self._days

    @property
    def cameras(self) -> pd.DataFrame:
        if self._cameras is None:
            assert self._packed is not None
            self._cameras = _concat([self._packed.frame(), self._unpacked], _empty_cameras())
        return self._cameras

    def of(self, plates: Iterable[str]) -> VehicleDays:
        wanted = list(set(plates))
        days = self._unpacked_days[self._unpacked_days["plate"].isin(wanted)]
        unpacked = self._unpacked[self._unpacked["plate"].isin(wanted)]
        if self._packed is None:
            return VehicleDays(days, unpacked)
        codes = self._packed.plates.categories.get_indexer(wanted)
        return VehicleDays(days, unpacked, self._packed.subset(np.isin(self._packed.which, codes[codes >= 0])))

    def between(self, first: date, last: date) -> VehicleDays:
        lo, hi = np.datetime64(first), np.datetime64(last)
        days = self._unpacked_days[self._unpacked_days["day"].between(lo, hi)]
        unpacked = self._unpacked[self._unpacked["day"].between(lo, hi)]
        if self._packed is None:
            return VehicleDays(days, unpacked)
        inside = (self._packed.day >= lo) & (self._packed.day <= hi)
        return VehicleDays(days, unpacked, self._packed.subset(inside))

    def days_at(self, camera_ids: Iterable[str]) -> pd.DataFrame:
        """Per plate: on how many days one of these cameras read it (``plate``, ``history_days``)."""
        wanted = set(camera_ids)
        parts = []
        if self._packed is not None:
            parts.append(self._packed.days_at(wanted))
        raw = self._unpacked[self._unpacked["camera_id"].astype(object).isin(wanted)]
        if not raw.empty:  # days from the raw reads are other days than the summaries': the counts add up
            parts.append(raw.assign(plate=raw["plate"].astype(object)).groupby("plate")["day"].nunique())
        if not parts:
            return pd.DataFrame({"plate": pd.Series(dtype=object), "history_days": pd.Series(dtype=np.int64)})
        # one part (every day summarised) has each plate once: sorted as it is, without a round trip through
        # pandas' Arrow strings that concatenating and grouping 20,000 plates costs (5 ms)
        counts = parts[0].sort_index() if len(parts) == 1 else pd.concat(parts).groupby(level=0).sum().sort_index()
        return pd.DataFrame({"plate": pd.Series(counts.index.to_numpy(dtype=object), dtype=object),
                             "history_days": counts.to_numpy(np.int64)})


def _stale_runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days with the same UTC offset, as (first, last) runs: one raw query each."""
    runs: list[tuple[date, date]] = []
    for d in sorted(days):
        if runs and runs[-1][1] == d - timedelta(days=1) and day_offset_seconds(runs[-1][0]) == day_offset_seconds(d):
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _exclude(stale: list[date]) -> str:
    return (" AND day NOT IN (" + ", ".join(f"DATE '{d}'" for d in stale) + ")") if stale else ""


def _vehicle_days_from_summaries(store: Store, keys: pd.DataFrame, first: date, last: date,
                                 stale: list[date]) -> PackedDays:
    # days with their memory-mapped copy are looked up there (binary search), the rest joined in DuckDB
    skip = set(stale)
    stamps = {d: s for d, s in stamps_of(store, DAYS_TABLE).items() if first <= d <= last and d not in skip}
    # plates as a category whose codes are positions in key order, as the search of the files returns them
    keys = keys.sort_values("key", kind="stable", ignore_index=True)
    found, covered = vehicle_day_files.lookup(store, keys["key"].to_numpy(), stamps)
    which = np.asarray(found.pop("at"), dtype=np.int64)
    rest = [d for d in _days(first, last) if d not in covered and d in stamps]
    if rest:
        store.con.register("_pa_keys", keys[["key"]])
        try:
            joined = store.con.execute(f"""
                SELECT v.key, v.day, v.reads, v.hours, {', '.join('v.' + c for c in PACKED)}
                FROM {VEHICLE_DAYS} v JOIN _pa_keys k ON v.key = k.key
                WHERE v.day IN ({', '.join(f"DATE '{d}'" for d in rest)})""").fetchnumpy()
        finally:
            store.con.unregister("_pa_keys")
        joined["day"] = pd.to_datetime(np.asarray(joined["day"])).to_numpy().astype("datetime64[D]")
        found = {c: np.concatenate([np.asarray(found[c]), np.ma.filled(np.ma.asarray(joined[c]), 0).astype(found[c].dtype)])
                 for c in found}
        which = np.concatenate([which, pd.Index(keys["key"].to_numpy()).get_indexer(
            np.asarray(joined["key"], dtype=np.uint64)).astype(np.int64)])
    numbers = known(store, "camera_numbers",
                    lambda: store.con.execute(f"SELECT cam, camera_id FROM {CAMERAS}").fetchall())
    # plates and cameras as categories (codes into the plates asked for, the numbered cameras): a few
    # hundred thousand rows of them cost nothing, where as strings pandas spends longer than the query
    packed = tuple(np.asarray(found[c], dtype=np.uint64) for c in PACKED)
    return PackedDays(which, np.asarray(found["day"]).astype("datetime64[D]"),
                      np.asarray(found["reads"], dtype=np.int64), np.asarray(found["hours"], dtype=np.int64), packed,
                      pd.CategoricalDtype(pd.Index(keys["plate"].to_numpy(dtype=object), dtype=object)),
                      tuple((int(n), c) for n, c in numbers))


def _vehicle_days_from_reads(store: Store, plates: pd.DataFrame, stale: list[date]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not stale:
        return _empty_days(), _empty_cameras()
    branches = [f"""SELECT plate, day, camera_id, count(*) AS reads, bit_or((1 << {local_hour_sql(a)})::INTEGER) AS hours
                    FROM reads WHERE day BETWEEN DATE '{a}' AND DATE '{b}'{_exclude([d for d in _days(a, b) if d not in stale])}
                    AND plate IN (SELECT plate FROM _pa_plates) GROUP BY ALL"""
                for a, b in _stale_runs(stale)]
    store.con.register("_pa_plates", plates[["plate"]])
    try:
        rows = store.con.execute(" UNION ALL ".join(branches)).df()
    finally:
        store.con.unregister("_pa_plates")
    if rows.empty:
        return _empty_days(), _empty_cameras()
    rows["day"] = pd.to_datetime(rows["day"]).to_numpy().astype("datetime64[D]")
    days = (rows.groupby(["plate", "day"], sort=False)
            .agg(reads=("reads", "sum"), hours=("hours", lambda h: int(np.bitwise_or.reduce(h.to_numpy()))))
            .reset_index())
    return days, rows[["plate", "day", "camera_id"]]


def _empty_days() -> pd.DataFrame:
    return pd.DataFrame({"plate": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[s]"),
                         "reads": pd.Series(dtype=np.int64), "hours": pd.Series(dtype=np.int64)})


def _empty_cameras() -> pd.DataFrame:
    return pd.DataFrame({"plate": pd.Series(dtype=object), "day": pd.Series(dtype="datetime64[s]"),
                         "camera_id": pd.Series(dtype=object)})


def vehicle_days(store: Store, plates: Iterable[str], first: date, last: date, *,
                 use_summaries: bool = True) -> VehicleDays:
    """The days from ``first`` to ``last`` on which these vehicles were read: per vehicle-day its reads and
    hours, and the cameras that read it. From the summaries for fresh days, from the raw reads for the rest."""
    wanted = list(dict.fromkeys(plates))  # each once, in no particular order (sorting 20,000 strings: 6 ms)
    memo = _memo(store)
    asked = (frozenset(wanted), first, last, use_summaries)
    if memo.get("last_cut", (None, None))[0] == asked:  # usual places and own hours ask for the same vehicles
        return memo["last_cut"][1]
    for (lo, hi, fresh_only), (have, result) in memo["vehicles"].items():
        if lo <= first and last <= hi and fresh_only == use_summaries and asked[0] <= have:
            cut = result.of(wanted).between(first, last)  # the few vehicles first: fewer rows to cut
            memo["last_cut"] = (asked, cut)
            return cut
    if not wanted:
        return VehicleDays(_empty_days(), _empty_cameras())
    fresh = fresh_days(store, first, last) if use_summaries else set()
    stale = [d for d in _days(first, last) if d not in fresh]
    parts_days, parts_cams = [], []
    packed = None
    if fresh:
        keys = pd.DataFrame({"key": plate_keys(wanted), "plate": pd.Series(wanted, dtype=object)})
        packed = _vehicle_days_from_summaries(store, keys, first, last, stale)
    if stale:
        # days without any reads need no query: they are stale only because nothing was built for them
        counted = reads_per_day(store, stale)
        with_reads = [d for d in stale if d in counted]
        d, c = _vehicle_days_from_reads(store, pd.DataFrame({"plate": wanted}), with_reads)
        parts_days.append(d)
        parts_cams.append(c)
    result = VehicleDays(_concat(parts_days, _empty_days()), _concat(parts_cams, _empty_cameras()), packed)
    memo["vehicles"] = {(first, last, use_summaries): (set(wanted), result)}
    memo.pop("last_cut", None)
    return result


def _concat(parts: list[pd.DataFrame], empty: pd.DataFrame) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty
    if len(parts) > 1:  # summaries and raw reads: categories of their own, so as plain values
        parts = [p.astype({c: object for c in ("plate", "camera_id") if c in p}) for p in parts]
    out = pd.concat(parts, ignore_index=True)
    out["day"] = out["day"].astype("datetime64[s]")
    return out


def hourly_reads(store: Store, camera_ids: list[str], first: date, last: date, *,
                 use_summaries: bool = True) -> np.ndarray:
    """Reads by these cameras in each local hour of the day (24 values), over the days from first to last."""
    counts = np.zeros(24)
    if not camera_ids:
        return counts
    fresh = fresh_days(store, first, last) if use_summaries else set()
    stale = [d for d in _days(first, last) if d not in fresh]
    ids = ", ".join("'" + c.replace("'", "''") + "'" for c in camera_ids)
    branches = []
    if fresh:
        branches.append(f"""SELECT h.hour, sum(h.reads) AS n FROM {CAMERA_HOURS} h
            WHERE h.day BETWEEN DATE '{first}' AND DATE '{last}'{_exclude(stale)}
            AND h.cam IN (SELECT cam FROM {CAMERAS} WHERE camera_id IN ({ids})) GROUP BY h.hour""")
    counted = reads_per_day(store, stale)
    with_reads = [d for d in stale if d in counted]
    for a, b in _stale_runs(with_reads):
        others = _exclude([d for d in _days(a, b) if d not in with_reads])
        branches.append(f"""SELECT {local_hour_sql(a)} AS hour, count(*) AS n FROM reads
            WHERE day BETWEEN DATE '{a}' AND DATE '{b}'{others} AND camera_id IN ({ids}) GROUP BY 1""")
    if branches:
        for hour, n in store.con.execute(" UNION ALL ".join(branches)).fetchall():
            counts[int(hour)] += float(n)
    return counts


def summary_status(store: Store) -> dict[str, Any]:
    """How many days are summarised, and the first and last (for ``pingan summaries --json``)."""
    if not _table_exists(store.con, DAYS_TABLE):
        return {"days": 0, "first": None, "last": None}
    n, lo, hi = store.con.execute(f"SELECT count(*), min(day), max(day) FROM {DAYS_TABLE}").fetchall()[0]
    return {"days": int(n), "first": lo.isoformat() if lo else None, "last": hi.isoformat() if hi else None}


# --- after an import -------------------------------------------------------------------------------------

@dataclass
class DerivedReport:
    """What :func:`build_derived` did: the summaries and the time index of the days asked for."""

    days: list[date]
    summaries: SummaryReport
    index: Any  # pingan.anpr.time_index.IndexReport
    seconds: float = 0.0

    @property
    def reads(self) -> int:
        return max(self.summaries.reads, self.index.reads)

    def to_json(self) -> dict[str, object]:
        return {"days": [d.isoformat() for d in self.days], "summaries": self.summaries.to_json(),
                "time_index": self.index.to_json(), "seconds": round(self.seconds, 2)}

    def summary(self) -> str:
        """One sentence for a person."""
        built = sorted(set(self.summaries.built) | set(self.index.built))
        return (f"Summaries and time index built for {len(built)} day(s) in {self.seconds:.1f} s"
                + (f"; {len(self.days) - len(built)} day(s) were already up to date." if len(built) < len(self.days)
                   else "."))


def days_of_batch(store: Store, batch_id: int) -> list[date]:
    """The local days an import batch stored reads on."""
    return [d for (d,) in store.con.execute(
        "SELECT DISTINCT day FROM reads WHERE batch_id = ? ORDER BY day", [batch_id]).fetchall()]


def build_derived(store: Store, first: date | None = None, last: date | None = None, *,
                  days: Iterable[date] | None = None, rebuild: bool = False,
                  progress: Callable[[str, date, int, int], None] | None = None) -> DerivedReport:
    """Build the summaries and the time index (what a suspects query reads fast) for the days from
    ``first`` to ``last`` (default: every day with reads), or for just ``days`` (those an import touched).

    Each day is its own transaction, after and apart from the import that brought its reads: an
    interrupted build leaves days stale (answered from the raw reads, only slower), never wrong.
    """
    from pingan.anpr.time_index import build_time_index

    started = time.perf_counter()
    wanted = sorted(set(days)) if days is not None else None
    if wanted is None:
        wanted = sorted(_days_with_reads(store, first, last, None))
    summaries = build_summaries(store, days=wanted, rebuild=rebuild,
                                progress=(lambda d, i, n: progress("summaries", d, i, n)) if progress else None)
    index = build_time_index(store, days=wanted, rebuild=rebuild,
                             progress=(lambda d, i, n: progress("time index", d, i, n)) if progress else None)
    return DerivedReport(wanted, summaries, index, time.perf_counter() - started)


def drop_derived(store: Store, before: date | None = None) -> dict[str, int]:
    """Remove the summaries and the time index of the days before ``before`` (all when None)."""
    from pingan.anpr.time_index import drop_time_index

    return {"summary_days": drop_summaries(store, before), "index_days": drop_time_index(store, before)}


def summarise_import(store: Store, actor: Any, batch_id: int, *, days: list[date] | None = None,
                     progress: Callable[[str, date, int, int], None] | None = None) -> DerivedReport:
    """:func:`build_derived` for the days an import batch touched, audited as an alteration (it copies
    personal data) under ``actor``; run after the import committed."""
    from pingan.governance.audit import audited

    days = days if days is not None else days_of_batch(store, batch_id)
    with audited(store, actor, action="alteration", operation="anpr.summaries",
                 params={"batch_id": batch_id, "days": [d.isoformat() for d in days]}, needs_purpose=False) as audit:
        derived = build_derived(store, days=days, progress=progress)
        audit.touched = derived.reads
    return derived
