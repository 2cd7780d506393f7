"""How fast do reads import? Parquet and CSV into a fresh store, then the same file again.

Generates N reads in the contract's format itself (numpy + pyarrow: realistic plates in the spellings
cameras use, a few hundred cameras, a day or more of traffic), imports them with
:func:`pingan.store.importers.import_file` into a fresh store, and prints rows/s and the peak resident
memory of each run. Each run is a separate process, so peak memory is that run's own.

    .venv/bin/python bench/import_speed.py              # 10 M reads
    .venv/bin/python bench/import_speed.py --rows 2000000

Targets (issue): ≥ 2 M reads/s from Parquet, ≥ 0.5 M reads/s from CSV, validation included.
Results are recorded by hand in docs/import.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PROVINCES = np.array(list("苏苏苏苏苏苏皖鲁浙沪京豫"))
LETTERS = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))
ALNUM = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
DIGITS = np.array(list("0123456789"))
TZ = "+08:00"


def _plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct-ish normalised plates: mostly 苏, 10 % new-energy (6 characters after the letter)."""
    province = rng.choice(PROVINCES, n)
    letter = rng.choice(LETTERS[:14], n)
    body = rng.choice(ALNUM, (n, 5))
    body[:, 0] = rng.choice(DIGITS, n)  # most plates start with a digit
    plates = np.char.add(np.char.add(province, letter), np.apply_along_axis("".join, 1, body))
    ne = rng.random(n) < 0.10
    ne_body = np.char.add(rng.choice(np.array(["D", "F"]), ne.sum()),
                          np.apply_along_axis("".join, 1, rng.choice(DIGITS, (ne.sum(), 5))))
    plates[ne] = np.char.add(np.char.add(province[ne], letter[ne]), ne_body)
    return plates


def _spellings(plates: np.ndarray) -> list[np.ndarray]:
    """The ways camera exports spell a plate: plain, with a middle dot, with spaces, full-width, lower case."""
    plain = plates.astype(str)
    head = np.array([p[:2] for p in plain])
    tail = np.array([p[2:] for p in plain])
    full = np.array([p.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}) for p in plain])
    return [plain, np.char.add(np.char.add(head, "·"), tail),
            np.char.add(np.char.add(np.array([p[0] for p in plain]), " "), np.array([p[1:] for p in plain])),
            full, np.char.lower(plain)]


def generate(n: int, *, seed: int = 0, vehicles: int = 200_000, cameras: int = 400,
             start: datetime = datetime(2026, 3, 2, tzinfo=UTC) - timedelta(hours=8)) -> tuple[pa.Table, pa.Table]:
    """``n`` reads (sorted by time, as a camera system exports them) and the cameras they come from."""
    rng = np.random.default_rng(seed)
    plates = _plates(rng, vehicles)
    spell = _spellings(plates)
    pool = pa.array(np.concatenate(spell), type=pa.string())
    cams = np.array([f"C{i:05d}" for i in range(cameras)])
    camera_table = pa.table({
        "camera_id": cams,
        "lon": 118.5 + rng.random(cameras) * 0.6,
        "lat": 31.8 + rng.random(cameras) * 0.5,
        "name": [f"卡口{i}号" for i in range(cameras)],
    })
    days = max(1, n // 5_000_000)
    ms = np.sort(rng.integers(0, days * 86_400_000, n))
    start_ms = int(start.timestamp() * 1000)
    # Popular vehicles are seen more often (commuters), as in real traffic.
    vehicle = np.minimum((rng.pareto(1.2, n) * vehicles / 20).astype(np.int64), vehicles - 1)
    cam_style = rng.integers(0, len(spell), cameras)  # each camera's export spells plates one way
    camera = rng.integers(0, cameras, n)
    index = cam_style[camera] * vehicles + vehicle
    read_ids = pa.array(np.char.add("R", np.char.zfill(np.arange(n).astype(str), 10)), type=pa.string())
    table = pa.table({
        "camera_id": pa.array(cams, type=pa.string()).take(pa.array(camera)),
        "ts": pa.array(start_ms + ms, type=pa.timestamp("ms", tz=TZ)),
        "plate": pool.take(pa.array(index)),
        "confidence": pa.array(np.round(0.6 + rng.random(n) * 0.4, 3)),
        "read_id": read_ids,
        "plate_color": pa.array(np.where(rng.random(n) < 0.9, "blue", "green")),
        "vehicle_type": pa.array(np.where(rng.random(n) < 0.8, "car", "truck")),
    })
    return table, camera_table


def write_files(folder: Path, n: int, seed: int = 0) -> dict[str, Path]:
    """reads.parquet, reads.csv (ISO 8601 local time with offset) and cameras.csv in ``folder``."""
    chunk = 2_000_000
    cams_written = False
    pq_path, csv_path, cam_path = folder / "reads.parquet", folder / "reads.csv", folder / "cameras.csv"
    pq_writer: pq.ParquetWriter | None = None
    csv_writer: pacsv.CSVWriter | None = None
    offset = 0
    for part, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        table, cameras = generate(size, seed=seed + part,
                                  start=datetime(2026, 3, 2, tzinfo=UTC) + timedelta(days=start // 5_000_000))
        table = table.set_column(4, "read_id", pa.array(
            np.char.add(f"R{seed:02d}", np.char.zfill(np.arange(offset, offset + size).astype(str), 10))))
        offset += size
        if not cams_written:
            pacsv.write_csv(cameras, cam_path)
            cams_written = True
        if pq_writer is None:
            pq_writer = pq.ParquetWriter(pq_path, table.schema, compression="snappy")
        pq_writer.write_table(table, row_group_size=1_000_000)
        local = pc.strftime(pc.add(table["ts"].cast(pa.timestamp("ms")),
                                                   pa.scalar(8 * 3600 * 1000, pa.duration("ms"))),
                                    format="%Y-%m-%dT%H:%M:%S")
        text = table.set_column(1, "ts", pc.binary_join_element_wise(local, TZ, ""))
        if csv_writer is None:
            csv_writer = pacsv.CSVWriter(csv_path, text.schema)
        csv_writer.write_table(text)
    assert pq_writer is not None and csv_writer is not None
    pq_writer.close()
    csv_writer.close()
    return {"parquet": pq_path, "csv": csv_path, "cameras": cam_path}
