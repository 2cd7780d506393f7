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
        if tactic == "trajectory":
            from pingan.anpr.trajectory import TrajectoryQuery, trajectory

            n_variants = 0
            for plate in params["plates"]:
                t0 = time.perf_counter()
                r = trajectory(store, TrajectoryQuery(plate=plate, period=period))
                seconds.append(time.perf_counter() - t0)
                n_variants += bool(r.variants) or any("look misread" in x for x in r.reasons)
            detail["looked_up_variants"] = n_variants
        elif tactic == "trajectory_plain":
            from pingan.anpr.trajectory import TrajectoryQuery, trajectory

            for plate in params["plates"]:
                t0 = time.perf_counter()
                trajectory(store, TrajectoryQuery(plate=plate, period=period, variants=False))
                seconds.append(time.perf_counter() - t0)
        elif tactic == "companions":
            from pingan.anpr.companions import CompanionQuery, companions

            found = []
            for plate in params["plates"]:
                t0 = time.perf_counter()
                r = companions(store, CompanionQuery(plate=plate, period=period))
                seconds.append(time.perf_counter() - t0)
                found.append(len(r.companions))
            detail["companions_found"] = found
        elif tactic == "stay_points":
            from pingan.anpr.staypoints import StayQuery, stay_points

            for plate in params["plates"]:
                t0 = time.perf_counter()
                stay_points(store, StayQuery(plate=plate, period=period))
                seconds.append(time.perf_counter() - t0)
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
    n, first, last = con.execute("SELECT count(*), min(day), max(day) FROM reads").fetchall()[0]
    per_day = con.execute("SELECT count(*) FROM reads GROUP BY day").fetchall()
    con.close()
    return {"reads": int(n), "first_day": first.isoformat(), "last_day": last.isoformat(),
            "days": (last - first).days + 1, "max_reads_per_day": max(r[0] for r in per_day),
            "store_gb": round(store_path.stat().st_size / 1e9, 2)}


def summarise(name: str, m: dict[str, Any]) -> dict[str, Any]:
    s = np.array(m["seconds"])
    return {"tactic": name, "runs": len(s), "p50_s": float(np.percentile(s, 50)), "p95_s": float(np.percentile(s, 95)),
            "max_s": float(s.max()), "peak_rss_mb": round(m["rss_mb"], 0),
            **{k: v for k, v in m.items() if k not in ("tactic", "seconds", "rss_mb")}}


def markdown(rows: list[dict[str, Any]], facts: dict[str, Any]) -> str:
    lines = [f"Store: {facts['reads']:,} reads over {facts['days']} days "
             f"(up to {facts['max_reads_per_day']:,} a day), {facts['store_gb']} GB on disk.", "",
             "| tactic | runs | p50 | p95 | peak RSS | target | met |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        target = TARGETS.get(r["tactic"])
        t_text, met = "", ""
        if target:
            _, t_s, t_mb = target
            ok = r["p95_s"] < t_s and (t_mb is None or r["peak_rss_mb"] < t_mb)
            t_text = f"< {t_s:g} s" + (f", < {t_mb / 1024:g} GB" if t_mb else "")
            met = "yes" if ok else "**no**"
        lines.append(f"| {r['tactic']} | {r['runs']} | {_t(r['p50_s'])} | {_t(r['p95_s'])} | "
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
    facts = store_facts(args.store)
    first, last = date.fromisoformat(facts["first_day"]), date.fromisoformat(facts["last_day"])
    month = {"first": str(max(first, last - timedelta(days=29))), "last": str(last)}
    plates = pick_plates(args.store, last, args.plates)
    mid = first + (last - first) // 2
    rows = []

    def timed(name: str, tactic: str, params: dict[str, Any]) -> None:
        print(f"timing {name} …", flush=True)
        m = run_measure(args.store, tactic, params)
        rows.append(summarise(name, m))
        print("  ", {k: v for k, v in rows[-1].items() if k not in ("per_day_s", "candidates_per_day")}, flush=True)

    timed("trajectory", "trajectory", {**month, "plates": plates})
    timed("trajectory_plain", "trajectory_plain", {**month, "plates": plates})
    timed("companions", "companions", {**month, "plates": plates[:20]})
    timed("stay_points", "stay_points", {**month, "plates": plates[:20]})
    day_runs = []
    for day in sorted({last, mid, first + timedelta(days=1)}):
        m = run_measure(args.store, "cloned_day", {"first": str(day), "last": str(day), "clones": clones})
        day_runs.append(m)
        print(f"  cloned {day}: {m['seconds'][0]:.2f} s, {m['rss_mb']:.0f} MB, flagged {m['flagged']}", flush=True)
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
    doc = {"facts": facts, "build": {k: v for k, v in build_info.items() if k != "clones"}, "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=str))
    print()
    print(markdown(rows, facts))


if __name__ == "__main__":
    main()
