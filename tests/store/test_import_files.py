"""Files that are not quite what they claim: encodings, columns, corrupt Parquet, empty files, broken lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from pingan.errors import BadFile, BadInput
from pingan.store.db import Store
from pingan.store.importers import import_file
from pingan.store.rejects import list_batches, list_set_aside
from tests.store.helpers import (
    CAMERAS,
    count,
    csv_text,
    load_cameras,
    make_read,
    stored_reads,
    write_csv,
    write_reads_csv,
    write_reads_parquet,
)


@pytest.fixture
def cameras(store: Store, tmp_path: Path) -> Store:
    load_cameras(store, tmp_path)
    return store


# --- encodings -----------------------------------------------------------------------------------------

def test_a_gbk_file_from_a_chinese_system_is_detected_and_read(store: Store, tmp_path: Path) -> None:
    cams = import_file(store, "cameras", write_csv(tmp_path, "cameras.csv", CAMERAS, encoding="gbk"))
    reads = [make_read("苏N·12345"), make_read("苏A54321", camera="K2"), make_read("皖B12345", camera="K3")]
    report = import_file(store, "reads", write_reads_csv(tmp_path, reads, encoding="gbk"))
    assert (cams.encoding, cams.accepted) == ("gb18030", 3)
    assert (report.encoding, report.accepted) == ("gb18030", 3)
    assert store.con.execute("SELECT name FROM cameras ORDER BY camera_id").fetchall() == [
        ("中山路卡口",), ("人民路卡口",), ("建设路卡口",)]
    assert sorted(r[4] for r in stored_reads(store)) == ["皖B12345", "苏A54321", "苏N12345"]


def test_gbk_text_after_a_long_plain_ascii_start_is_still_found(cameras: Store, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.store.importers import sources

    monkeypatch.setattr(sources, "SAMPLE_BYTES", 4096)  # the encoding is guessed from the first 4 KiB
    plain = [make_read(f"A{i:05d}", t=f"2026-03-01 08:{i // 60 % 60:02d}:{i % 60:02d}") for i in range(3_000)]
    path = tmp_path / "reads.csv"
    path.write_bytes(csv_text(plain).encode("ascii") + "K1,2026-03-01 23:00:00,苏N12345\n".encode("gbk"))
    assert path.stat().st_size > 4096
    report = import_file(cameras, "reads", path)
    assert (report.encoding, report.accepted) == ("gb18030", 3_001)
    assert cameras.con.execute("SELECT count(*) FROM reads WHERE plate = '苏N12345'").fetchone() == (1,)


def test_utf8_with_a_byte_order_mark(cameras: Store, tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    path.write_bytes(b"\xef\xbb\xbf" + csv_text([make_read()]).encode("utf-8"))
    report = import_file(cameras, "reads", path)
    assert (report.encoding, report.accepted) == ("utf-8", 1)


def test_utf16_is_recognised_by_its_byte_order_mark(cameras: Store, tmp_path: Path) -> None:
    path = write_reads_csv(tmp_path, [make_read()], encoding="utf-16")
    report = import_file(cameras, "reads", path)
    assert (report.encoding, report.accepted) == ("utf-16", 1)


def test_an_encoding_can_be_given(cameras: Store, tmp_path: Path) -> None:
    path = write_reads_csv(tmp_path, [make_read("臺A12345")], encoding="big5")
    report = import_file(cameras, "reads", path, encoding="big5")
    assert (report.encoding, report.accepted) == ("big5", 1)
    assert stored_reads(cameras)[0][5] == "臺A12345"


def test_undecodable_bytes_are_a_bad_file_naming_the_offset(cameras: Store, tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    head = "camera_id,ts,plate\nK1,2026-03-01 08:00:00,".encode()
    path.write_bytes(head + b"\x80\xff\x80\n")
    with pytest.raises(BadFile) as caught:
        import_file(cameras, "reads", path)
    message = caught.value.message
    assert str(path) in message and f"offset {len(head)}" in message and "--encoding" in message
    assert count(cameras, "reads") == 0


def test_a_file_that_is_not_the_encoding_given_is_a_bad_file(cameras: Store, tmp_path: Path) -> None:
    path = write_reads_csv(tmp_path, [make_read()], encoding="gbk")
    with pytest.raises(BadFile, match=r"as UTF-8: the bytes at offset \d+ are not valid UTF-8"):
        import_file(cameras, "reads", path, encoding="utf-8")


def test_an_unknown_encoding_name_is_bad_input(cameras: Store, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="encoding 'klingon' is not known"):
        import_file(cameras, "reads", write_reads_csv(tmp_path, [make_read()]), encoding="klingon")


# --- columns -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_missing_required_columns_are_named_with_the_columns_found(cameras: Store, tmp_path: Path, fmt: str) -> None:
    rows = [{"cam": "K1", "time": "2026-03-01 08:00:00", "plate": "苏N12345"}]
    path = write_reads_csv(tmp_path, rows) if fmt == "csv" else write_reads_parquet(tmp_path, rows)
    with pytest.raises(BadFile) as caught:
        import_file(cameras, "reads", path)
    assert caught.value.message == (
        f"The reads file {path} lacks the required columns camera_id, ts; it has the columns cam, time, plate "
        "(a reads file needs camera_id, ts, plate).")


def test_a_required_column_given_twice_is_a_bad_file(cameras: Store, tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    path.write_text("camera_id,ts,plate,Plate\nK1,2026-03-01 08:00:00,苏N12345,苏N12345\n", encoding="utf-8")
    with pytest.raises(BadFile, match="has the column plate twice"):
        import_file(cameras, "reads", path)


# --- empty, truncated, broken --------------------------------------------------------------------------

@pytest.mark.parametrize("name, content", [("reads.csv", b""), ("reads.csv", b"\n\n"), ("reads.parquet", b"")])
def test_an_empty_file_is_a_bad_file(cameras: Store, tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BadFile, match="is empty"):
        import_file(cameras, "reads", path)


def test_a_header_alone_imports_nothing_and_says_so(cameras: Store, tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    path.write_text("camera_id,ts,plate\n", encoding="utf-8")
    report = import_file(cameras, "reads", path)
    assert (report.rows_total, report.accepted) == (0, 0)
    assert report.summary().startswith("Imported 0 of 0 reads rows")


def test_a_truncated_parquet_file_is_a_bad_file(cameras: Store, tmp_path: Path) -> None:
    path = write_reads_parquet(tmp_path, [make_read(t=f"2026-03-01 08:00:{i:02d}") for i in range(50)])
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(BadFile, match=r"Cannot read .* as Parquet .*truncated or corrupt"):
        import_file(cameras, "reads", path)
    assert count(cameras, "import_batches") == 1  # the cameras only


def test_a_parquet_file_named_csv_is_read_as_parquet(cameras: Store, tmp_path: Path) -> None:
    path = write_reads_parquet(tmp_path, [make_read()], name="export.csv")
    report = import_file(cameras, "reads", path)
    assert (report.file_format, report.accepted) == ("parquet", 1)


def test_lines_the_csv_reader_cannot_split_are_set_aside_with_their_row_numbers(cameras: Store,
                                                                               tmp_path: Path) -> None:
    path = tmp_path / "reads.csv"
    path.write_text(
        "camera_id,ts,plate\n"
        "K1,2026-03-01 08:00:00,苏N00001\n"           # row 1 fine
        "K1,2026-03-01 08:00:00\n"                    # row 2 too few fields
        "K1,2026-03-01 08:00:00,苏N00003,x\n"         # row 3 too many fields
        "\"K\n2\",2026-03-01 08:00:00,苏N00004\n"       # row 4 a quoted line break: a bad camera, not a bad line
        "K2,2026-03-01 08:00:00,苏N00005\n"           # row 5 fine
        "K3,\"2026-03-01 08:00:00,苏N00006\n",        # row 6 a quote never closed
        encoding="utf-8")
    report = import_file(cameras, "reads", path)
    assert (report.rows_total, report.accepted, report.set_aside) == (6, 2, 4)
    assert report.reasons == {"malformed CSV line": 3, "unknown camera": 1}
    aside = {r["row_number"]: r for r in list_set_aside(cameras, batch_id=report.batch_id)}
    assert aside[2]["reason"] == "malformed CSV line: too few fields"
    assert aside[2]["row"] == {"_line": "K1,2026-03-01 08:00:00"}
    assert aside[3]["reason"] == "malformed CSV line: too many fields"
    assert aside[4]["reason"].startswith("unknown camera: camera_id K\n2")
    assert aside[6]["reason"].startswith("malformed CSV line: a quote")
    assert sorted(r[4] for r in stored_reads(cameras)) == ["苏N00001", "苏N00005"]


def test_there_is_no_such_file_or_kind(cameras: Store, tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="There is no file"):
        import_file(cameras, "reads", tmp_path / "missing.csv")
    with pytest.raises(BadInput, match="The kind 'plates' is not known"):
        import_file(cameras, "plates", write_reads_csv(tmp_path, [make_read()]))


def test_a_gzipped_csv_is_read(cameras: Store, tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "reads.csv.gz"
    path.write_bytes(gzip.compress(csv_text([make_read(), make_read(camera="K2")]).encode("gbk")))
    report = import_file(cameras, "reads", path)
    assert (report.encoding, report.accepted) == ("gb18030", 2)


# --- listing what was set aside ------------------------------------------------------------------------

def test_set_aside_rows_are_listed_by_batch_kind_and_reason(cameras: Store, tmp_path: Path) -> None:
    first = import_file(cameras, "reads", write_reads_csv(tmp_path, [make_read(camera="K9"), make_read(t="x")],
                                                          name="a.csv"))
    second = import_file(cameras, "cameras", write_csv(tmp_path, "c.csv", [{"camera_id": "K8", "lon": 999, "lat": 0}]))
    assert [r["batch_id"] for r in list_set_aside(cameras)] == [first.batch_id, first.batch_id, second.batch_id]
    assert [r["row_number"] for r in list_set_aside(cameras, batch_id=first.batch_id)] == [1, 2]
    assert [r["kind"] for r in list_set_aside(cameras, kind="cameras")] == ["cameras"]
    assert [r["row_number"] for r in list_set_aside(cameras, reason="unparseable time")] == [2]
    assert len(list_set_aside(cameras, limit=1)) == 1
    assert [b["batch_id"] for b in list_batches(cameras)] == [second.batch_id, first.batch_id, 1]
