"""How fast the county simulator makes reads, and how much memory it needs.

Usage::

    .venv/bin/python bench/sim_speed.py                              # the demo county: 20,000 vehicles, 14 days
    .venv/bin/python bench/sim_speed.py --reads-per-day 10000000 --days 30   # a benchmark county
    .venv/bin/python bench/sim_speed.py --vehicles 200000 --days 3 --format both

``--reads-per-day`` sizes the fleet from a one-day pilot (reads per vehicle per day). Prints reads per
second of the traffic phase (generating and writing the reads, streamed a day at a time), the time of
each phase, CPU seconds and peak memory. The machine may be shared: the load average is printed too.
With ``--write-doc`` the figures go into ``docs/simulator.md`` between the ``sim-speed`` markers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pingan.sim import SimConfig, simulate  # noqa: E402

DOC = REPO / "docs" / "simulator.md"
START, END = "<!-- sim-speed:start -->", "<!-- sim-speed:end -->"


def reads_per_vehicle_day(seed: int, out: Path) -> float:
    """Reads one county vehicle makes per day (from a one-day, 20,000-vehicle pilot)."""
    pilot = simulate(out / "pilot", SimConfig(vehicles=20_000, days=1, seed=seed, case_history_days=0))
    shutil.rmtree(out / "pilot", ignore_errors=True)
    return pilot.counts["reads"] / 20_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=None)
    parser.add_argument("--reads-per-day", type=float, default=None, help="size the fleet for this many reads a day")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=["parquet", "csv", "both"], default="parquet")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "sim_speed")
    parser.add_argument("--keep", action="store_true", help="keep the county's files")
    parser.add_argument("--write-doc", action="store_true", help="record the figures in docs/simulator.md")
    args = parser.parse_args(argv)

    vehicles = args.vehicles or 20_000
    if args.reads_per_day:
        vehicles = int(args.reads_per_day / reads_per_vehicle_day(args.seed, args.out))
    config = SimConfig(vehicles=vehicles, days=args.days, seed=args.seed, reads_format=args.format)
    load_before = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    result = simulate(args.out / "county", config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    load_after = os.getloadavg()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size_mb = sum(p.stat().st_size for p in (args.out / "county").iterdir()) / 1e6
    reads = result.counts["reads"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
    lines = [
        f"{dt.date.today().isoformat()}, {platform.node() or 'this machine'} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}), load average {load_before[0]:.1f} before "
        f"and {load_after[0]:.1f} after:",
        f"{vehicles:,} vehicles, {args.days} days, {args.format}: {reads:,} reads "
        f"({reads / args.days / 1e6:.2f} M a day), {size_mb:,.0f} MB on disk.",
        f"Traffic phase (generate + write): {result.reads_per_second / 1e6:.2f} M reads/s; whole run "
        f"{reads / wall / 1e6:.2f} M reads/s in {wall:.1f} s wall, {cpu:.1f} s CPU ({reads / cpu / 1e6:.2f} M reads "
        f"per CPU second); peak memory {peak_mb:,.0f} MB. Phases: {phases}.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write_doc:
        doc = DOC.read_text(encoding="utf-8")
        head, rest = doc.split(START, 1)
        old, tail = rest.split(END, 1)
        entries = [e for e in old.strip().split("\n\n") if e.strip()]
        DOC.write_text(f"{head}{START}\n" + "\n\n".join([*entries, text]) + f"\n{END}{tail}", encoding="utf-8")
    if not args.keep:
        shutil.rmtree(args.out / "county", ignore_errors=True)


if __name__ == "__main__":
    main()
