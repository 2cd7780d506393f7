"""Each day's reads in vehicle order, memory-mapped: where a thousand vehicles went, without a scan.

A suspects query asks where its 1,000 best first-pass vehicles went around the case window, at any camera
(:func:`pingan.anpr.features.movements`). The time index is ordered by time and camera, so DuckDB answers
that with a hash join probing every read of the 19 hours around the window (~8 M at 10 M reads a day:
0.07 s of a daytime case on two cores). Here each day's reads are also kept sorted by the vehicle's key
(then time and camera), beside the vehicle-day files (:mod:`pingan.anpr.vehicle_day_files`), in four
files: ``<stem>.read-keys.npy`` (each vehicle's key once, sorted), ``<stem>.read-starts.npy`` (where each
vehicle's reads start, and their end), ``<stem>.read-rows.npy`` (time in microseconds and camera number,
12 bytes a read) and ``<stem>.read-buckets.npy`` (where each value of the keys' top 16 bits starts). A
vehicle's reads of a day are one run of rows, found by a binary search within its bucket: 1,000
vehicles' day in about 1 ms. A day of 10 M reads by 1.3 M vehicles is about 140 MB.

The files follow the vehicle-day files' rules: named after the day, its read count and the summary's
``built_at`` stamp, used only while the summary row of that day matches (and it only while it matches the
reads table), written under temporary names and renamed, removed with the summaries (retention, purge,
rebuild). They are mapped for one question and let go after it, so they never add to a process's
resident memory between questions (a question touches a few thousand pages).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pingan.anpr import vehicle_day_files as day_files
from pingan.store.db import Store

#: A read as the files hold it: its time in microseconds since 1970, as the reads table holds it (UTC, without
#: a zone), and the camera's number (:data:`pingan.anpr.summaries.CAMERAS`).
READ = np.dtype([("us", "<i8"), ("cam", "<u4")])


def write_day(store: Store, day: date, reads: int, built_at: datetime) -> None:
    """Copy one day's reads (just summarised, as ``built_at``) to its files, sorted by key, time, camera."""
    from pingan.anpr.summaries import CAMERAS, plate_key_sql

    target = day_files.folder_for(store)
    if target is None:
        return
    target.mkdir(exist_ok=True)
    found = store.con.execute(f"""SELECT {plate_key_sql('r.plate')} AS key, epoch_us(r.ts) AS us, c.cam
        FROM reads r JOIN {CAMERAS} c USING (camera_id) WHERE r.day = DATE '{day}'
        ORDER BY key, us, c.cam""").fetchnumpy()
    keys = np.asarray(found["key"], dtype=np.uint64)
    rows = np.zeros(len(keys), dtype=READ)
    rows["us"] = np.asarray(found["us"], dtype=np.int64)
    rows["cam"] = np.asarray(found["cam"], dtype=np.uint32)
    del found
    firsts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]])) if len(keys) else np.zeros(0, np.int64)
    starts = np.append(firsts, len(keys)).astype(np.int64)  # each vehicle's first read, then the end
    vehicles = keys[firsts]
    name = day_files.stem(day, reads, built_at)
    for kind, array in (("read-rows", rows), ("read-starts", starts), ("read-keys", vehicles),
                        ("read-buckets", day_files.buckets_of(vehicles))):
        part = target / f"{name}.{kind}.tmp.npy"
        np.save(part, array)
        os.replace(part, target / f"{name}.{kind}.npy")


class Mapped(NamedTuple):
    """One day's files, mapped: the vehicles' keys, where their reads start, the reads, the key buckets."""

    keys: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    buckets: np.ndarray | None


def _open(stem: Path) -> Mapped | None:
    """The day's files, mapped (buckets None: a table that does not fit the keys); None without its files,
    or with files that do not fit each other."""
    try:
        keys = np.asarray(np.load(f"{stem}.read-keys.npy", mmap_mode="r"))
        starts = np.asarray(np.load(f"{stem}.read-starts.npy", mmap_mode="r"))
        rows = np.asarray(np.load(f"{stem}.read-rows.npy", mmap_mode="r"))
    except (FileNotFoundError, ValueError, OSError):
        return None
    if (rows.dtype != READ or keys.dtype != np.uint64 or starts.dtype != np.int64 or starts.shape != (len(keys) + 1,)
            or (len(starts) and (int(starts[0]) != 0 or int(starts[-1]) != len(rows)))):
        return None
    try:
        buckets = day_files.fitting_buckets(np.asarray(np.load(f"{stem}.read-buckets.npy", mmap_mode="r")), len(keys))
    except (FileNotFoundError, ValueError, OSError):
        buckets = None
    return Mapped(keys, starts, rows, buckets)


def reads_of(store: Store, keys: np.ndarray, days: dict[date, tuple[int, datetime]],
             start: datetime, end: datetime) -> tuple[dict[str, np.ndarray], set[date]]:
    """The reads of these vehicle keys between ``start`` and ``end`` (inclusive) on the days that have valid
    files: columns ``key`` (uint64), ``ts`` (datetime64[us]) and ``cam``; and the days they cover (the
    caller reads the others elsewhere). ``days`` maps each wanted day to its summary's (reads, built_at)."""
    where = day_files.folder(store)
    wanted = np.unique(np.asarray(keys, dtype=np.uint64))
    lo_us = np.datetime64(start, "us").astype(np.int64)
    hi_us = np.datetime64(end, "us").astype(np.int64)
    covered: set[date] = set()
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    if where is not None and where.exists() and len(wanted):
        for day, (reads, built_at) in sorted(days.items()):
            mapped = _open(where / day_files.stem(day, reads, built_at))
            if mapped is None:
                continue
            try:
                which, rows = _runs(mapped, wanted)
            except (ValueError, IndexError):  # starts that do not fit the reads: the day is read elsewhere
                continue
            inside = (rows["us"] >= lo_us) & (rows["us"] <= hi_us)
            parts.append((wanted[which[inside]], rows[inside]))
            covered.add(day)
            del mapped  # let go of the maps: the gathered rows are copies
    if parts:
        rows = np.concatenate([p[1] for p in parts])
        found = {"key": np.concatenate([p[0] for p in parts]), "ts": rows["us"].astype("datetime64[us]"),
                 "cam": rows["cam"].astype(np.int64)}
    else:
        found = {"key": np.zeros(0, dtype=np.uint64), "ts": np.zeros(0, dtype="datetime64[us]"),
                 "cam": np.zeros(0, dtype=np.int64)}
    return found, covered


def _runs(mapped: Mapped, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each wanted key's run of reads in one day (sorted, unique ``wanted``): for every read found, which
    wanted key it is (an index into ``wanted``), and the reads (copied out of the map)."""
    keys, starts, rows, buckets = mapped
    at = day_files.search(keys, wanted, buckets)
    found = at < len(keys)
    found[found] = keys[at[found]] == wanted[found]
    vehicle = at[found]
    first, counts = starts[vehicle], starts[vehicle + 1] - starts[vehicle]
    if len(counts) and counts.min() < 0:
        raise ValueError("the read starts of a day file fall")  # a damaged file
    which = np.repeat(np.flatnonzero(found), counts)
    at_row = np.repeat(first - (np.cumsum(counts) - counts), counts) + np.arange(len(which))
    # gathered as plain bytes, then seen as reads again: NumPy gathers records one field at a time
    raw = rows.view(np.uint8).reshape(len(rows), READ.itemsize)
    return which, np.take(raw, at_row, axis=0).view(READ).reshape(-1)
