"""Per-day summaries of the reads: their contents, the fallback to raw reads for days not (or no longer)
summarised, the same answers either way, built after an import, pruned by retention, rebuilt by a command."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from pingan.anpr import summaries, vehicle_day_files
from pingan.anpr.area import Window, reads_in
from pingan.anpr.features import (
    HistoryConfig,
    area_history,
    history_window,
    movements,
    own_hours,
    usual_places,
)
from pingan.anpr.summaries import (
    CAMERA_HOURS,
    DAYS_TABLE,
    VEHICLE_DAYS,
    build_derived,
    build_summaries,
    fresh_days,
    vehicle_days,
)
from pingan.anpr.time_index import usable_days
from pingan.governance.audit import Actor
from pingan.governance.retention import run_retention
from pingan.store.db import Store, open_store
from pingan.timeutil import to_utc_naive
from tests.builders import SCENE, add_camera, add_read, at, offset

DAY = date(2026, 3, 10)


def cameras_in_a_row(store: Store, n: int) -> list[str]:
    ids = [f"K{i:02d}" for i in range(n)]
    for i, camera_id in enumerate(ids):
        add_camera(store, camera_id, *offset(*SCENE, km_east=i * 0.8))
    return ids


@pytest.fixture
def small(store: Store) -> Store:
    """Three vehicles over two days: a commuter, a night visitor, and a taxi that passes 17 cameras."""
    cams = cameras_in_a_row(store, 18)
    add_read(store, "苏A11111", "K00", "2026-03-10 08:00")
    add_read(store, "苏A11111", "K01", "2026-03-10 08:05")
    add_read(store, "苏A11111", "K01", "2026-03-10 18:10")
    add_read(store, "苏A11111", "K00", "2026-03-11 08:01")
    add_read(store, "苏B22222", "K02", "2026-03-10 02:30")
    add_read(store, "苏B22222", "K02", "2026-03-10 02:40")
    for i, camera_id in enumerate(cams[:17]):
        add_read(store, "苏C33333", camera_id, datetime(2026, 3, 10, 10, 0) + timedelta(minutes=3 * i))
    return store


def test_a_days_summary_holds_each_vehicles_reads_hours_and_cameras(small: Store) -> None:
    report = build_summaries(small)
    assert report.built == [DAY, DAY + timedelta(days=1)]
    got = vehicle_days(small, ["苏A11111", "苏B22222", "苏C33333"], DAY, DAY + timedelta(days=1))
    days = got.days.set_index(["plate", got.days["day"].dt.date])
    assert days.loc[("苏A11111", DAY), "reads"] == 3
    assert days.loc[("苏A11111", DAY), "hours"] == (1 << 8) | (1 << 18)  # local hours
    assert days.loc[("苏A11111", DAY + timedelta(days=1)), "hours"] == 1 << 8
    assert days.loc[("苏B22222", DAY), "hours"] == 1 << 2
    assert days.loc[("苏C33333", DAY), "reads"] == 17
    taxi = got.cameras[got.cameras["plate"] == "苏C33333"]
    assert sorted(taxi["camera_id"]) == [f"K{i:02d}" for i in range(17)]  # past 15 a second row holds the rest
    rows = small.con.execute(f"SELECT count(*) FROM {VEHICLE_DAYS} WHERE day = DATE '{DAY}'").fetchall()[0][0]
    assert rows == 4
    hours = dict(small.con.execute(f"SELECT hour, sum(reads) FROM {CAMERA_HOURS} GROUP BY hour").fetchall())
    assert hours == {2: 2, 8: 3, 10: 17, 18: 1}
    assert small.con.execute(f"SELECT day, reads FROM {DAYS_TABLE} ORDER BY day").fetchall() == [
        (DAY, 22), (DAY + timedelta(days=1), 1)]


def test_a_day_imported_into_since_is_read_from_the_raw_reads_until_rebuilt(small: Store) -> None:
    build_summaries(small)
    assert fresh_days(small, DAY, DAY + timedelta(days=1)) == {DAY, DAY + timedelta(days=1)}
    add_read(small, "苏A11111", "K05", "2026-03-11 22:00")
    summaries.forget(small)
    assert fresh_days(small, DAY, DAY + timedelta(days=1)) == {DAY}
    got = vehicle_days(small, ["苏A11111"], DAY, DAY + timedelta(days=1))
    second = got.cameras[got.cameras["day"].dt.date == DAY + timedelta(days=1)]
    assert sorted(second["camera_id"]) == ["K00", "K05"]
    raw = vehicle_days(small, ["苏A11111"], DAY, DAY + timedelta(days=1), use_summaries=False)
    pd.testing.assert_frame_equal(sort(got.days), sort(raw.days), check_dtype=False)
    assert build_summaries(small).built == [DAY + timedelta(days=1)]
    assert fresh_days(small, DAY, DAY + timedelta(days=1)) == {DAY, DAY + timedelta(days=1)}


def sort(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture
def county(store: Store) -> Store:
    """A small random county: 12 cameras, 150 vehicles, 12 days; some read at a camera with no position,
    some spelled otherwise by the camera."""
    rng = np.random.default_rng(3)
    cams = cameras_in_a_row(store, 12)
    rows = []
    for v in range(150):
        plate = f"苏E{v:05d}"
        home = int(rng.integers(len(cams)))
        for d in range(12):
            if rng.random() < 0.6:
                for _ in range(int(rng.integers(1, 6))):
                    camera = cams[min(len(cams) - 1, max(0, home + int(rng.integers(-2, 3))))]
                    if rng.random() < 0.02:
                        camera = "NOWHERE"
                    local = datetime(2026, 3, 1 + d) + timedelta(minutes=int(rng.integers(0, 24 * 60)))
                    raw = plate.replace("E", "e") if rng.random() < 0.1 else plate  # as the camera spelled it
                    rows.append((camera, to_utc_naive(local), local.date(), plate, raw, True, 0.9))
    store.con.executemany("INSERT INTO reads (camera_id, ts, day, plate, plate_raw, plate_valid, confidence, "
                          "batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, 0)", rows)
    return store


def test_summaries_and_raw_reads_give_the_same_history_places_hours_and_movements(county: Store) -> None:
    padded = Window(to_utc_naive(at("2026-03-12 21:00")), to_utc_naive(at("2026-03-13 03:00")))
    history = history_window(padded, HistoryConfig(days=10))
    cams = ["K03", "K04", "K05"]

    def answers(use: bool) -> tuple[pd.DataFrame, ...]:
        summaries.forget(county)
        seen = reads_in(county, cams, padded, use_index=use)
        plates = sorted(set(seen["plate"]))
        hist, profile = area_history(county, cams, history, plates=plates, use_summaries=use)
        return (seen.drop(columns="read_id"), hist, pd.DataFrame({"p": profile}),
                usual_places(county, plates, history, use_summaries=use),
                own_hours(county, plates, history, use_summaries=use),
                movements(county, plates, padded, use_index=use))

    raw = answers(False)
    build_derived(county)
    assert usable_days(county, date(2026, 3, 1), date(2026, 3, 12)) == {date(2026, 3, d) for d in range(1, 13)}
    fast = answers(True)
    for a, b in zip(raw, fast, strict=True):
        assert not a.empty
        pd.testing.assert_frame_equal(sort(a), sort(b), check_dtype=False)
    everyone, _ = area_history(county, cams, history)  # every vehicle the cameras saw, from the raw reads
    pd.testing.assert_frame_equal(sort(everyone[everyone["plate"].isin(set(raw[1]["plate"]))]).astype(object),
                                  sort(raw[1]).astype(object))
    # a stale day in the middle: the rest still come from the summaries, the answers do not change
    add_read(county, "苏E00007", "K04", "2026-03-08 12:00")
    raw_again = answers(False)
    assert date(2026, 3, 8) not in fresh_days(county, date(2026, 3, 1), date(2026, 3, 12))
    for a, b in zip(raw_again, answers(True), strict=True):
        pd.testing.assert_frame_equal(sort(a), sort(b), check_dtype=False)


def test_the_history_is_whole_local_days_before_the_padded_windows_day() -> None:
    padded = Window(to_utc_naive(at("2026-03-12 01:00")), to_utc_naive(at("2026-03-12 05:00")))
    history = history_window(padded, HistoryConfig(days=28))
    assert history.days() == (date(2026, 2, 12), date(2026, 3, 11))
    assert history.start == to_utc_naive(at("2026-02-12 00:00"))
    assert history.end < to_utc_naive(at("2026-03-12 00:00")) < history.end + timedelta(seconds=1)


def test_retention_prunes_the_summaries_with_the_reads(small: Store) -> None:
    add_read(small, "苏A11111", "K00", "2025-01-10 08:00")
    build_derived(small)
    plan = run_retention(small, Actor("admin1", "admin", "retention"), retention_days=365, today=date(2026, 3, 29))
    assert plan.summary_days_pruned == 1 and plan.index_days_pruned == 1
    for table in (VEHICLE_DAYS, CAMERA_HOURS, DAYS_TABLE):
        left = small.con.execute(f"SELECT min(day) FROM {table}").fetchall()[0][0]
        assert left == DAY, table


@pytest.fixture
def db_with_cameras(tmp_path: Path) -> Path:
    db = tmp_path / "pingan.duckdb"
    with open_store(db) as store:
        cameras_in_a_row(store, 3)
    return db


def reads_file(folder: Path) -> Path:
    from tests.store.helpers import make_read, write_reads_csv

    return write_reads_csv(folder, [make_read("苏A12345", "K00", "2026-03-01 08:00:00"),
                                    make_read("苏A12345", "K01", "2026-03-02 08:00:00"),
                                    make_read("苏B54321", "K02", "2026-03-02 23:30:00")])


def test_a_reads_import_builds_the_summaries_of_the_days_it_touched(db_with_cameras: Path, tmp_path: Path) -> None:
    from pingan.cli import cli

    file = reads_file(tmp_path)
    result = CliRunner().invoke(cli, ["--db", str(db_with_cameras), "--user", "loader", "import", "reads", str(file)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Summaries and time index built for 2 day(s)" in result.output
    with open_store(db_with_cameras) as store:
        assert fresh_days(store, date(2026, 3, 1), date(2026, 3, 2)) == {date(2026, 3, 1), date(2026, 3, 2)}
        assert usable_days(store, date(2026, 3, 1), date(2026, 3, 2)) == {date(2026, 3, 1), date(2026, 3, 2)}
        ops = store.con.execute("SELECT operation, action FROM audit_log ORDER BY seq").fetchall()
    assert ops[-2:] == [("import.reads", "collection"), ("anpr.summaries", "alteration")]
    again = CliRunner().invoke(cli, ["--db", str(db_with_cameras), "import", "reads", str(file), "--json"],
                               catch_exceptions=False)
    assert json.loads(again.output)["accepted"] == 0 and "derived" not in json.loads(again.output)


def test_the_summaries_command_rebuilds_and_drops_them_and_is_audited(db_with_cameras: Path, tmp_path: Path) -> None:
    from pingan.cli import cli

    CliRunner().invoke(cli, ["--db", str(db_with_cameras), "import", "reads", str(reads_file(tmp_path))],
                       catch_exceptions=False)
    run = CliRunner().invoke(cli, ["--db", str(db_with_cameras), "--user", "ana", "summaries", "--rebuild",
                                   "--start", "2026-03-02", "--json"], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    assert json.loads(run.output)["summaries"]["built"] == ["2026-03-02"]
    dropped = CliRunner().invoke(cli, ["--db", str(db_with_cameras), "summaries", "--drop", "--start", "2026-03-02",
                                       "--json"], catch_exceptions=False)
    assert json.loads(dropped.output)["dropped"] == {"summary_days": 1, "index_days": 1}
    with open_store(db_with_cameras) as store:
        assert fresh_days(store, date(2026, 3, 1), date(2026, 3, 2)) == {date(2026, 3, 2)}
        audit = store.con.execute("SELECT user_name, operation, action, outcome FROM audit_log "
                                  "WHERE operation = 'anpr.summaries' ORDER BY seq").fetchall()
    assert audit[-2:] == [("ana", "anpr.summaries", "alteration", "ok"), (audit[-1][0], "anpr.summaries",
                                                                         "alteration", "ok")]
    bad = CliRunner().invoke(cli, ["--db", str(db_with_cameras), "summaries", "--start", "March"])
    assert bad.exit_code != 0 and "is not a day" in str(bad.exception)


# --- the memory-mapped copies of the vehicle-days ------------------------------------------------------------

def vehicle_day_stems(store: Store) -> set[str]:
    folder = vehicle_day_files.folder_for(store)
    assert folder is not None
    return {p.name.split(".keys.")[0] for p in folder.glob("*.keys.npy")}


def test_the_vehicle_day_files_answer_as_duckdb_does_and_a_missing_file_falls_back(county: Store) -> None:
    build_summaries(county)
    stems = vehicle_day_stems(county)
    assert len(stems) == 12  # three files a day (keys, rows, buckets), named by day, reads and build stamp
    plates = [f"苏E{v:05d}" for v in range(0, 150, 3)] + ["苏X99999"]  # one never seen
    first, last = date(2026, 3, 1), date(2026, 3, 12)
    keys = np.array([summaries.plate_key(p) for p in plates], dtype=np.uint64)
    stamps = vehicle_day_files.day_stamps(county.con, DAYS_TABLE, first, last)
    found, covered = vehicle_day_files.lookup(county, keys, stamps)
    assert covered == set(stamps) and len(found["key"]) > 100
    summaries.forget(county)
    from_files = vehicle_days(county, plates, first, last)
    for path in vehicle_day_files.folder_for(county).glob("2026-03-0[1-6].*"):  # type: ignore[union-attr]
        path.unlink()  # half the days lose their files: those are joined in DuckDB
    summaries.forget(county)
    mixed = vehicle_days(county, plates, first, last)
    raw = vehicle_days(county, plates, first, last, use_summaries=False)
    for got in (from_files, mixed):
        pd.testing.assert_frame_equal(sort(got.days.astype({"plate": object})), sort(raw.days.astype({"plate": object})),
                                      check_dtype=False)
        pd.testing.assert_frame_equal(sort(got.cameras.astype(object)), sort(raw.cameras.astype(object)), check_dtype=False)
    # the days an area's cameras read each vehicle, counted from the packed camera words, as from the rows
    area = sorted(set(raw.cameras["camera_id"].astype(object)))[::3]
    here = raw.cameras[raw.cameras["camera_id"].astype(object).isin(area)]
    want = here.assign(plate=here["plate"].astype(object)).groupby("plate")["day"].nunique()
    assert len(want) > 10
    for got in (from_files, mixed, raw):
        counted = got.days_at(area)
        assert dict(zip(counted["plate"], counted["history_days"], strict=True)) == want.to_dict()


def test_a_file_from_an_older_build_of_its_day_is_never_read_and_is_removed(county: Store) -> None:
    build_summaries(county)
    folder = vehicle_day_files.folder_for(county)
    assert folder is not None
    old = sorted(folder.glob("2026-03-05.*.keys.npy"))
    assert len(old) == 1
    old_bytes = old[0].read_bytes()
    add_read(county, "苏E00007", "K04", "2026-03-05 12:00")
    build_summaries(county)  # the day is rebuilt with a new stamp; the old pair goes
    new = sorted(folder.glob("2026-03-05.*.keys.npy"))
    assert len(new) == 1 and new != old and not old[0].exists()
    # a file whose name matches no built day (here: last build's, put back) is not used
    old[0].write_bytes(old_bytes)
    stamps = vehicle_day_files.day_stamps(county.con, DAYS_TABLE, date(2026, 3, 5), date(2026, 3, 5))
    (folder / new[0].name).unlink()
    _, covered = vehicle_day_files.lookup(county, np.array([summaries.plate_key("苏E00007")], dtype=np.uint64), stamps)
    assert covered == set()
    got = vehicle_days(county, ["苏E00007"], date(2026, 3, 5), date(2026, 3, 5))
    assert "K04" in set(got.cameras["camera_id"].astype(object))  # the new read, from DuckDB
    build_summaries(county, rebuild=True)
    assert not old[0].exists()


def test_retention_removes_the_vehicle_day_files_of_the_purged_days(small: Store) -> None:
    add_read(small, "苏A11111", "K00", "2025-01-10 08:00")
    build_derived(small)
    assert any(s.startswith("2025-01-10") for s in vehicle_day_stems(small))
    keys = np.array([summaries.plate_key("苏A11111")], dtype=np.uint64)
    old = vehicle_day_files.day_stamps(small.con, DAYS_TABLE, date(2025, 1, 10), date(2025, 1, 10))
    found, _ = vehicle_day_files.lookup(small, keys, old)
    assert len(found["key"]) == 1  # the day's file is mapped by this process
    run_retention(small, Actor("admin1", "admin", "retention"), retention_days=365, today=date(2026, 3, 29))
    stems = vehicle_day_stems(small)
    assert stems and not any(s.startswith("2025-01-10") for s in stems)
    found, covered = vehicle_day_files.lookup(small, keys, old)  # asked with the purged day's old stamp
    assert covered == set() and len(found["key"]) == 0  # the process let go of the purged file too


def test_a_store_summarised_before_the_files_existed_gets_them_at_the_next_build(county: Store) -> None:
    build_summaries(county)
    folder = vehicle_day_files.folder_for(county)
    assert folder is not None
    for path in folder.glob("*.npy"):
        path.unlink()
    report = build_summaries(county)
    assert report.built == [] and len(vehicle_day_stems(county)) == 12


def three_days_of_reads(path: Path) -> Store:
    store = open_store(path)
    cameras_in_a_row(store, 2)
    for day in ("2025-01-10", "2026-03-10", "2026-03-11"):
        add_read(store, "苏A11111", "K00", f"{day} 08:00")
    build_summaries(store)
    return store


def test_a_store_renamed_with_its_files_keeps_using_them_and_retention_still_reaches_them(tmp_path: Path) -> None:
    three_days_of_reads(tmp_path / "partial.duckdb").close()
    vehicle_day_files.rename_store(tmp_path / "partial.duckdb", tmp_path / "pingan.duckdb")
    assert not (tmp_path / "partial.duckdb.vehicle-days").exists()
    with open_store(tmp_path / "pingan.duckdb") as store:
        assert len(vehicle_day_stems(store)) == 3
        stamps = vehicle_day_files.day_stamps(store.con, DAYS_TABLE, date(2025, 1, 1), date(2026, 3, 31))
        keys = np.array([summaries.plate_key("苏A11111")], dtype=np.uint64)
        _, covered = vehicle_day_files.lookup(store, keys, stamps)
        assert covered == set(stamps)  # read from the renamed folder
        run_retention(store, Actor("admin1", "admin", "retention"), retention_days=365, today=date(2026, 3, 29))
        assert not any(s.startswith("2025-01-10") for s in vehicle_day_stems(store))


def test_retention_sweeps_the_folder_a_moved_store_recorded(tmp_path: Path) -> None:
    three_days_of_reads(tmp_path / "a.duckdb").close()
    (tmp_path / "a.duckdb").rename(tmp_path / "b.duckdb")  # moved by hand: its files stay where they were
    with open_store(tmp_path / "b.duckdb") as store:
        run_retention(store, Actor("admin1", "admin", "retention"), retention_days=365, today=date(2026, 3, 29))
    left = {p.name.split(".")[0] for p in (tmp_path / "a.duckdb.vehicle-days").glob("*.npy")}
    assert left == {"2026-03-10", "2026-03-11"}


def test_a_search_within_buckets_finds_what_a_binary_search_finds() -> None:
    rng = np.random.default_rng(11)
    edges = np.array([0, 1, 2**48 - 1, 2**48, 2**63, 2**64 - 2**48, 2**64 - 1], dtype=np.uint64)
    keys = np.sort(np.concatenate([rng.integers(0, 2**64 - 1, 50_000, dtype=np.uint64, endpoint=True), edges,
                                   edges[:3], rng.choice(edges, 20)]))  # repeated keys: a vehicle's second row
    wanted = np.concatenate([rng.choice(keys, 5_000), rng.integers(0, 2**64 - 1, 5_000, dtype=np.uint64), edges,
                             edges + np.uint64(1), edges - np.uint64(1)])
    buckets = vehicle_day_files.buckets_of(keys)
    assert buckets[0] == 0 and buckets[-1] == len(keys)
    assert np.array_equal(vehicle_day_files.search(keys, wanted, buckets), np.searchsorted(keys, wanted, "left"))
    nothing = np.zeros(0, dtype=np.uint64)
    assert np.array_equal(vehicle_day_files.search(nothing, wanted, vehicle_day_files.buckets_of(nothing)),
                          np.zeros(len(wanted)))


def test_a_day_file_without_its_buckets_is_searched_without_them_and_gets_them_at_the_next_build(county: Store) -> None:
    build_summaries(county)
    folder = vehicle_day_files.folder_for(county)
    assert folder is not None and len(list(folder.glob("*.buckets.npy"))) == 12
    plates = [f"苏E{v:05d}" for v in range(0, 150, 2)]
    keys = np.array([summaries.plate_key(p) for p in plates], dtype=np.uint64)
    stamps = vehicle_day_files.day_stamps(county.con, DAYS_TABLE, date(2026, 3, 1), date(2026, 3, 12))
    with_buckets, _ = vehicle_day_files.lookup(county, keys, stamps)
    vehicle_day_files._maps.clear()  # as a new process would: nothing mapped yet
    for path in folder.glob("2026-03-0[1-6].*.buckets.npy"):
        path.unlink()
    without, covered = vehicle_day_files.lookup(county, keys, stamps)
    assert covered == set(stamps) and len(with_buckets["key"]) > 100
    for column in with_buckets:
        assert np.array_equal(with_buckets[column], without[column])
    assert vehicle_day_files.without_files(county, stamps) == [date(2026, 3, d) for d in range(1, 7)]
    build_summaries(county)
    assert len(list(folder.glob("*.buckets.npy"))) == 12


def test_a_plates_key_is_the_same_in_python_one_by_one_many_at_once_and_in_duckdb(small: Store) -> None:
    plates = ["苏A11111", "京N8B0Q2", "粤BD12345", "WJ01警123", ""]
    one_by_one = [summaries.plate_key(p) for p in plates]
    assert summaries.plate_keys(plates).tolist() == one_by_one
    in_sql = small.con.execute(f"SELECT {summaries.plate_key_sql('p')} FROM unnest(?) t(p)", [plates]).fetchall()
    assert [k for (k,) in in_sql] == one_by_one
    assert summaries.plate_keys([]).dtype == np.uint64 and len(summaries.plate_keys([])) == 0


def test_a_bucket_table_that_does_not_fit_its_keys_is_not_used(tmp_path: Path) -> None:
    keys = np.sort(np.random.default_rng(1).integers(0, 2**63, 1000, dtype=np.uint64))
    np.save(tmp_path / "d.keys.npy", keys)
    np.save(tmp_path / "d.rows.npy", np.zeros(len(keys), dtype=vehicle_day_files.ROW))
    good = vehicle_day_files.buckets_of(keys)
    falling = good.copy()
    falling[100], falling[101] = falling[101] + 5, falling[100]
    for table, used in ((falling, False), (good[:-1], False), (good + 1, False), (good, True)):
        vehicle_day_files._maps.clear()
        np.save(tmp_path / "d.buckets.npy", table)
        mapped = vehicle_day_files._mapped(tmp_path / "d")
        assert mapped is not None and (mapped[2] is not None) == used
    vehicle_day_files._maps.clear()
