"""Importing reads: plates, times, bad rows, idempotence, storage order, Parquet types, progress."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from pingan.store.db import Store
from pingan.store.importers import import_file
from pingan.store.rejects import list_batches, list_set_aside
from tests.store.helpers import (
    count,
    load_cameras,
    make_read,
    stored_reads,
    write_reads_csv,
    write_reads_parquet,
)


@pytest.fixture
def cameras(store: Store, tmp_path: Path) -> Store:
    """The store with cameras K1, K2, K3."""
    load_cameras(store, tmp_path)
    return store


SPELLINGS = ["苏N12345", "苏N·12345", "苏 N 12345", "苏Ｎ１２３４５", "苏n12345", "苏N-12345",
             "苏N.12345", " 苏N12345 ", "苏N　12345"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_spelling_of_a_plate_is_stored_as_the_same_plate(cameras: Store, tmp_path: Path, fmt: str) -> None:
    rows = [make_read(p, t=f"2026-03-01 08:00:{i:02d}") for i, p in enumerate(SPELLINGS)]
    rows.append(make_read("苏ND12345", t="2026-03-01 09:00:00"))
    write = write_reads_csv if fmt == "csv" else write_reads_parquet
    report = import_file(cameras, "reads", write(tmp_path, rows))
    assert (report.accepted, report.set_aside) == (len(rows), 0)
    stored = stored_reads(cameras)
    assert {r[4] for r in stored[:-1]} == {"苏N12345"}
    assert stored[-1][4] == "苏ND12345" and stored[-1][6] is True  # a new-energy plate is a valid plate
    assert sorted(r[5] for r in stored[:-1]) == sorted(SPELLINGS)  # the raw reading is kept as it came


def test_a_plate_outside_the_grammar_is_flagged_not_set_aside(cameras: Store, tmp_path: Path) -> None:
    report = import_file(cameras, "reads", write_reads_csv(tmp_path, [make_read("WJ12345"), make_read("港A1234")]))
    assert report.accepted == 2
    assert {(r[4], r[6]) for r in stored_reads(cameras)} == {("WJ12345", False), ("港A1234", False)}


def test_times_without_an_offset_are_local_and_stored_as_utc(cameras: Store, tmp_path: Path) -> None:
    rows = [
        make_read(t="2026-03-01 08:00:00", read_id="local"),
        make_read(t="2026-03-01T08:00:00+08:00", read_id="offset"),
        make_read(t="2026-03-01T08:00:00Z", read_id="utc"),
        make_read(t="2026-03-01T20:00:00+00:00", read_id="next-local-day"),
        make_read(t="2026-03-01T07:30:15.250+08:00", read_id="fraction"),
    ]
    import_file(cameras, "reads", write_reads_csv(tmp_path, rows))
    got = {r[0]: (r[2], r[3]) for r in stored_reads(cameras)}
    assert got["local"] == (datetime(2026, 3, 1, 0, 0), date(2026, 3, 1))
    assert got["offset"] == got["local"]
    assert got["utc"] == (datetime(2026, 3, 1, 8, 0), date(2026, 3, 1))
    # 20:00 UTC is 04:00 the next morning in Shanghai: the day is the local day.
    assert got["next-local-day"] == (datetime(2026, 3, 1, 20, 0), date(2026, 3, 2))
    assert got["fraction"] == (datetime(2026, 2, 28, 23, 30, 15, 250000), date(2026, 3, 1))


def test_parquet_times_naive_aware_and_text_are_all_understood(cameras: Store, tmp_path: Path) -> None:
    naive = pa.table({"camera_id": ["K1"], "ts": pa.array([datetime(2026, 3, 1, 8)], pa.timestamp("ms")),
                      "plate": ["苏N00001"]})
    aware = pa.table({"camera_id": ["K1"], "ts": pa.array([datetime(2026, 3, 1, 8)], pa.timestamp("us", tz="UTC")),
                      "plate": ["苏N00002"]})
    text = pa.table({"camera_id": ["K1"], "ts": ["2026-03-01 08:00:00"], "plate": ["苏N00003"],
                     "confidence": ["0.5"]})
    for i, table in enumerate((naive, aware, text)):
        path = write_reads_parquet(tmp_path, table, name=f"r{i}.parquet")  # type: ignore[arg-type]
        import_file(cameras, "reads", path)
    got = {r[4]: r[2] for r in stored_reads(cameras)}
    assert got == {"苏N00001": datetime(2026, 3, 1, 0), "苏N00002": datetime(2026, 3, 1, 8),
                   "苏N00003": datetime(2026, 3, 1, 0)}


def test_each_bad_row_is_set_aside_with_its_reason_and_the_rest_imported(cameras: Store, tmp_path: Path) -> None:
    rows = [
        make_read(read_id="R1"),                                   # 1 fine
        make_read(camera="K9", read_id="R2"),                      # 2 unknown camera
        make_read(t="yesterday", read_id="R3"),                    # 3 unparseable time
        make_read(t="", read_id="R4"),                             # 4 missing time
        make_read(plate="", read_id="R5"),                         # 5 empty plate
        make_read(plate=" · ", read_id="R6"),                      # 6 nothing left of the plate
        make_read(confidence=1.7, read_id="R7"),                   # 7 confidence outside 0..1
        make_read(confidence="high", read_id="R8"),                # 8 not a number
        make_read(camera="", read_id="R9"),                        # 9 missing camera
        make_read(t="2026-03-01 09:00:00", read_id="R1"),          # 10 duplicate read_id
        make_read(confidence=0.0, read_id="R11"),                  # 11 fine (edge of the range)
    ]
    report = import_file(cameras, "reads", write_reads_csv(tmp_path, rows))
    assert (report.rows_total, report.accepted, report.set_aside, report.already_stored) == (11, 2, 9, 0)
    assert report.reasons == {"confidence outside 0..1": 1, "duplicate in the file": 1, "empty plate": 2,
                              "missing value": 2, "not a number": 1, "unknown camera": 1, "unparseable time": 1}
    aside = {r["row_number"]: r for r in list_set_aside(cameras, batch_id=report.batch_id)}
    assert sorted(aside) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert aside[2]["reason"].startswith("unknown camera: camera_id K9")
    assert aside[3]["reason"] == "unparseable time: ts 'yesterday' is not an ISO 8601 time"
    assert aside[4]["reason"] == "missing value: ts is empty"
    assert aside[6]["reason"] == "empty plate: nothing is left of ' · ' once separators are removed"
    assert aside[7]["reason"] == "confidence outside 0..1: confidence 1.7"
    assert aside[10]["reason"] == "duplicate in the file: read_id R1 is also in row 1"
    assert aside[2]["row"] == {"camera_id": "K9", "ts": "2026-03-01 08:00:00", "plate": "苏N12345",
                               "read_id": "R2", "confidence": None}
    assert count(cameras, "reads") == 2


def test_an_exact_duplicate_without_read_id_is_set_aside(cameras: Store, tmp_path: Path) -> None:
    rows = [make_read(), make_read(), make_read(camera="K2"), make_read(plate="苏N·12345")]
    report = import_file(cameras, "reads", write_reads_csv(tmp_path, rows))
    assert (report.accepted, report.set_aside) == (3, 1)
    (row,) = list_set_aside(cameras)
    assert row["row_number"] == 2 and row["reason"].startswith("duplicate in the file: the same camera_id, ts")


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("with_ids", [True, False])
def test_importing_the_same_file_twice_stores_nothing_twice(cameras: Store, tmp_path: Path, fmt: str,
                                                            with_ids: bool) -> None:
    rows = [make_read(f"苏A{i:05d}", camera=f"K{i % 3 + 1}", t=f"2026-03-01 08:{i % 60:02d}:00",
                      **({"read_id": f"R{i}"} if with_ids else {})) for i in range(50)]
    rows.append(make_read(camera="K9", **({"read_id": "bad"} if with_ids else {})))
    write = write_reads_csv if fmt == "csv" else write_reads_parquet
    path = write(tmp_path, rows)
    first = import_file(cameras, "reads", path)
    second = import_file(cameras, "reads", path)
    assert (first.accepted, first.already_stored, first.set_aside) == (50, 0, 1)
    assert (second.accepted, second.already_stored, second.set_aside) == (0, 50, 1)
    assert count(cameras, "reads") == 50
    assert second.batch_id != first.batch_id


def test_reads_whose_read_id_is_stored_are_already_stored_even_with_other_values(cameras: Store,
                                                                               tmp_path: Path) -> None:
    import_file(cameras, "reads", write_reads_csv(tmp_path, [make_read(read_id="R1")], name="a.csv"))
    later = [make_read(plate="苏N99999", read_id="R1"), make_read(read_id="R2")]
    report = import_file(cameras, "reads", write_reads_csv(tmp_path, later, name="b.csv"))
    assert (report.accepted, report.already_stored) == (1, 1)
    assert [r[0] for r in stored_reads(cameras)] == ["R1", "R2"]


def test_reads_are_stored_in_day_plate_time_order(cameras: Store, tmp_path: Path) -> None:
    rows = [make_read("苏B22222", t="2026-03-02 09:00:00"), make_read("苏A11111", t="2026-03-02 08:00:00"),
            make_read("苏B22222", t="2026-03-01 23:00:00"), make_read("苏A11111", t="2026-03-01 10:00:00"),
            make_read("苏A11111", t="2026-03-01 07:00:00")]
    import_file(cameras, "reads", write_reads_csv(tmp_path, rows))
    stored = [(r[3], r[4], r[2]) for r in stored_reads(cameras)]
    assert stored == sorted(stored)


def test_extra_columns_of_reads_are_ignored(cameras: Store, tmp_path: Path) -> None:
    rows = [make_read(speed_kmh=63, lane="2", vehicle_type="car", plate_color="blue")]
    report = import_file(cameras, "reads", write_reads_csv(tmp_path, rows))
    assert report.accepted == 1
    assert cameras.con.execute("SELECT lane, vehicle_type, plate_color FROM reads").fetchall() == [("2", "car", "blue")]


def test_column_names_match_whatever_their_case(cameras: Store, tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    path.write_text("Camera_ID,TS,Plate\nK1,2026-03-01 08:00:00,苏N12345\n", encoding="utf-8")
    assert import_file(cameras, "reads", path).accepted == 1


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_other_delimiters_are_recognised(cameras: Store, tmp_path: Path, delimiter: str) -> None:
    path = write_reads_csv(tmp_path, [make_read(), make_read(camera="K2")], delimiter=delimiter)
    assert import_file(cameras, "reads", path).accepted == 2


def test_progress_is_reported_up_to_the_whole_file(cameras: Store, tmp_path: Path) -> None:
    path = write_reads_csv(tmp_path, [make_read(t=f"2026-03-01 08:00:{i:02d}") for i in range(30)])
    calls: list[tuple[int, int]] = []
    import_file(cameras, "reads", path, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (path.stat().st_size, path.stat().st_size)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_the_batch_records_file_user_counts_and_checksum(cameras: Store, tmp_path: Path) -> None:
    import hashlib

    path = write_reads_csv(tmp_path, [make_read(), make_read(camera="K9")])
    report = import_file(cameras, "reads", path, user="analyst1")
    (batch,) = list_batches(cameras, kind="reads")
    assert batch["batch_id"] == report.batch_id and batch["user_name"] == "analyst1"
    assert (batch["rows_total"], batch["accepted"], batch["set_aside"], batch["already_stored"]) == (2, 1, 1, 0)
    assert batch["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() == report.sha256
    assert batch["file_format"] == "csv" and batch["encoding"] == "utf-8"
    assert cameras.con.execute("SELECT DISTINCT batch_id FROM reads").fetchall() == [(report.batch_id,)]


def test_the_report_reads_as_one_sentence_and_as_json(cameras: Store, tmp_path: Path) -> None:
    report = import_file(cameras, "reads", write_reads_csv(tmp_path, [make_read(), make_read(camera="K9")]))
    text = report.summary()
    assert text.startswith("Imported 1 of 2 reads rows from ") and "1 set aside (1 unknown camera)" in text
    document = report.to_dict()
    assert {"batch_id", "kind", "file", "file_format", "encoding", "rows_total", "accepted", "set_aside",
            "already_stored", "reasons", "seconds"} <= set(document)
    assert document["reasons"] == {"unknown camera": 1}


def test_a_cursor_of_the_store_reads_local_times_in_the_deployment_zone(cameras: Store, tmp_path: Path) -> None:
    # The API imports through a cursor, which does not inherit the connection's time zone.
    cursor = Store(path=cameras.path, con=cameras.con.cursor(), timezone=cameras.timezone)
    import_file(cursor, "reads", write_reads_csv(tmp_path, [make_read(t="2026-03-01 08:00:00")]))
    assert stored_reads(cameras)[0][2:4] == (datetime(2026, 3, 1, 0, 0), date(2026, 3, 1))
