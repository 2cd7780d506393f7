"""Tiny helpers that write import files, so the tests read like the data they feed in.

Rows are dicts; a file's columns are the keys in the order they first appear. Times are written as the
camera systems write them (local time without offset unless a test says otherwise).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pingan.store.db import Store
from pingan.store.importers import ImportReport, import_file

Row = dict[str, Any]

CAMERAS = [
    {"camera_id": "K1", "lon": 118.80, "lat": 32.05, "name": "中山路卡口"},
    {"camera_id": "K2", "lon": 118.81, "lat": 32.06, "name": "人民路卡口"},
    {"camera_id": "K3", "lon": 118.82, "lat": 32.07, "name": "建设路卡口"},
]


def make_read(plate: str = "苏N12345", camera: str = "K1", t: str = "2026-03-01 08:00:00", **more: Any) -> Row:
    """One read as a camera system exports it."""
    return {"camera_id": camera, "ts": t, "plate": plate, **more}


def _columns(rows: list[Row], columns: list[str] | None) -> list[str]:
    if columns is not None:
        return columns
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def csv_text(rows: list[Row], *, columns: list[str] | None = None, delimiter: str = ",") -> str:
    out = io.StringIO()
    cols = _columns(rows, columns)
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in cols])
    return out.getvalue()


def write_csv(folder: Path, name: str, rows: list[Row], *, columns: list[str] | None = None,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    path = folder / name
    path.write_bytes(csv_text(rows, columns=columns, delimiter=delimiter).encode(encoding))
    return path


def write_parquet(folder: Path, name: str, rows: list[Row] | pa.Table, *, schema: pa.Schema | None = None) -> Path:
    path = folder / name
    table = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path)
    return path


def write_reads_csv(folder: Path, rows: list[Row], name: str = "reads.csv", **kw: Any) -> Path:
    return write_csv(folder, name, rows, **kw)


def write_reads_parquet(folder: Path, rows: list[Row], name: str = "reads.parquet", **kw: Any) -> Path:
    return write_parquet(folder, name, rows, **kw)


def write_geojson(folder: Path, features: list[Any], name: str = "grids.geojson") -> Path:
    path = folder / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    """A GeoJSON Polygon: the square of ``size`` degrees with its south-west corner at (lon, lat)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def load(store: Store, kind: str, path: Path, **kw: Any) -> ImportReport:
    return import_file(store, kind, path, **kw)


def load_cameras(store: Store, folder: Path, rows: list[Row] | None = None) -> ImportReport:
    return import_file(store, "cameras", write_csv(folder, "cameras.csv", rows or CAMERAS))


def stored_reads(store: Store) -> list[tuple[Any, ...]]:
    """(read_id, camera_id, ts, day, plate, plate_raw, plate_valid, confidence) of every stored read, in
    storage order."""
    return store.con.execute(
        "SELECT read_id, camera_id, ts, day, plate, plate_raw, plate_valid, confidence FROM reads ORDER BY rowid"
    ).fetchall()


def count(store: Store, table: str) -> int:
    return int(store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
