"""How fast are the vehicle tactics at city scale? Latency (p50/p95) and peak memory against the targets.

Builds (or reuses) a large synthetic store with ``bench/tactics_data.py`` — by default 30 days at
10 M reads a day, 300 M reads, ordered by (day, plate, ts) — then times each tactic. Every measurement
runs in a fresh process that opens the store read-only, so each peak RSS belongs to that tactic alone.

Targets (issue 4): companions for one plate over 30 days < 1 s; cloned sweep of one 10 M-read day < 3 s
and < 2 GB RSS; a full month of clones < 90 s; trajectory of one plate over 30 days < 50 ms.

Usage:
    python bench/tactics_speed.py --store /tmp/bench/city.duckdb --build --days 30 --reads-per-day 10000000
    python bench/tactics_speed.py --store /tmp/bench/city.duckdb            # reuse a built store
Writes ``bench/results/tactics_speed.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {
    "companions": ("companions, one plate, 30 days", 1.0, None),
    "cloned_day": ("cloned sweep, one day", 3.0, 2048),
    "cloned_month": ("cloned sweep, the whole period", 90.0, None),
    "trajectory": ("trajectory, one plate, 30 days", 0.050, None),
}


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _period(first: date, last: date) -> Any:
    from pingan.anpr.area import Window
    from pingan.anpr.tactic_common import Period, day_start_utc

    return Period(Window(day_start_utc(first), day_start_utc(last + timedelta(days=1)) - timedelta(microseconds=1)))


def measure(store_path: Path, tactic: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one tactic (several inputs) in this process; seconds per call and peak RSS."""
    from pingan.store.db import open_store

    first, last = date.fromisoformat(params["first"]), date.fromisoformat(params["last"])
    period = _period(first, last)
    seconds: list[float] = []
    detail: dict[str, Any] = {}
    with open_store(store_path, read_only=True) as store:
        rss_open = _rss_mb()
        per_plate = {
            "trajectory": lambda plate: _trajectory(store, plate, period, None),
            "trajectory_plain": lambda plate: _trajectory(store, plate, period, False),
            "companions": lambda plate: _companions(store, plate, period, True),
            "companions_scan": lambda plate: _companions(store, plate, period, False),
            "stay_points": lambda plate: _stay_points(store, plate, period),
        }
        if tactic in per_plate:
            # two passes over the same plates: the first pays for loading DuckDB's buffers (a fresh
            # process), the second is the steady state of a long-running server
            cold = []
            for plate in params["plates"]:
                t0 = time.perf_counter()
                per_plate[tactic](plate)
                cold.append(time.perf_counter() - t0)
            found = []
            for plate in params["plates"]:
                t0 = time.perf_counter()
                found.append(per_plate[tactic](plate))
                seconds.append(time.perf_counter() - t0)
            detail["cold_p50_s"] = float(np.percentile(cold, 50))
            detail["cold_p95_s"] = float(np.percentile(cold, 95))
            if tactic.startswith("companions"):
                detail["companions_found"] = found
        elif tactic in ("cloned_day", "cloned_month"):
            from pingan.anpr.cloned import CloneQuery, cloned

            t0 = time.perf_counter()
            r = cloned(store, CloneQuery(period=period))
            seconds.append(time.perf_counter() - t0)
            flagged = {p.plate for p in r.plates}
            clones = set(params.get("clones", []))
            detail.update(flagged=len(flagged), planted=len(clones), planted_found=len(flagged & clones),
                          single_outliers=r.single_outliers, per_day_s=[round(d.seconds, 2) for d in r.days],
                          candidates_per_day=[d.candidates for d in r.days])
        elif tactic == "night_active":
            from pingan.anpr.patterns import NightQuery, night_active

            t0 = time.perf_counter()
            night_active(store, NightQuery(period=period))
            seconds.append(time.perf_counter() - t0)
        elif tactic == "first_seen":
            from pingan.anpr.patterns import FirstSeenQuery, first_seen

            t0 = time.perf_counter()
            r = first_seen(store, FirstSeenQuery(period=period, lookback=timedelta(days=params["lookback_days"])))
            seconds.append(time.perf_counter() - t0)
            detail["newcomers"] = len(r.vehicles)
        elif tactic == "loitering":
            from pingan.anpr.area import area_around
            from pingan.anpr.patterns import LoiterQuery, loitering

            for lon, lat in params["points"]:
                cams = tuple(area_around(store, lon, lat, 1.5).camera_ids)
                t0 = time.perf_counter()
                loitering(store, LoiterQuery(period=period, cameras=cams))
                seconds.append(time.perf_counter() - t0)
        elif tactic == "plate_search":
            from pingan.anpr.search import PlateSearchQuery, plate_search

            for pattern in params["patterns"]:
                t0 = time.perf_counter()
                plate_search(store, PlateSearchQuery(pattern=pattern, period=period, fuzzy=params.get("fuzzy", False)))
                seconds.append(time.perf_counter() - t0)
        else:
            raise SystemExit(f"unknown tactic {tactic}")
    return {"tactic": tactic, "seconds": seconds, "rss_mb": _rss_mb(), "rss_after_open_mb": rss_open, **detail}


def _trajectory(store: Any, plate: str, period: Any, variants: bool | None) -> int:
    from pingan.anpr.trajectory import TrajectoryQuery, trajectory

    return len(trajectory(store, TrajectoryQuery(plate=plate, period=period, variants=variants)).reads)


def _companions(store: Any, plate: str, period: Any, use_index: bool) -> int:
    from pingan.anpr.companions import CompanionQuery, companions

    return len(companions(store, CompanionQuery(plate=plate, period=period, use_index=use_index)).companions)


def _stay_points(store: Any, plate: str, period: Any) -> int:
    from pingan.anpr.staypoints import StayQuery, stay_points

    return len(stay_points(store, StayQuery(plate=plate, period=period)).points)


def run_measure(store: Path, tactic: str, params: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--store", str(store), "--measure", tactic, "--params", json.dumps(params)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def pick_plates(store_path: Path, day: date, n: int, seed: int = 1) -> list[str]:
    """Ordinary vehicles: plates with 5+ reads on a day (not misread strays)."""
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    rows = con.execute(
        f"SELECT plate FROM (SELECT plate, count(*) n FROM reads WHERE day = DATE '{day}' GROUP BY plate) "
        "WHERE n >= 5 ORDER BY hash(plate || ?) LIMIT ?", [str(seed), n]
    ).fetchall()
    con.close()
    return [r[0] for r in rows]


def store_facts(store_path: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    per_day = con.execute("SELECT day, count(*) FROM reads GROUP BY day ORDER BY day").fetchall()
    con.close()
    n = sum(r[1] for r in per_day)
    top = max(r[1] for r in per_day)
    full = [d for d, k in per_day if k >= 0.1 * top]  # a day with a handful of reads past midnight is no day
    first, last = full[0], full[-1]
    return {"reads": int(n), "first_day": first.isoformat(), "last_day": last.isoformat(),
            "days": (last - first).days + 1, "max_reads_per_day": top, "cpu_cores": os.cpu_count(),
            "store_gb": round(store_path.stat().st_size / 1e9, 2)}


def summarise(name: str, m: dict[str, Any]) -> dict[str, Any]:
    s = np.array(m["seconds"])
    return {"tactic": name, "runs": len(s), "p50_s": float(np.percentile(s, 50)), "p95_s": float(np.percentile(s, 95)),
            "max_s": float(s.max()), "peak_rss_mb": round(m["rss_mb"], 0),
            **{k: v for k, v in m.items() if k not in ("tactic", "seconds", "rss_mb")}}


def markdown(rows: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    lines = [f"Store: {facts['reads']:,} reads over {facts['days']} days "
             f"(up to {facts['max_reads_per_day']:,} a day), {facts['store_gb']} GB on disk.", "",
             "| tactic | runs | p50 | p95 | first run in a fresh process (p50) | peak RSS | target | met |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        target = TARGETS.get(r["tactic"])
        t_text, met = "", ""
        if target:
            _, t_s, t_mb = target
            ok = r["p95_s"] < t_s and (t_mb is None or r["peak_rss_mb"] < t_mb)
            t_text = f"< {t_s:g} s" + (f", < {t_mb / 1024:g} GB" if t_mb else "")
            met = "yes" if ok else "**no**"
        cold = _t(r["cold_p50_s"]) if "cold_p50_s" in r else ""
        lines.append(f"| {r['tactic']} | {r['runs']} | {_t(r['p50_s'])} | {_t(r['p95_s'])} | {cold} | "
                     f"{r['peak_rss_mb']:.0f} MB | {t_text} | {met} |")
    return "\n".join(lines)


def _t(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the vehicle tactics on a large synthetic store.")
    parser.add_argument("--store", type=Path, default=Path("/tmp/bench/city.duckdb"))
    parser.add_argument("--build", action="store_true", help="(Re)build the store first.")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reads-per-day", type=int, default=10_000_000)
    parser.add_argument("--plates", type=int, default=30, help="Plates timed per per-plate tactic.")
    parser.add_argument("--skip-month", action="store_true", help="Do not time the month-long clone sweep.")
    parser.add_argument("--only", nargs="*", default=None, metavar="TACTIC",
                        help="Time only these (e.g. night_active first_seen); results merge into --out.")
    parser.add_argument("--no-index", action="store_true",
                        help="Do not build the time index (companions then scan the reads table).")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tactics_speed.json")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.store, args.measure, json.loads(args.params))))
        return

    build_info: dict[str, Any] = {}
    clones_file = args.store.with_suffix(".clones.json")
    if args.build or not args.store.exists():
        from bench.tactics_data import build

        args.store.parent.mkdir(parents=True, exist_ok=True)
        print(f"Building {args.days} days x {args.reads_per_day:,} reads/day into {args.store} …")
        build_info = build(args.store, args.days, args.reads_per_day)
        clones_file.write_text(json.dumps(build_info["clones"]))
    clones = json.loads(clones_file.read_text()) if clones_file.exists() else []
    if not args.no_index:
        from pingan.anpr.time_index import build_time_index, fresh_days
        from pingan.store.db import open_store

        f = store_facts(args.store)
        first_d, last_d = date.fromisoformat(f["first_day"]), date.fromisoformat(f["last_day"])
        with open_store(args.store, read_only=True) as store:  # another reader may hold the store
            stale = len(fresh_days(store, first_d, last_d)) < f["days"]
        if stale:
            with open_store(args.store) as store:
                report = build_time_index(store)
                store.con.execute("CHECKPOINT")
            build_info["time_index"] = report.to_json() | {"days_built": len(report.built)}
            build_info["time_index"].pop("built")
            print(f"time index: {len(report.built)} day(s) built in {report.seconds:.0f} s", flush=True)
    facts = store_facts(args.store)
    first, last = date.fromisoformat(facts["first_day"]), date.fromisoformat(facts["last_day"])
    month = {"first": str(max(first, last - timedelta(days=29))), "last": str(last)}
    plates = pick_plates(args.store, last, args.plates)
    mid = first + (last - first) // 2
    rows = []

    def wanted(name: str) -> bool:
        return args.only is None or name in args.only

    def timed(name: str, tactic: str, params: dict[str, Any]) -> None:
        if not wanted(name):
            return
        print(f"timing {name} …", flush=True)
        m = run_measure(args.store, tactic, params)
        rows.append(summarise(name, m))
        print("  ", {k: v for k, v in rows[-1].items() if k not in ("per_day_s", "candidates_per_day")}, flush=True)

    timed("trajectory", "trajectory", {**month, "plates": plates})
    timed("trajectory_plain", "trajectory_plain", {**month, "plates": plates})
    timed("companions", "companions", {**month, "plates": plates[:20]})
    timed("companions_scan", "companions_scan", {**month, "plates": plates[:10]})
    timed("stay_points", "stay_points", {**month, "plates": plates[:20]})
    day_runs = []
    for day in sorted({last, mid, first + timedelta(days=1)}) if wanted("cloned_day") else []:
        m = run_measure(args.store, "cloned_day", {"first": str(day), "last": str(day), "clones": clones})
        day_runs.append(m)
        print(f"  cloned {day}: {m['seconds'][0]:.2f} s, {m['rss_mb']:.0f} MB, flagged {m['flagged']}", flush=True)
    if day_runs:
        rows.append(summarise("cloned_day", {"tactic": "cloned_day", "seconds": [m["seconds"][0] for m in day_runs],
                                             "rss_mb": max(m["rss_mb"] for m in day_runs),
                                             "flagged_per_day": [m["flagged"] for m in day_runs],
                                             "planted_found_per_day": [m["planted_found"] for m in day_runs]}))
    if not args.skip_month:
        timed("cloned_month", "cloned_month", {**month, "clones": clones})
    timed("night_active", "night_active", month)
    timed("first_seen", "first_seen", {"first": str(last), "last": str(last),
                                       "lookback_days": min(29, (last - first).days)})
    timed("loitering", "loitering", {**month, "points": [[118.55, 31.95], [118.70, 32.05], [118.45, 32.10]]})
    timed("plate_search", "plate_search", {**month, "patterns": ["苏N?2*", "苏A8?4??", "*B5E1"]})
    if args.only is not None and args.out.exists():  # merge into the last full run
        previous = json.loads(args.out.read_text())
        keep = [r for r in previous.get("results", []) if r["tactic"] not in {r2["tactic"] for r2 in rows}]
        order = [r["tactic"] for r in previous.get("results", [])]
        rows = sorted(keep + rows, key=lambda r: order.index(r["tactic"]) if r["tactic"] in order else len(order))
        build_info = build_info or previous.get("build", {})
    doc = {"facts": facts, "build": {k: v for k, v in build_info.items() if k != "clones"}, "results": rows,
           "load_average": os.getloadavg()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str))
    print()
    print(markdown(rows, facts))


if __name__ == "__main__":
    main()
