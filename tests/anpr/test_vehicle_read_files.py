"""Each day's reads in vehicle order beside the store: the same movements as DuckDB gives, never a stale or
damaged file, and gone with the summaries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pingan.anpr import summaries, vehicle_day_files, vehicle_read_files
from pingan.anpr.area import Window, vehicle_reads
from pingan.anpr.summaries import DAYS_TABLE, build_derived, build_summaries, drop_summaries
from pingan.store.db import Store
from pingan.timeutil import to_utc_naive
from tests.anpr import test_summaries
from tests.builders import add_read, at

county = test_summaries.county  # the fixture: 150 vehicles over 12 days at 12 cameras, a few unplaced

PLATES = [f"苏E{v:05d}" for v in range(0, 150, 2)] + ["苏X99999"]  # one never read


def window(start: str, end: str) -> Window:
    return Window(to_utc_naive(at(start)), to_utc_naive(at(end)))


def read_files(store: Store, kind: str = "read-rows") -> list[Path]:
    folder = vehicle_day_files.folder_for(store)
    assert folder is not None
    return sorted(folder.glob(f"*.{kind}.npy"))


def covered_days(store: Store, w: Window) -> set[date]:
    first, last = w.days()
    stamps = vehicle_day_files.day_stamps(store.con, DAYS_TABLE, first, last)  # type: ignore[arg-type]
    keys = summaries.plate_keys(PLATES)
    return vehicle_read_files.reads_of(store, keys, stamps, w.start, w.end)[1]


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert not a.empty
    pd.testing.assert_frame_equal(a.sort_values(list(a.columns)).reset_index(drop=True),
                                  b.sort_values(list(b.columns)).reset_index(drop=True), check_dtype=False)


def test_the_read_files_give_the_movements_the_time_index_and_the_reads_table_give(county: Store) -> None:
    build_derived(county)
    assert len(read_files(county)) == 12  # a day each, beside the vehicle-day files
    across_midnight = window("2026-03-05 18:00", "2026-03-06 09:00")
    for w in (across_midnight, window("2026-03-01 00:00", "2026-03-12 23:59:59")):
        from_files = vehicle_reads(county, PLATES, w)
        assert covered_days(county, w) == set(_days(w))
        from_reads = vehicle_reads(county, PLATES, w, use_index=False)
        same(from_files, from_reads)
        assert set(from_files["plate"]) < set(PLATES)
    # the window's ends count: a read exactly at the start and one exactly at the end
    first = vehicle_reads(county, PLATES, across_midnight, use_index=False).iloc[[0, -1]]
    edges = Window(first["ts"].min().to_pydatetime(), first["ts"].max().to_pydatetime())
    same(vehicle_reads(county, PLATES, edges), vehicle_reads(county, PLATES, edges, use_index=False))
    # without the files the time index answers, the same
    for path in read_files(county):
        path.unlink()
    assert covered_days(county, across_midnight) == set()
    same(vehicle_reads(county, PLATES, across_midnight), vehicle_reads(county, PLATES, across_midnight, use_index=False))


def _days(w: Window) -> list[date]:
    first, last = w.days()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]  # type: ignore[operator]


def test_a_day_read_into_since_is_not_answered_from_its_old_file(county: Store) -> None:
    build_derived(county)
    w = window("2026-03-08 00:00", "2026-03-08 23:59")
    add_read(county, "苏E00008", "K04", "2026-03-08 12:00")
    summaries.forget(county)
    got = vehicle_reads(county, PLATES, w)
    assert to_utc_naive(at("2026-03-08 12:00")) in set(got.loc[got["plate"] == "苏E00008", "ts"])  # the new read
    same(got, vehicle_reads(county, PLATES, w, use_index=False))
    build_summaries(county)  # rebuilt: a new file with the new read
    assert covered_days(county, w) == {date(2026, 3, 8)}
    same(vehicle_reads(county, PLATES, w), vehicle_reads(county, PLATES, w, use_index=False))


@pytest.mark.parametrize("damage", ["rows cut short", "keys of another type", "no rows", "starts that fall"])
def test_a_read_file_that_does_not_fit_is_not_used(county: Store, damage: str) -> None:
    build_summaries(county)
    w = window("2026-03-03 00:00", "2026-03-03 23:59")
    [rows] = [p for p in read_files(county) if p.name.startswith("2026-03-03")]
    keys = Path(str(rows).replace(".read-rows.", ".read-keys."))
    if damage == "rows cut short":
        np.save(rows, np.load(rows)[:-1])
    elif damage == "keys of another type":
        np.save(keys, np.load(keys).astype(np.int64))
    elif damage == "starts that fall":
        starts = Path(str(rows).replace(".read-rows.", ".read-starts."))
        broken = np.load(starts)
        broken[1:-1] = broken[1:-1][::-1]  # still from 0 to the reads' count, but falling
        np.save(starts, broken)
    else:
        rows.unlink()
    assert covered_days(county, w) == set()
    same(vehicle_reads(county, PLATES, w), vehicle_reads(county, PLATES, w, use_index=False))


def test_the_read_files_go_with_the_summaries_and_come_back_with_the_next_build(county: Store) -> None:
    build_summaries(county)
    for path in read_files(county, "read-keys"):  # a store summarised before these files existed
        path.unlink()
    report = build_summaries(county)
    assert report.built == [] and len(read_files(county, "read-keys")) == 12
    stray = read_files(county)[0].parent / "notes.npy"  # not a day's file: left alone
    np.save(stray, np.zeros(1))
    drop_summaries(county, before=date(2026, 3, 7))
    assert stray.exists()
    left = {p.name[:10] for kind in ("read-keys", "read-starts", "read-rows", "read-buckets")
            for p in read_files(county, kind)}
    assert left == {f"2026-03-{d:02d}" for d in range(7, 13)}


def test_each_vehicle_gets_its_whole_run_and_a_vehicle_not_read_gets_none() -> None:
    top = np.iinfo(np.uint64).max
    keys = np.array([3, 7, 9, top], dtype=np.uint64)
    starts = np.array([0, 2, 3, 6, 8])
    rows = np.zeros(8, dtype=vehicle_read_files.READ)
    rows["us"] = np.arange(8)
    for buckets in (None, vehicle_day_files.buckets_of(keys)):
        wanted = np.array([2, 3, 9, 10, top], dtype=np.uint64)
        which, found = vehicle_read_files._runs(vehicle_read_files.Mapped(keys, starts, rows, buckets), wanted)
        assert which.tolist() == [1, 1, 2, 2, 2, 4, 4]
        assert found["us"].tolist() == [0, 1, 3, 4, 5, 6, 7]


def test_a_day_with_no_reads_of_these_vehicles_covers_the_day_with_nothing(county: Store) -> None:
    build_summaries(county)
    w = window("2026-03-04 00:00", "2026-03-04 23:59")
    first, last = w.days()
    stamps = vehicle_day_files.day_stamps(county.con, DAYS_TABLE, first, last)  # type: ignore[arg-type]
    found, covered = vehicle_read_files.reads_of(county, summaries.plate_keys(["苏X99999"]), stamps, w.start, w.end)
    assert covered == {date(2026, 3, 4)} and len(found["key"]) == 0
    assert vehicle_reads(county, ["苏X99999"], w).empty


def test_a_day_without_reads_writes_files_that_answer_nothing(county: Store) -> None:
    build_summaries(county)
    built_at = datetime(2026, 3, 20, 1, 2, 3)
    vehicle_read_files.write_day(county, date(2026, 3, 20), 0, built_at)  # no reads that day
    w = window("2026-03-20 00:00", "2026-03-20 23:59")
    found, covered = vehicle_read_files.reads_of(county, summaries.plate_keys(PLATES), {date(2026, 3, 20): (0, built_at)},
                                                 w.start, w.end)
    assert covered == {date(2026, 3, 20)} and len(found["key"]) == 0
