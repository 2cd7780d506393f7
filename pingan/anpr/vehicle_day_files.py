"""Memory-mapped copies of ``anpr_vehicle_days``, three files a day, found by binary search on the key.

A suspects query looks up a few hundred to a few thousand vehicles in four weeks of vehicle-days (38 M
rows at 10 M reads a day). In DuckDB that is a hash join that scans every row of the four weeks: the keys
are hashes, so no zone map prunes anything (measured at 300 M reads: 0.15–0.35 s a query, half of it
fetching the wide packed-camera columns). Here each day's rows are kept sorted by key in two NumPy files
beside the store, ``<day>.keys.npy`` and ``<day>.rows.npy``, and read through ``mmap``: a lookup is a
binary search per day, touching only the pages it needs (measured: 0.02 s for 12,000 vehicles over 28
days when few have history; 0.1 s when 270,000 vehicle-days come back; warm file cache). The keys are
hashes, spread evenly, so ``<day>.buckets.npy`` records where each value of their top 16 bits starts: a
search starts within the twenty-odd keys of its bucket, not among a million (28 days of 21,000 vehicles:
0.070 -> 0.046 s on one core). A process keeps the maps of the days it used (:data:`MAPPED_DAYS`), so a
server pays the page faults once.

The files are an accelerator, never the truth. Each is named after its day, the day's read count and the
summary's ``built_at`` stamp; a file is used only when those match the ``anpr_summary_days`` row that
:mod:`pingan.anpr.summaries` holds for that day, which in turn is used only while it matches the reads
table. A file left behind by a crash, a rebuild or a purge matches no row and is ignored (and removed at
the next build); a missing file means the day is read from ``anpr_vehicle_days`` in DuckDB, with the
same answer. They hold personal data like the reads, so retention removes them with the summaries.

The folder is ``<store file>.vehicle-days``, recorded in ``anpr_summary_files`` so that a store reading
another's summaries through views (the benchmarks do) finds the files too.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

from pingan.store.db import Store

FILES_TABLE = "anpr_summary_files"
SUFFIX = ".vehicle-days"
EPOCH = datetime(1970, 1, 1)

#: The bits of a key that pick its bucket (2^16 buckets: a 256 KB table a day, ~20 keys a bucket at 1.3 M).
BUCKET_BITS = 16

#: The kinds of file a summarised day has: its vehicle-days here, its reads in vehicle order
#: (:mod:`pingan.anpr.vehicle_read_files`); a day missing one gets them all at the next ``pingan summaries``.
KINDS = ("keys", "rows", "buckets", "read-keys", "read-starts", "read-rows", "read-buckets")

#: What a row holds besides its key (the columns of ``anpr_vehicle_days``; see pingan.anpr.summaries).
ROW = np.dtype([("reads", "<i4"), ("hours", "<i4"), ("c0", "<u8"), ("c1", "<u8"), ("c2", "<u8"),
                ("c3", "<u8"), ("c4", "<u8")])


def _stamp(built_at: datetime) -> int:
    return (built_at - EPOCH) // timedelta(microseconds=1)


def stem(day: date, reads: int, built_at: datetime) -> str:
    """The name shared by one day's files, up to their kind: ``<day>.<reads>.<built_at stamp>``."""
    return f"{day.isoformat()}.{reads}.{_stamp(built_at)}"


def folder_for(store: Store) -> Path | None:
    """Where this store's files go (None for a store that is not a file)."""
    path = str(store.path)
    if not path or path == ":memory:" or path.startswith(":memory:"):
        return None
    return Path(path + SUFFIX)


def folder(store: Store) -> Path | None:
    """Where the files of the summaries this store reads are (None: there are none)."""
    from pingan.anpr.summaries import known

    def find() -> Path | None:
        try:
            rows = store.con.execute(f"SELECT directory FROM {FILES_TABLE}").fetchall()
        except duckdb.CatalogException:  # summarised before the files existed, or never
            return None
        return Path(rows[0][0]) if rows else None

    return known(store, "vehicle_day_folder", find)


def write_day(store: Store, day: date, reads: int, built_at: datetime) -> Path | None:
    """Copy one day of ``anpr_vehicle_days`` (just built, as ``built_at``) to its files; returns the folder.

    Written under temporary names and renamed, so a reader sees a whole file or none (and a day without
    its buckets file is searched without it).
    """
    target = folder_for(store)
    if target is None:
        return None
    target.mkdir(exist_ok=True)
    store.con.execute(f"CREATE TABLE IF NOT EXISTS {FILES_TABLE} (directory VARCHAR NOT NULL)")
    listed = store.con.execute(f"SELECT directory FROM {FILES_TABLE}").fetchall()
    if [r[0] for r in listed] != [str(target)]:
        store.con.execute(f"DELETE FROM {FILES_TABLE}")
        store.con.execute(f"INSERT INTO {FILES_TABLE} VALUES (?)", [str(target)])
    found = store.con.execute(f"""SELECT key, {', '.join(ROW.names)} FROM anpr_vehicle_days
        WHERE day = DATE '{day}' ORDER BY key""").fetchnumpy()
    keys = np.asarray(found["key"], dtype=np.uint64)
    rows = np.zeros(len(keys), dtype=ROW)
    for name in ROW.names:
        rows[name] = np.ma.filled(np.ma.asarray(found[name]), 0)
    remove_day(target, day)
    name = stem(day, reads, built_at)
    for kind, array in (("keys", keys), ("rows", rows), ("buckets", buckets_of(keys))):
        part = target / f"{name}.{kind}.tmp.npy"
        np.save(part, array)
        os.replace(part, target / f"{name}.{kind}.npy")
    return target


def buckets_of(sorted_keys: np.ndarray) -> np.ndarray:
    """Where each bucket (a value of the keys' top BUCKET_BITS bits) starts among the sorted keys, and
    their end: 2^BUCKET_BITS + 1 positions."""
    top = sorted_keys >> np.uint64(64 - BUCKET_BITS)
    return np.searchsorted(top, np.arange(2 ** BUCKET_BITS + 1, dtype=np.uint64), "left").astype(np.uint32)


def fitting_buckets(buckets: np.ndarray, count: int) -> np.ndarray | None:
    """The bucket table, or None when it does not fit ``count`` sorted keys (not starting at 0, not rising,
    not ending at their count): the keys are then searched without it."""
    if (buckets.shape != (2 ** BUCKET_BITS + 1,) or int(buckets[0]) != 0 or int(buckets[-1]) != count
            or bool((np.diff(buckets.astype(np.int64)) < 0).any())):
        return None
    return buckets


def without_files(store: Store, stamps: dict[date, tuple[int, datetime]]) -> list[date]:
    """The summarised days (with their (reads, built_at)) that have no files yet, or not all three: a store
    summarised before the files (or the buckets) existed gets them at its next ``pingan summaries``."""
    target = folder_for(store)
    if target is None:
        return []
    return [d for d, (n, b) in sorted(stamps.items())
            if not all((target / f"{stem(d, n, b)}.{kind}.npy").exists() for kind in KINDS)]


def remove_day(target: Path, day: date) -> None:
    for path in target.glob(f"{day.isoformat()}.*"):
        path.unlink(missing_ok=True)


def remove_files(store: Store, before: date | None = None, *, keep: Iterable[str] = ()) -> int:
    """Delete this store's files of the days before ``before`` (all when None), except the stems in ``keep``;
    returns the files deleted. Both the folder beside the store and the one it recorded are swept (they
    differ when the store file was moved: its copies must not outlive a purge there either)."""
    kept = set(keep)
    gone = 0
    for target in {f for f in (folder_for(store), folder(store)) if f is not None and f.exists()}:
        for path in target.glob("*.npy"):
            name = ".".join(path.name.split(".")[:3])  # the stem: <day>.<reads>.<stamp>
            try:
                day = date.fromisoformat(name.split(".")[0])
            except ValueError:  # not a day's file: someone else's, left alone
                continue
            if (before is None or day < before) and name not in kept:
                path.unlink(missing_ok=True)
                gone += 1
    return gone


def rename_store(old: Path, new: Path) -> None:
    """Rename a (closed) store file and its files' folder together, and what the store records of the
    folder (a store is built under a temporary name and renamed when whole)."""
    old_folder, new_folder = Path(str(old) + SUFFIX), Path(str(new) + SUFFIX)
    old.rename(new)
    if not old_folder.exists():
        return
    if new_folder.exists():
        shutil.rmtree(new_folder)
    old_folder.rename(new_folder)
    con = duckdb.connect(str(new))
    try:
        con.execute(f"UPDATE {FILES_TABLE} SET directory = ?", [str(new_folder)])
    finally:
        con.close()


def tidy(store: Store, built: Iterable[tuple[date, int, datetime]]) -> int:
    """Delete every file that no summary day (day, reads, built_at) in ``built`` matches."""
    return remove_files(store, keep=[stem(d, n, b) for d, n, b in built])


#: Day files kept mapped by this process (a server answers many questions): a fresh mapping costs a page
#: fault for every page a lookup touches, which on a 2-core machine was a third of the lookup. Files are
#: never rewritten under the same name (a rebuild has a new stamp), so a mapping never goes stale.
MAPPED_DAYS = 64
_maps: OrderedDict[Path, tuple[np.ndarray, np.ndarray, np.ndarray | None]] = OrderedDict()
_maps_lock = threading.Lock()  # the server answers on several threads


def _unmap_removed() -> None:
    """Let go of the maps of files deleted since (a purge, a rebuild), so their data and disk space go."""
    with _maps_lock:
        for base in [s for s in _maps if not os.path.exists(f"{s}.rows.npy")]:
            del _maps[base]


def _mapped(base: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None] | None:
    """The day's keys, rows and buckets (None: a file from before the buckets), memory-mapped (plain array
    views of the maps), or None without its files."""
    with _maps_lock:
        if base in _maps:
            _maps.move_to_end(base)
            return _maps[base]
    try:
        keys = np.asarray(np.load(f"{base}.keys.npy", mmap_mode="r"))
        rows = np.asarray(np.load(f"{base}.rows.npy", mmap_mode="r"))
    except (FileNotFoundError, ValueError, OSError):
        return None
    try:
        buckets = fitting_buckets(np.asarray(np.load(f"{base}.buckets.npy", mmap_mode="r")), len(keys))
    except (FileNotFoundError, ValueError, OSError):
        buckets = None
    mapped = (keys, rows, buckets)
    with _maps_lock:
        _maps[base] = mapped
        while len(_maps) > MAPPED_DAYS:
            _maps.popitem(last=False)
    return mapped


def lookup(store: Store, keys: np.ndarray, days: dict[date, tuple[int, datetime]]) -> tuple[dict[str, np.ndarray], set[date]]:
    """The rows of these keys on the days that have valid files.

    ``days`` maps each wanted day to its summary's (reads, built_at). Returns the rows, as columns named
    like ``anpr_vehicle_days`` (``key``, ``day`` as datetime64[D], ``reads``, ``hours``, ``c0`` … ``c4``) and
    ``at``, each row's position among the keys sorted; and the days they cover; the caller reads the other
    days from DuckDB.
    """
    where = folder(store)
    _unmap_removed()
    covered: set[date] = set()
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    if where is not None and where.exists() and days:
        wanted = np.sort(np.asarray(keys, dtype=np.uint64))
        maps = {day: _mapped(where / stem(day, reads, built_at)) for day, (reads, built_at) in sorted(days.items())}
        mapped = [(day, files) for day, files in maps.items() if files is not None]
        # the days are searched on two threads: NumPy lets go of the GIL while it searches and gathers
        # (measured: 30,000 vehicles over 28 days, 700,000 rows back: 0.23 s on one thread, 0.14 s on two)
        with ThreadPoolExecutor(LOOKUP_THREADS) as pool:
            found_days = list(pool.map(lambda item: _find(item[1], wanted), mapped))
        for (day, _), (which, rows) in zip(mapped, found_days, strict=True):
            parts.append((wanted[which], np.full(len(which), np.datetime64(day, "D")), rows, which))
            covered.add(day)
    if parts:
        # joined as plain 64-bit words, as they were gathered: NumPy joins records field by field (14 -> 2 ms)
        words = ROW.itemsize // 8
        rows = np.concatenate([p[2].view(np.uint64).reshape(len(p[2]), words) if p[2].dtype == ROW and p[2].flags.c_contiguous
                               else np.ascontiguousarray(p[2], dtype=ROW).view(np.uint64).reshape(len(p[2]), words)
                               for p in parts]).view(ROW).reshape(-1)
        found = {"key": np.concatenate([p[0] for p in parts]), "day": np.concatenate([p[1] for p in parts]),
                 "at": np.concatenate([p[3] for p in parts])}
    else:
        rows = np.zeros(0, dtype=ROW)
        found = {"key": np.zeros(0, dtype=np.uint64), "day": np.zeros(0, dtype="datetime64[D]"),
                 "at": np.zeros(0, dtype=np.int64)}
    for name in ROW.names:
        found[name] = rows[name]
    return found, covered


#: Threads that search the day files (the machines pingan runs on have two cores or more).
LOOKUP_THREADS = 2


def search(sorted_keys: np.ndarray, wanted: np.ndarray, buckets: np.ndarray | None = None) -> np.ndarray:
    """``np.searchsorted(sorted_keys, wanted, "left")``; with the keys' ``buckets`` (:func:`buckets_of`),
    a binary search inside each wanted key's bucket, all of them at once."""
    if buckets is None:
        return np.searchsorted(sorted_keys, wanted, "left")
    top = (wanted >> np.uint64(64 - BUCKET_BITS)).astype(np.intp)
    lo = buckets[top].astype(np.intp)
    hi = buckets[top + 1].astype(np.intp)
    last = len(sorted_keys) - 1
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) >> 1
        below = sorted_keys[np.minimum(mid, last)] < wanted
        lo = np.where(active & below, mid + 1, lo)
        hi = np.where(active & ~below, mid, hi)


def _find(mapped: tuple[np.ndarray, np.ndarray, np.ndarray | None],
          wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of the sorted ``wanted`` keys one day holds (indexes into ``wanted``) and their rows."""
    sorted_keys, day_rows, buckets = mapped
    at = search(sorted_keys, wanted, buckets)
    # the key's rows start at ``at``; a vehicle seen by many cameras has a second (third...) row, looked for
    # only where the row before was the vehicle's
    hits, positions = [], []
    which, pos = np.arange(len(wanted)), at
    while len(which):
        inside = pos < len(sorted_keys)
        which, pos = which[inside], pos[inside]
        match = sorted_keys[pos] == wanted[which]
        which, pos = which[match], pos[match]
        if len(which):
            hits.append(which)
            positions.append(pos)
        pos = pos + 1
    which = np.concatenate(hits) if hits else np.zeros(0, dtype=np.int64)
    rows_at = np.concatenate(positions) if positions else np.zeros(0, dtype=np.int64)
    # the rows gathered as plain 64-bit words, then seen as rows again: NumPy gathers records of a structured
    # type one field at a time, 8x slower (28 days of 21,000 vehicles: 0.11 s against 0.014 s)
    if day_rows.dtype != ROW or not day_rows.flags.c_contiguous:
        return which, day_rows[rows_at]
    words = day_rows.view(np.uint64).reshape(len(day_rows), ROW.itemsize // 8)
    return which, np.take(words, rows_at, axis=0).view(ROW).reshape(-1)


def day_stamps(con: duckdb.DuckDBPyConnection, days_table: str, first: date, last: date) -> dict[date, tuple[int, datetime]]:
    """Each summarised day's (reads, built_at) from ``first`` to ``last``."""
    return {d: (int(n), b) for d, n, b in con.execute(
        f"SELECT day, reads, built_at FROM {days_table} WHERE day BETWEEN DATE '{first}' AND DATE '{last}'").fetchall()}
