"""suspects and collide at city scale (hundreds of millions of reads), and the area query in PostgreSQL 15.

    python bench/tactics_data.py /tmp/bench/city.duckdb --days 30 --reads-per-day 10000000   # ~300 M reads
    python bench/anpr_scale.py /tmp/bench/city.duckdb [--pg]

The reads store comes from ``bench/tactics_data.py`` (a fast synthetic city: 2,000 cameras on a 1.2 km grid,
~1.2 M vehicles, 10 M reads a day, laid out by (day, plate, ts) as pingan lays it out). This script makes a
small store beside it with the city's cameras, 20 cases at random places and nights (``--when day``: 3-hour
windows starting 08:00–16:00, when a 5 km area sees tens of thousands of vehicles, the seed case's size), and a
watchlist of 16,000 plates seen in the city, and reads the big store through an attached read-only view. Each
measurement runs in a fresh child process, so its peak RSS is its own. Results are appended to
docs/anpr_speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DOC = ROOT / "docs" / "anpr_speed.md"
CATEGORIES = ["cable_theft", "burglary", "theft", "vehicle_theft", "robbery", "drugs", "fraud", "assault"]


def build(wrapper: Path, reads_db: str, seed: int, when: str = "night") -> list[str]:
    """The small store: cameras, cases and a watchlist over the big store's reads."""
    import numpy as np

    from pingan.store.db import open_store

    wrapper.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    with open_store(wrapper) as store:
        con = store.con
        con.execute(f"ATTACH '{reads_db}' AS city (READ_ONLY)")
        con.execute("INSERT INTO cameras SELECT * FROM city.cameras")
        # whole local days only: the store's last local day holds only the reads of its first instants, and a
        # case placed there would see nothing (sessions 1–5 placed up to 3 of the 20 night cases there)
        days = con.execute("SELECT day, count(*) FROM city.reads GROUP BY day ORDER BY day").fetchall()
        typical = sorted(n for _, n in days)[len(days) // 2]
        whole = [d for d, n in days if n >= typical // 2]
        first, last = whole[0], whole[-1]
        cams = con.execute("SELECT lon, lat FROM cameras").fetchall()
        case_ids = []
        for i in range(20):
            lon, lat = cams[int(rng.integers(len(cams)))]
            # the first five share the last day (the PostgreSQL comparison loads only the days they touch)
            day = last if i < 5 else first + timedelta(days=int(rng.integers(20, (last - first).days + 1)))
            if when == "day":
                start_hour = int(rng.integers(8, 17))  # days: 08:00–16:00 local
            else:
                start_hour = int(rng.integers(-3, 3)) % 24  # nights: 21:00–02:00 local, stored as UTC
            start = (day - timedelta(days=1 if start_hour >= 21 else 0)).isoformat() + f" {start_hour:02d}:00"
            cid = f"B{i:03d}"
            con.execute("INSERT INTO cases (case_id, category, lon, lat, start_ts, end_ts, batch_id) VALUES "
                        "(?, ?, ?, ?, CAST(? AS TIMESTAMP) - INTERVAL 8 HOUR, CAST(? AS TIMESTAMP) - INTERVAL 5 HOUR, 0)",
                        [cid, CATEGORIES[i % len(CATEGORIES)], lon + 0.002, lat + 0.002, start, start])
            case_ids.append(cid)
        con.execute(f"""
            INSERT INTO watchlist (list, plate, plate_raw, person_id, categories, batch_id)
            SELECT 'priors', plate, plate, 'P' || lpad(CAST(row_number() OVER () AS VARCHAR), 6, '0'),
                   [list_element(['cable_theft','burglary','theft','vehicle_theft','drugs','fraud'], 1 + CAST(hash(plate) % 6 AS INTEGER))], 0
            FROM (SELECT DISTINCT plate FROM city.reads WHERE day = DATE '{last}' ORDER BY hash(plate) LIMIT 16000)
        """)
        # (until session 6 a USING SAMPLE here drew 16,000 rows of the whole store before the day filter, and the
        # day was the store's near-empty last one: the watchlist came out empty)
        listed = con.execute("SELECT count(*) FROM watchlist").fetchone()[0]
        if listed != 16000:
            raise SystemExit(f"The benchmark watchlist holds {listed:,} plates, not 16,000.")
    return case_ids


def child(wrapper: str, reads_db: str, case_ids: list[str], groups: list[list[str]], top: int | None) -> None:
    from bench.anpr_speed import child as timed

    timed(wrapper, case_ids, groups, top, reads_db=reads_db)


def memory_setting() -> str:
    """DuckDB's memory for the timed runs, as the setting gives it."""
    from pingan.config import settings

    settings.cache_clear()
    value = settings().duckdb_memory_limit
    return "DuckDB's own, 80 % of RAM" if value.strip().lower() == "duckdb" else value.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reads_db")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--when", choices=("night", "day"), default="night",
                        help="night cases (the default) or daytime cases of the seed case's size")
    parser.add_argument("--pg", action="store_true", help="also compare with PostgreSQL 15 (loads ~30 days)")
    parser.add_argument("--pg-only", action="store_true", help="only the PostgreSQL comparison")
    parser.add_argument("--pg-history-days", type=int, default=28,
                        help="the history both engines count in the PostgreSQL comparison (a month needs ~35 GB)")
    parser.add_argument("--pg-area-only", action="store_true",
                        help="PostgreSQL on the area query alone: loads only the windows' days (a month needs ~35 GB)")
    parser.add_argument("--build", action="store_true",
                        help="build the per-day summaries and the time index into the reads store first")
    parser.add_argument("--duckdb-memory-limit", default=None, metavar="AMOUNT",
                        help="PINGAN_DUCKDB_MEMORY_LIMIT for the timed runs, e.g. 1.5GB, or 'duckdb' for DuckDB's own "
                             "(default: pingan's, 1GB, unless the environment sets it)")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        wrapper, reads_db, ids, groups, top = args.child
        child(wrapper, reads_db, json.loads(ids), json.loads(groups), None if top == "none" else int(top))
        return

    import duckdb

    from bench.anpr_speed import quantile
    from bench.county import machine

    wrapper = ROOT / "bench" / "out" / "scale.duckdb"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    if args.build:
        from pingan.anpr.summaries import build_derived
        from pingan.store.db import open_store

        with open_store(args.reads_db) as store:
            report = build_derived(store)
        per_day = report.summaries.seconds_per_day
        print(f"Summaries: {len(report.summaries.built)} day(s) in {report.summaries.seconds:.0f} s "
              f"({statistics.median(per_day.values()) if per_day else 0:.1f} s a day); time index: "
              f"{len(report.index.built)} day(s) in {report.index.seconds:.0f} s.", flush=True)
    case_ids = build(wrapper, args.reads_db, args.seed, args.when)
    groups = [case_ids[i:i + 5] for i in range(0, 20, 5)]
    con = duckdb.connect(args.reads_db, read_only=True)
    n_reads, first, last = con.execute("SELECT count(*), min(day), max(day) FROM reads").fetchall()[0]
    derived = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    summarised = con.execute("SELECT count(*) FROM anpr_summary_days").fetchall()[0][0] \
        if "anpr_summary_days" in derived else 0
    con.close()
    size_gb = Path(args.reads_db).stat().st_size / 1e9
    results = {}
    if args.pg_only:
        return pg_part(args, wrapper, n_reads)
    if args.duckdb_memory_limit:
        os.environ["PINGAN_DUCKDB_MEMORY_LIMIT"] = args.duckdb_memory_limit
    for top in ("20", "none"):
        out = subprocess.run([sys.executable, __file__, args.reads_db, "--child", str(wrapper), args.reads_db,
                              json.dumps(case_ids), json.dumps(groups), top],
                             capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        results[top] = json.loads(out.stdout.strip().splitlines()[-1])
    s20, sall = results["20"], results["none"]
    load = os.getloadavg()
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M')}: city scale, {n_reads:,} reads over {(last - first).days + 1} days"
        + (", with the per-day summaries and the time index" if summarised else ""),
        "",
        f"Machine: {machine()}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) when "
        f"the runs ended, other engineers' jobs sharing the 2 cores. Reads store {size_gb:.1f} GB "
        f"(`bench/tactics_data.py`: 2,000 cameras, ~1.2 M vehicles, 10 M reads/day"
        + (f"; {summarised} days summarised" if summarised else "") + f"), 20 {args.when} cases at random places, "
        f"16,000 watchlisted plates. Vehicles seen per case: median {statistics.median(s20['vehicles_seen']):,.0f}, "
        f"max {max(s20['vehicles_seen']):,}. Each query includes the 28-day history at the area's cameras, "
        "the usual places, unseen stays and own hours of the 1,000 first-pass best."
        + f" DuckDB's memory: {memory_setting()} (PINGAN_DUCKDB_MEMORY_LIMIT)."
        + (f" At the end of the run the process held {s20['rss_anon_mb_at_end']:,.0f} MB of its own memory and "
           f"{s20['rss_file_mb_at_end']:,.0f} MB of mapped file pages (the day files: shared page cache)."
           if s20.get("rss_anon_mb_at_end") is not None else ""),
        "",
        "| query | runs | p50 s | p95 s | peak RSS MB | target |",
        "|---|---|---|---|---|---|",
        f"| suspects --top 20 | 20 | {statistics.median(s20['suspects']):.2f} | {quantile(s20['suspects'], 0.95):.2f} "
        f"| {s20['rss_mb']:.0f} | p50 < 0.5 s, < 4 GB |",
        f"| suspects, every candidate with its reads | 20 | {statistics.median(sall['suspects']):.2f} | "
        f"{quantile(sall['suspects'], 0.95):.2f} | {sall['rss_mb']:.0f} | |",
        f"| collide over 5 cases (k = 2) | 4 | {statistics.median(s20['collide']):.2f} | "
        f"{quantile(s20['collide'], 0.95):.2f} | {s20['rss_mb']:.0f} | |",
        "",
    ]
    with DOC.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    if args.pg:
        pg_part(args, wrapper, n_reads)


def pg_part(args: argparse.Namespace, wrapper: Path, n_reads: int) -> None:
    """The PostgreSQL side-by-side on the first five cases (they share the last day), appended to the doc."""
    from bench.anpr_speed import pg_lines, postgres_compare
    from pingan.store.db import open_store

    with open_store(wrapper, read_only=True) as store:
        cases = store.con.execute(
            "SELECT case_id, category, lon, lat, start_ts - INTERVAL 2 HOUR, end_ts + INTERVAL 2 HOUR FROM cases "
            "ORDER BY case_id LIMIT 5").fetchall()
    pg = postgres_compare(wrapper, cases, ROOT / "bench" / "out" / "pg", reads_db=Path(args.reads_db),
                          area_only=args.pg_area_only, history_days=args.pg_history_days,
                          log=lambda text: print(text, flush=True))
    load = os.getloadavg()
    lines = [f"### {time.strftime('%Y-%m-%d %H:%M')}: PostgreSQL side by side ({n_reads / 1e6:.0f} M-read store, "
             f"{args.when} cases; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f})", "", *pg_lines(pg)]
    with DOC.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
