"""Speed of the grid work at the seed city's size: placing points, fusing grids, grading.

    python bench/grids_locate.py                       # 1 M points, 1,065 police / 5,160 governance grids
    python bench/grids_locate.py --points 5000000 --write-doc

Builds a synthetic county (Voronoi grids, smaller in the town centre), then measures:

* ``locate``: points per second placed into the police grids (best of three runs, points half in the
  town centre, half spread over the county, some outside it);
* ``fuse``: governance grids fused into police grids (area in an equal-area projection);
* ``grade``: one grading of every police grid with 90 days of cases and the seed's 1,856 disputes, and a
  weekly series of 12 gradings (hysteresis reads the history).

With ``--write-doc`` the table replaces the one between the bench markers in docs/grids.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "grids.md"
BOUNDS = (118.57, 33.91, 118.97, 34.27)  # about 37 × 40 km around the simulator's county centre
START, END = "<!-- bench:grids:start -->", "<!-- bench:grids:end -->"


def best_of(runs: int, fn):  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def points(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x0, y0, x1, y1 = BOUNDS
    half = n // 2
    cx, cy = rng.normal((x0 + x1) / 2, (x1 - x0) / 10, half), rng.normal((y0 + y1) / 2, (y1 - y0) / 10, half)
    ux, uy = rng.uniform(x0 - 0.02, x1 + 0.02, n - half), rng.uniform(y0 - 0.02, y1 + 0.02, n - half)
    return np.concatenate([cx, ux]), np.concatenate([cy, uy])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--police", type=int, default=1065)
    parser.add_argument("--governance", type=int, default=5160)
    parser.add_argument("--cases", type=int, default=100_000, help="cases over the 90 days before grading")
    parser.add_argument("--disputes", type=int, default=1856)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()

    from pingan.grids._arrow import append_rows
    from pingan.grids.fusion import fuse
    from pingan.grids.geometry import load_grids
    from pingan.grids.grading import grade, grade_series, series_dates
    from pingan.grids.synth import county_grids, write_grids
    from pingan.store.db import open_store

    rng = np.random.default_rng(0)
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp, open_store(Path(tmp) / "bench.duckdb") as store:
        t0 = time.perf_counter()
        write_grids(store, county_grids(BOUNDS, police=args.police, governance=args.governance))
        rows.append(("build and store the grid maps", f"{time.perf_counter() - t0:.2f} s"))

        t_load, police = best_of(3, lambda: load_grids(store, "police"))
        police.tree  # noqa: B018  (build the index outside the timing of locate)
        rows.append((f"load {len(police):,} police grids from the store (WKB → shapely, prepared)",
                     f"{t_load:.3f} s"))
        x, y = points(args.points, rng)
        t_loc, found = best_of(3, lambda: police.locate_index(x, y))
        rate = args.points / t_loc
        inside = float((found >= 0).mean())
        rows.append((f"locate {args.points:,} points in the police grids ({inside:.0%} inside)",
                     f"{t_loc:.2f} s = **{rate / 1e6:.2f} M points/s**"))
        t_small, _ = best_of(3, lambda: police.locate_index(x[:1000], y[:1000]))
        rows.append(("locate 1,000 points (one day's cases)", f"{t_small * 1000:.1f} ms"))

        t_fuse, report = best_of(1, lambda: fuse(store))
        rows.append((f"fuse {len(report.fusions):,} governance grids into {report.police_grids:,} police grids "
                     f"({len(report.split):,} straddle, {len(report.orphans)} orphans)", f"{t_fuse:.2f} s"))

        as_of = datetime(2026, 3, 1)
        cx, cy = points(args.cases, rng)
        when = as_of - timedelta(days=90) + timedelta(seconds=1) * rng.uniform(0, 90 * 86400, args.cases)
        cats = rng.choice(["theft", "burglary", "fraud", "assault", "robbery", "vehicle_theft"], args.cases,
                          p=[0.4, 0.2, 0.2, 0.1, 0.05, 0.05])
        append_rows(store.con, "cases", ["case_id", "category", "lon", "lat", "start_ts", "end_ts"],
                [[f"K{i}", c, float(a), float(b), t, t + timedelta(hours=1)]
                 for i, (c, a, b, t) in enumerate(zip(cats, cx, cy, when, strict=True))])
        dx, dy = points(args.disputes, rng)
        opened = as_of - timedelta(days=60) + timedelta(seconds=1) * rng.uniform(0, 60 * 86400, args.disputes)
        levels = rng.choice(["low", "medium", "high"], args.disputes, p=[0.6, 0.3, 0.1])
        append_rows(store.con, "disputes", ["dispute_id", "lon", "lat", "level", "status", "opened_at", "parties"],
                [[f"D{i}", float(a), float(b), lv, "open", t, ["P1"]]
                 for i, (a, b, lv, t) in enumerate(zip(dx, dy, levels, opened, strict=True))])
        t_grade, grading = best_of(1, lambda: grade(store, as_of, police=police))
        rows.append((f"grade {len(grading.grades):,} police grids ({args.cases:,} cases over 90 days, "
                     f"{args.disputes:,} disputes): {grading.count('red')} red, {grading.count('yellow')} yellow, "
                     f"{grading.count('green')} green", f"{t_grade:.2f} s"))
        dates = series_dates(as_of - timedelta(days=77), as_of, timedelta(days=7))
        t_series, _ = best_of(1, lambda: grade_series(store, dates))
        rows.append((f"grade a weekly series of {len(dates)} dates (with hysteresis)",
                     f"{t_series:.2f} s ({t_series / len(dates):.2f} s each)"))

    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}")
    table = "\n".join([f"Measured {date.today().isoformat()} on {machine} (`python bench/grids_locate.py`):", "",
                       "| step | time |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]])
    print(table)
    if args.write_doc:
        text = DOC.read_text(encoding="utf-8")
        if START not in text or END not in text:
            sys.exit(f"{DOC} has no bench markers {START} … {END}")
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
        print(f"written to {DOC}")


if __name__ == "__main__":
    main()
