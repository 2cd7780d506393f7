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
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

PROVINCES = np.array(list("苏苏苏苏苏苏皖鲁浙沪京豫"))
LETTERS = np.array(list("ABCDEFGHJKLMN"))
ALNUM = np.array(list("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))
DIGITS = np.array(list("0123456789"))
LOCAL = timezone(timedelta(hours=8))
CHUNK = 2_000_000


def _plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` normalised plates: mostly 苏, 10 % new-energy (six characters after the authority letter)."""
    province = rng.choice(PROVINCES, n)
    letter = rng.choice(LETTERS, n)
    body = rng.choice(ALNUM, (n, 5))
    body[:, 0] = rng.choice(DIGITS, n)  # most plates start with a digit
    plates = np.char.add(np.char.add(province, letter), np.apply_along_axis("".join, 1, body))
    ne = rng.random(n) < 0.10
    ne_body = np.char.add(rng.choice(np.array(["D", "F"]), ne.sum()),
                          np.apply_along_axis("".join, 1, rng.choice(DIGITS, (ne.sum(), 5))))
    plates[ne] = np.char.add(np.char.add(province[ne], letter[ne]), ne_body)
    return plates


def _spellings(plates: np.ndarray) -> list[np.ndarray]:
    """How camera exports spell a plate: plain, middle dot, space after the letter, spaced out, full-width,
    lower case (the six styles of the contract)."""
    plain = plates.astype(str)
    head = np.array([p[:2] for p in plain])
    tail = np.array([p[2:] for p in plain])
    spaced = np.array([f"{p[0]} {p[1]} {p[2:]}" for p in plain])
    full = np.array([p.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}) for p in plain])
    return [plain, np.char.add(np.char.add(head, "·"), tail), np.char.add(np.char.add(head, " "), tail), spaced,
            full, np.char.lower(plain)]


class Traffic:
    """``rows`` reads of ``vehicles`` vehicles at ``cameras`` cameras, in time order over a day per 5 M reads.

    Popular vehicles are seen far more often than rare ones (a Pareto mix, as commuters and visitors), each
    camera's export spells every plate one way, times are to the second, and every read has a ``read_id``.
    """

    def __init__(self, rows: int, *, seed: int = 0, vehicles: int = 200_000, cameras: int = 400) -> None:
        rng = np.random.default_rng(seed)
        self.rows, self.seed, self.vehicles = rows, seed, vehicles
        self.pool = pa.array(np.concatenate(_spellings(_plates(rng, vehicles))), type=pa.string())
        self.camera_ids = np.array([f"C{i:05d}" for i in range(cameras)])
        self.cameras = pa.table({
            "camera_id": self.camera_ids,
            "lon": 118.5 + rng.random(cameras) * 0.6,
            "lat": 31.8 + rng.random(cameras) * 0.5,
            "name": [f"卡口{i}号" for i in range(cameras)],
        })
        self.style = rng.integers(0, 6, cameras)
        self.span_s = max(1, rows // 5_000_000) * 86_400
        self.start_s = int(datetime(2026, 3, 2, tzinfo=LOCAL).timestamp())

    def reads(self, first: int, size: int) -> pa.Table:
        """Reads ``first`` … ``first + size - 1``, their times in this slice of the whole span."""
        rng = np.random.default_rng([self.seed, first])
        lo, hi = first * self.span_s // self.rows, (first + size) * self.span_s // self.rows
        seconds = self.start_s + np.sort(rng.integers(lo, max(hi, lo + 1), size))
        vehicle = np.minimum((rng.pareto(1.2, size) * self.vehicles / 20).astype(np.int64), self.vehicles - 1)
        camera = rng.integers(0, len(self.camera_ids), size)
        ids = np.char.add("R", np.char.zfill(np.arange(first, first + size).astype(str), 11))
        return pa.table({
            "camera_id": pa.array(self.camera_ids).take(pa.array(camera)),
            "ts": pa.array(seconds * 1000, type=pa.timestamp("ms", tz="+08:00")),
            "plate": self.pool.take(pa.array(self.style[camera] * self.vehicles + vehicle)),
            "confidence": pa.array(np.round(0.6 + rng.random(size) * 0.4, 3)),
            "read_id": pa.array(ids, type=pa.string()),
            "plate_color": pa.array(np.where(rng.random(size) < 0.9, "blue", "green")),
            "vehicle_type": pa.array(np.where(rng.random(size) < 0.8, "car", "truck")),
        })


def write_files(folder: Path, rows: int, seed: int = 0) -> dict[str, Path]:
    """reads.parquet, reads.csv (times as ISO 8601 local time with offset) and cameras.csv in ``folder``."""
    traffic = Traffic(rows, seed=seed)
    paths = {"parquet": folder / "reads.parquet", "csv": folder / "reads.csv", "cameras": folder / "cameras.csv"}
    pacsv.write_csv(traffic.cameras, paths["cameras"])
    pq_writer: pq.ParquetWriter | None = None
    csv_writer: pacsv.CSVWriter | None = None
    for first in range(0, rows, CHUNK):
        table = traffic.reads(first, min(CHUNK, rows - first))
        if pq_writer is None:
            pq_writer = pq.ParquetWriter(paths["parquet"], table.schema, compression="snappy")
        pq_writer.write_table(table, row_group_size=1_000_000)
        wall = pc.add(table["ts"].cast(pa.timestamp("ms")), pa.scalar(8 * 3600 * 1000, pa.duration("ms")))
        local = pc.binary_join_element_wise(pc.strftime(wall, format="%Y-%m-%dT%H:%M:%S"), "+08:00", "")
        text = table.set_column(1, "ts", local)
        if csv_writer is None:
            csv_writer = pacsv.CSVWriter(paths["csv"], text.schema)
        csv_writer.write_table(text)
    if pq_writer is not None:
        pq_writer.close()
    if csv_writer is not None:
        csv_writer.close()
    return paths


# --- timing ------------------------------------------------------------------------------------------

OUT = Path(__file__).parent / "out"


def _child(args: argparse.Namespace) -> None:
    """One timed import in this process; prints one JSON line."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from pingan.store.db import open_store
    from pingan.store.importers import import_file

    with open_store(Path(args.store)) as store:
        if args.cameras:
            import_file(store, "cameras", Path(args.cameras))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        report = import_file(store, "reads", Path(args.file))
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": report.rows_total, "accepted": report.accepted, "already": report.already_stored,
                      "set_aside": report.set_aside, "seconds": wall, "cpu_seconds": cpu, "peak_rss_mib": peak_mib}))


def _run(file: Path, store: Path, cameras: Path | None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", "--file", str(file), "--store", str(store)]
    if cameras is not None:
        cmd += ["--cameras", str(cameras)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="reads to generate (default 10 M)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--formats", default="parquet,csv", help="which files to time, comma-separated")
    parser.add_argument("--keep", action="store_true", help="keep the generated files under bench/out")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--cameras", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    folder = OUT / f"import-{args.rows}-{args.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    files = {"parquet": folder / "reads.parquet", "csv": folder / "reads.csv", "cameras": folder / "cameras.csv"}
    if not all(p.exists() for p in files.values()):
        started = time.perf_counter()
        files = write_files(folder, args.rows, args.seed)
        print(f"generated {args.rows:,} reads in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory(prefix="pingan-bench-") as tmp:
        for fmt in args.formats.split(","):
            store = Path(tmp) / f"{fmt}.duckdb"
            size = files[fmt].stat().st_size / 2**20
            for label, cams in (("first import", files["cameras"]), ("re-import", None)):
                r = _run(files[fmt], store, cams)
                print(f"{fmt:8} {label:13} {r['rows']:>11,} rows ({size:,.0f} MiB) in {r['seconds']:6.1f} s "
                      f"= {r['rows'] / r['seconds'] / 1e6:5.2f} M rows/s (CPU {r['cpu_seconds']:5.1f} s, "
                      f"{r['rows'] / r['cpu_seconds'] / 1e6:4.2f} M rows per CPU-s); peak RSS "
                      f"{r['peak_rss_mib']:,.0f} MiB; accepted {r['accepted']:,}, already stored {r['already']:,}",
                      flush=True)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if not args.keep:
        for p in files.values():
            p.unlink(missing_ok=True)
        folder.rmdir()


if __name__ == "__main__":
    main()
