"""Latency and memory of suspects and collide on a large simulated county, and the area query in PostgreSQL.

    python bench/anpr_speed.py --vehicles 400000 --days 30          # builds (or reuses) the county
    python bench/anpr_speed.py --vehicles 400000 --days 30 --pg      # adds the PostgreSQL 15 comparison

Each measurement runs in a fresh child process so that its peak RSS is its own. Results are appended to
docs/anpr_speed.md with the machine and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "anpr_speed.md"


def child(db: str, case_ids: list[str], groups: list[list[str]], top: int | None,
          reads_db: str | None = None) -> None:
    """Run in a subprocess: time suspects per case and collide per group; print JSON with peak RSS.

    With ``reads_db``, the reads come from that (attached, read-only) store instead.
    """
    import resource

    from pingan.anpr.collide import CollideQuery, collide
    from pingan.anpr.suspects import SuspectQuery, suspects
    from pingan.store.db import open_store

    with open_store(db, read_only=True) as store:
        if reads_db is not None:
            store.con.execute(f"ATTACH '{reads_db}' AS city (READ_ONLY)")
            store.con.execute("CREATE OR REPLACE TEMP VIEW reads AS SELECT * FROM city.reads")
        suspects(store, SuspectQuery(case_id=case_ids[0], top=top))  # warm the file cache
        times, seen = [], []
        for cid in case_ids:
            t0 = time.perf_counter()
            result = suspects(store, SuspectQuery(case_id=cid, top=top))
            times.append(time.perf_counter() - t0)
            seen.append(result.vehicles_seen)
        ctimes = []
        for group in groups:
            t0 = time.perf_counter()
            collide(store, CollideQuery(case_ids=tuple(group), min_cases=2))
            ctimes.append(time.perf_counter() - t0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"suspects": times, "vehicles_seen": seen, "collide": ctimes, "rss_mb": rss_mb}))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def postgres_compare(db: Path, cases: list[tuple], workdir: Path, max_rows: int) -> dict[str, float | int]:
    """Load the same reads into PostgreSQL 15 with its best index and time the same area query."""
    import duckdb
    import psycopg

    from pingan.anpr.area import area_around
    from pingan.store.db import open_store

    if not shutil.which("pg_ctlcluster") and not Path("/usr/lib/postgresql/15/bin/initdb").exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql-15"], check=True)
    bindir = Path("/usr/lib/postgresql/15/bin")
    pgdata = workdir / "pgdata"
    if pgdata.exists():
        shutil.rmtree(pgdata)
    pgdata.mkdir(parents=True)
    shutil.chown(pgdata, "postgres")
    shutil.chown(workdir, "postgres")
    run_as = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(pgdata), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "log"), "-w", "-o",
                    f"-p 55432 -k {pgdata} -c shared_buffers=2GB -c max_wal_size=8GB -c work_mem=256MB", "start"],
                   check=True, capture_output=True)
    try:
        csv = workdir / "reads.csv"
        con = duckdb.connect(str(db), read_only=True)
        total = con.execute("SELECT count(*) FROM reads").fetchone()[0]
        if total <= max_rows:
            where = "TRUE"
        else:  # PostgreSQL gets the days the cases touch (a smaller table, in its favour)
            days = sorted({d for case in cases for d in (case[4].date(), case[5].date())})
            where = "day IN (" + ", ".join(f"DATE '{d}'" for d in days) + ")"
        con.execute(f"COPY (SELECT camera_id, ts, plate FROM reads WHERE {where}) TO '{csv}' (HEADER false)")
        loaded = con.execute(f"SELECT count(*) FROM reads WHERE {where}").fetchone()[0]
        con.close()
        shutil.chown(csv, "postgres")
        with psycopg.connect(host=str(pgdata), port=55432, user="postgres", dbname="postgres", autocommit=True) as pg:
            pg.execute("DROP TABLE IF EXISTS reads")
            pg.execute("CREATE UNLOGGED TABLE reads (camera_id text, ts timestamp, plate text)")
            t0 = time.perf_counter()
            pg.execute(f"COPY reads FROM '{csv}' (FORMAT csv)")
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            pg.execute("CREATE INDEX ON reads (camera_id, ts)")  # the best index for the area query (notes)
            pg.execute("ANALYZE reads")
            index_s = time.perf_counter() - t0
            pg_times, duck_times = [], []
            with open_store(db, read_only=True) as store:
                for case in cases:
                    area = area_around(store, case[2], case[3], 5.0)
                    ids = area.camera_ids
                    start, end = case[4], case[5]
                    sql = ("SELECT plate, count(*) FROM reads WHERE camera_id = ANY(%s) AND ts BETWEEN %s AND %s "
                           "GROUP BY plate")
                    pg.execute(sql, [ids, start, end]).fetchall()  # warm
                    t0 = time.perf_counter()
                    pg_rows = pg.execute(sql, [ids, start, end]).fetchall()
                    pg_times.append(time.perf_counter() - t0)
                    dsql = ("SELECT plate, count(*) FROM reads WHERE camera_id IN (SELECT unnest(?::VARCHAR[])) "
                            f"AND day BETWEEN DATE '{start.date()}' - 1 AND DATE '{end.date()}' + 1 "
                            f"AND ts BETWEEN TIMESTAMP '{start}' AND TIMESTAMP '{end}' GROUP BY plate")
                    store.con.execute(dsql, [ids]).fetchall()
                    t0 = time.perf_counter()
                    duck_rows = store.con.execute(dsql, [ids]).fetchall()
                    duck_times.append(time.perf_counter() - t0)
                    if loaded == total:
                        assert sorted(pg_rows) == sorted(duck_rows), "PostgreSQL and DuckDB disagree"
        csv.unlink(missing_ok=True)
        return {"rows": loaded, "total_rows": total, "load_s": load_s, "index_s": index_s,
                "pg_p50": statistics.median(pg_times), "duck_p50": statistics.median(duck_times),
                "ratio": statistics.median(pg_times) / max(1e-9, statistics.median(duck_times))}
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "stop"],
                       capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=400_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cases", type=int, default=20, help="how many planted cases to time")
    parser.add_argument("--pg", action="store_true", help="also compare with PostgreSQL 15")
    parser.add_argument("--pg-max-rows", type=int, default=60_000_000)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        db, ids, groups, top = args.child
        child(db, json.loads(ids), json.loads(groups), None if top == "none" else int(top))
        return

    from bench.county import county, machine
    from pingan.sim import SimConfig
    from pingan.store.db import open_store

    t0 = time.perf_counter()
    folder, db = county(SimConfig(vehicles=args.vehicles, days=args.days, seed=args.seed, offences=args.cases,
                                  serial_offenders=3))
    build_s = time.perf_counter() - t0
    key = json.loads((folder / "answer_key.json").read_text())
    case_ids = [o["case_id"] for o in key["offences"]][: args.cases]
    groups = [case_ids[i:i + 5] for i in range(0, len(case_ids) - 4, 5)]
    with open_store(db, read_only=True) as store:
        reads = store.con.execute("SELECT count(*), min(day), max(day) FROM reads").fetchone()
        cases = store.con.execute(
            f"SELECT case_id, category, lon, lat, start_ts - INTERVAL 2 HOUR, end_ts + INTERVAL 2 HOUR FROM cases "
            f"WHERE case_id IN ({', '.join(repr(c) for c in case_ids)})").fetchall()
    size_gb = db.stat().st_size / 1e9
    results = {}
    for top in ("20", "none"):
        out = subprocess.run([sys.executable, __file__, "--child", str(db), json.dumps(case_ids), json.dumps(groups), top],
                             capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        results[top] = json.loads(out.stdout.strip().splitlines()[-1])
    pg = postgres_compare(db, cases[:5], folder / "pg", args.pg_max_rows) if args.pg else None

    s20, sall = results["20"], results["none"]
    lines = [
        f"## {time.strftime('%Y-%m-%d')}: {reads[0]:,} reads ({args.vehicles:,} vehicles, {args.days} days)",
        "",
        f"Machine: {machine()}. Store {size_gb:.1f} GB on disk (built in {build_s:.0f} s, or reused). "
        f"Median vehicles seen per case: {statistics.median(s20['vehicles_seen']):,.0f}.",
        "",
        "| query | cases | p50 s | p95 s | peak RSS MB |",
        "|---|---|---|---|---|",
        f"| suspects --top 20 (history included) | {len(case_ids)} | {statistics.median(s20['suspects']):.3f} | "
        f"{quantile(s20['suspects'], 0.95):.3f} | {s20['rss_mb']:.0f} |",
        f"| suspects, every candidate with reads | {len(case_ids)} | {statistics.median(sall['suspects']):.3f} | "
        f"{quantile(sall['suspects'], 0.95):.3f} | {sall['rss_mb']:.0f} |",
        f"| collide over 5 cases (k=2) | {len(groups)} groups | {statistics.median(s20['collide']):.3f} | "
        f"{quantile(s20['collide'], 0.95):.3f} | {s20['rss_mb']:.0f} |",
        "",
    ]
    if pg:
        lines += [
            f"PostgreSQL 15 (Debian, index on (camera_id, ts), UNLOGGED, shared_buffers 2 GB) on {pg['rows']:,} of "
            f"the {pg['total_rows']:,} reads (load {pg['load_s']:.0f} s, index {pg['index_s']:.0f} s): area query "
            f"p50 {pg['pg_p50'] * 1000:.1f} ms vs DuckDB {pg['duck_p50'] * 1000:.1f} ms on the full store "
            f"(DuckDB is {pg['ratio']:.1f}x faster).",
            "",
        ]
    DOC.parent.mkdir(exist_ok=True)
    with DOC.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
