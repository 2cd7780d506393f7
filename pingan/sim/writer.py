"""Writing reads in the contract's format, a day at a time, to Parquet and/or CSV.

Columns (contract section 1): ``camera_id, ts, plate, confidence, read_id, plate_color, vehicle_type``.

* Parquet: ``ts`` is a time-zone-aware timestamp (milliseconds, zone ``+08:00``), i.e. the instant.
* CSV: ``ts`` is ISO 8601 local time to the second with its offset: ``2026-03-02T07:41:09+08:00``.
* ``plate`` is spelled the way the reading camera's export writes plates (and misread when it was).
* ``read_id`` is unique within a county and across seeds: ``R`` + 4 hex digits of the seed + a
  10 hex digit counter.

Strings for millions of rows are built without Python objects: plates are taken from a dictionary of
every spelling of every plate, and fixed-width ids and times are written straight into Arrow buffers.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pingan.sim.cameras import CameraSet
from pingan.sim.platebook import N_STYLES, PLATE_COLOURS, VEHICLE_TYPES, PlateBook, arrow_strings, render
from pingan.sim.readgen import ReadBatch

UTC_OFFSET_S = 8 * 3600
TZ = timezone(timedelta(hours=8))
READ_COLUMNS = ["camera_id", "ts", "plate", "confidence", "read_id", "plate_color", "vehicle_type"]
PARQUET_SCHEMA = pa.schema([
    ("camera_id", pa.string()), ("ts", pa.timestamp("ms", tz="+08:00")), ("plate", pa.string()),
    ("confidence", pa.float64()), ("read_id", pa.string()), ("plate_color", pa.string()),
    ("vehicle_type", pa.string()),
])
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def period_epoch(start: date) -> int:
    """Unix seconds of local midnight at the start of the period."""
    return int(datetime(start.year, start.month, start.day, tzinfo=TZ).timestamp())


class ReadsWriter:
    """Streams sorted read batches to ``reads.parquet`` and/or ``reads.csv``."""

    def __init__(self, out_dir: Path, fmt: str, book: PlateBook, cams: CameraSet, start: date, seed: int) -> None:
        self.book = book
        self.cams = cams
        self.epoch0 = period_epoch(start)
        self.start = start
        self.prefix = f"R{seed & 0xFFFF:04X}".encode()
        self.count = 0
        self.camera_ids = pa.array(cams.camera_id, type=pa.string())
        self.colours = pa.array(PLATE_COLOURS, type=pa.string())
        self.types = pa.array(VEHICLE_TYPES, type=pa.string())
        self.paths: list[Path] = []
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pacsv.CSVWriter | None = None
        self._csv_file: BinaryIO | None = None
        if fmt in ("parquet", "both"):
            path = out_dir / "reads.parquet"
            self._parquet = pq.ParquetWriter(path, PARQUET_SCHEMA, compression="zstd",
                                             use_dictionary=["camera_id", "plate_color", "vehicle_type"])
            self.paths.append(path)
        if fmt in ("csv", "both"):
            path = out_dir / "reads.csv"
            csv_schema = PARQUET_SCHEMA.set(1, pa.field("ts", pa.string()))
            # No value needs quotes (ids, plates, times, words), so none are written; Arrow would quote
            # every string and its header otherwise.
            self._csv_file = path.open("wb")
            self._csv_file.write((",".join(READ_COLUMNS) + "\n").encode())
            self._csv = pacsv.CSVWriter(self._csv_file, csv_schema, write_options=pacsv.WriteOptions(
                include_header=False, quoting_style="none"))
            self.paths.append(path)

    def write(self, batch: ReadBatch) -> None:
        """Append reads (already in time order)."""
        if len(batch) == 0:
            return
        table = self.table(batch)
        if self._parquet is not None:
            self._parquet.write_table(table, row_group_size=1_000_000)
        if self._csv is not None:
            ts_text = iso_strings(self._epoch_ms(batch) // 1000, self.start)
            self._csv.write_table(table.set_column(1, "ts", ts_text))
        self.count += len(batch)

    def table(self, batch: ReadBatch) -> pa.Table:
        n = len(batch)
        camera = pa.array(batch.camera)
        ts = pa.array(self._epoch_ms(batch), type=pa.timestamp("ms", tz="+08:00"))
        return pa.table({
            "camera_id": self.camera_ids.take(camera),
            "ts": ts,
            "plate": self._plates(batch),
            "confidence": pa.array(batch.confidence, type=pa.float64()),
            "read_id": fixed_hex(self.prefix, np.arange(self.count, self.count + n, dtype=np.int64), 10),
            "plate_color": self.colours.take(pa.array(self.book.colour[batch.vehicle])),
            "vehicle_type": self.types.take(pa.array(batch.vehicle_type)),
        }, schema=PARQUET_SCHEMA)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
        if self._csv is not None:
            self._csv.close()
        if self._csv_file is not None:
            self._csv_file.close()

    def _epoch_ms(self, batch: ReadBatch) -> np.ndarray:
        return np.round((batch.t + self.epoch0) * 1000.0).astype(np.int64)

    def _plates(self, batch: ReadBatch) -> pa.Array:
        style = self.cams.style[batch.camera].astype(np.int64)
        index = style * self.book.n + batch.vehicle
        wrong = np.flatnonzero(batch.misread_row >= 0)
        if len(wrong) == 0:
            return self.book.spellings.take(pa.array(index))
        rows = batch.misread_row[wrong]
        text = np.empty(len(batch.codes), dtype="<U12")
        row_style = np.zeros(len(batch.codes), dtype=np.int64)
        row_style[rows] = style[wrong]
        for s in range(N_STYLES):
            mine = np.flatnonzero(row_style == s)
            if len(mine):
                text[mine] = render(batch.codes[mine], s)
        index[wrong] = len(self.book.spellings) + rows
        dictionary = pa.concat_arrays([self.book.spellings, arrow_strings(text)])
        return dictionary.take(pa.array(index))


def _hex_pairs() -> np.ndarray:
    """For each byte value, its two hex characters packed little-endian (high nibble first in memory)."""
    value = np.arange(256)
    return (_HEX[value >> 4].astype(np.uint64) | (_HEX[value & 15].astype(np.uint64) << np.uint64(8)))


_HEX_PAIRS = _hex_pairs()


def fixed_hex(prefix: bytes, numbers: np.ndarray, digits: int = 10) -> pa.Array:
    """``prefix`` + ascending ``numbers`` as ``digits`` (≥ 8) upper-case hex digits, as an Arrow string array."""
    n = len(numbers)
    high_digits = digits - 8
    width = len(prefix) + digits
    layout = np.dtype({"names": ["prefix", "high", "low"],
                       "formats": [f"S{len(prefix)}", f"S{high_digits}", "<u8"],
                       "offsets": [0, len(prefix), len(prefix) + high_digits], "itemsize": width})
    rows = np.empty(n, dtype=layout)
    rows["prefix"] = prefix
    low = (numbers & 0xFFFFFFFF).astype(np.uint32)
    # Eight hex digits of the low 32 bits as one little-endian word: most significant byte first.
    word = _HEX_PAIRS[low >> np.uint32(24)]
    word |= _HEX_PAIRS[(low >> np.uint32(16)) & np.uint32(255)] << np.uint64(16)
    word |= _HEX_PAIRS[(low >> np.uint32(8)) & np.uint32(255)] << np.uint64(32)
    word |= _HEX_PAIRS[low & np.uint32(255)] << np.uint64(48)
    rows["low"] = word
    if n:
        # The high digits of consecutive ids change at most a few times per batch: fill runs.
        high = numbers >> 32
        for value in np.unique(high):
            lo, hi = np.searchsorted(high, [value, value + 1])
            rows["high"][lo:hi] = f"{int(value):0{high_digits}X}".encode()
    return _fixed_width(rows.view(np.uint8).reshape(n, width))


def iso_strings(epoch_s: np.ndarray, start: date) -> pa.Array:
    """Local ISO 8601 times with offset (``YYYY-MM-DDTHH:MM:SS+08:00``) as an Arrow string array."""
    local = epoch_s + UTC_OFFSET_S
    day_number = local // 86400
    first = int(day_number.min()) if len(local) else 0
    days = np.arange(first, int(day_number.max()) + 1 if len(local) else first + 1)
    date_text = np.array([[*(date.fromordinal(date(1970, 1, 1).toordinal() + int(d)).isoformat() + "T").encode()]
                          for d in days], dtype=np.uint8)
    second = local % 86400
    buf = np.empty((len(local), 25), dtype=np.uint8)
    buf[:, :11] = date_text[day_number - first]
    for col, value in ((11, second // 3600), (14, second // 60 % 60), (17, second % 60)):
        buf[:, col] = 48 + value // 10
        buf[:, col + 1] = 48 + value % 10
    buf[:, 13] = buf[:, 16] = ord(":")
    buf[:, 19:] = np.frombuffer(b"+08:00", dtype=np.uint8)
    return _fixed_width(buf)


def _fixed_width(buf: np.ndarray) -> pa.Array:
    n, width = buf.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(buf)))
