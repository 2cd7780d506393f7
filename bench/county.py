"""Build (or reuse) a simulated county and its store, for benchmarks and accuracy runs."""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from dataclasses import asdict
from datetime import date
from pathlib import Path

from pingan.anpr.summaries import build_derived
from pingan.anpr.vehicle_day_files import rename_store
from pingan.sim import SimConfig, simulate
from pingan.store.db import open_store
from pingan.store.importers import import_file

OUT = Path(__file__).parent / "out"
ORDER = ["cameras", "grids", "officers", "watchlist", "cases", "disputes", "reads"]
FILES = {"cameras": "cameras.csv", "grids": "grids.geojson", "officers": "officers.csv",
         "watchlist": "watchlist.csv", "cases": "cases.csv", "disputes": "disputes.csv", "reads": "reads.parquet"}


def simulator_version() -> str:
    """A digest of the simulator's source: a cached county is reused only by the code that made it."""
    digest = hashlib.sha1()
    for path in sorted((Path(__file__).parent.parent / "pingan" / "sim").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def county(config: SimConfig) -> tuple[Path, Path]:
    """The county folder and its imported store for ``config``, built once and cached under bench/out.

    The cache key covers the configuration and the simulator's source, so a changed simulator builds anew.
    """
    stamp = json.dumps(asdict(config), default=str, sort_keys=True) + simulator_version()
    key = hashlib.sha1(stamp.encode()).hexdigest()[:10]
    folder = OUT / f"county-{config.vehicles}-{config.days}-{config.seed}-{config.misread_rate}-{key}"
    db = folder / "pingan.duckdb"
    if db.exists():
        with open_store(db) as store:  # a county cached before summaries existed gets them now
            build_derived(store)
        return folder, db
    folder.mkdir(parents=True, exist_ok=True)
    simulate(folder, config)
    partial = folder / "partial.duckdb"
    partial.unlink(missing_ok=True)
    with open_store(partial) as store:
        for kind in ORDER:
            path = folder / FILES[kind]
            if path.exists():
                import_file(store, kind, path)
        build_derived(store)  # as `pingan import reads` and `pingan demo` do after the import
    rename_store(partial, db)
    return folder, db


def machine() -> str:
    """One line naming the machine and the date, for the figures' provenance."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError):
        pass
    return f"{cpu}, {cores} cores{mem}, Python {platform.python_version()}, {date.today().isoformat()}"
