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
from datetime import timedelta
from pathlib import Path
from typing import Any

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
    from pingan.anpr.summaries import forget
    from pingan.anpr.suspects import SuspectQuery, suspects
    from pingan.store.db import open_store

    with open_store(db, read_only=True) as store:
        if reads_db is not None:
            attach_reads(store, reads_db)
        suspects(store, SuspectQuery(case_id=case_ids[0], top=top))  # warm the file cache
        times, seen = [], []
        for cid in case_ids:
            forget(store)  # as a new command would: nothing counted or fetched by the query before
            t0 = time.perf_counter()
            result = suspects(store, SuspectQuery(case_id=cid, top=top))
            times.append(time.perf_counter() - t0)
            seen.append(result.vehicles_seen)
        ctimes = []
        for group in groups:
            forget(store)
            t0 = time.perf_counter()
            collide(store, CollideQuery(case_ids=tuple(group), min_cases=2))
            ctimes.append(time.perf_counter() - t0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # what the peak is made of, as it stands at the end: private memory, and mapped file pages (the day files:
    # page cache shared with every other process, and given back under memory pressure)
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    parts = {k: int(status[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile") if k in status}
    print(json.dumps({"suspects": times, "vehicles_seen": seen, "collide": ctimes, "rss_mb": rss_mb,
                      "rss_anon_mb_at_end": parts.get("RssAnon"), "rss_file_mb_at_end": parts.get("RssFile")}))


#: The reads and what is derived from them (time index, per-day summaries), read from an attached store.
READ_TABLES = ("reads", "anpr_time_index", "anpr_time_index_days", "anpr_vehicle_days", "anpr_camera_hours",
               "anpr_summary_cameras", "anpr_summary_days", "anpr_summary_state", "anpr_summary_files")


def attach_reads(store: Any, reads_db: str) -> list[str]:
    """Read the reads (and their derived tables, where built) of another store through temp views."""
    store.con.execute(f"ATTACH '{reads_db}' AS city (READ_ONLY)")
    there = {r[0] for r in store.con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'city'").fetchall()}
    viewed = [t for t in READ_TABLES if t in there]
    for table in viewed:
        store.con.execute(f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM city.{table}")
    return viewed


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


#: The index sets PostgreSQL is timed with, in turn: (camera_id, ts) alone (the best for the area query,
#: architecture notes), then with a second index for the history, one at a time (disk: ~10 GB each).
PG_INDEXES = {
    "camera_ts": ("(camera_id, ts)", None),
    "plate_camera_day": ("(plate, camera_id, day)", "camera_ts"),
    "camera_day_plate": ("(camera_id, day, plate)", "camera_ts"),
}
#: For the area query alone (``area_only``): the same B-tree, and one covering the plate too, so that
#: PostgreSQL answers from the index without visiting the table (an index-only scan, after VACUUM).
PG_AREA_INDEXES = {
    "camera_ts": ("(camera_id, ts)", None),
    "camera_ts_with_plate": ("(camera_id, ts) INCLUDE (plate)", None),
}

#: (a) the bare area query: the vehicles the area's cameras saw in the padded window, with read counts.
PG_AREA = ("SELECT plate, count(*) FROM reads WHERE camera_id = ANY(%(cams)s) AND ts BETWEEN %(start)s AND %(end)s "
           "GROUP BY plate")
#: (b) what suspects needs from the store: those vehicles and, for each, the days these cameras saw it in the
#: 28 local days before the padded window's day.
PG_SUSPECTS = """
    WITH seen AS (SELECT plate, count(*) AS n FROM reads
                  WHERE camera_id = ANY(%(cams)s) AND ts BETWEEN %(start)s AND %(end)s GROUP BY plate)
    SELECT s.plate, s.n, count(DISTINCT r.day) FROM seen s
    LEFT JOIN reads r ON r.plate = s.plate AND r.camera_id = ANY(%(cams)s) AND r.day BETWEEN %(h0)s AND %(h1)s
    GROUP BY s.plate, s.n"""


def _pg_start(workdir: Path) -> tuple[Path, list[str], Path]:
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
                    f"-p 55432 -k {pgdata} -c shared_buffers=2GB -c max_wal_size=8GB -c work_mem=256MB "
                    "-c maintenance_work_mem=1GB", "start"],
                   check=True, capture_output=True)
    return bindir, run_as, pgdata


def _timed(run: Any, repeat: int = 3) -> tuple[float, Any]:
    run()  # warm
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    return best, out


def postgres_compare(db: Path, cases: list[tuple], workdir: Path, *, reads_db: Path | None = None,
                     history_days: int = 28, keep_rows: int | None = None, area_only: bool = False,
                     log: Any = print) -> dict[str, Any]:
    """PostgreSQL 15 against DuckDB on (a) the bare area query and (b) what suspects needs from the store.

    ``cases`` are (case_id, category, lon, lat, padded start, padded end). PostgreSQL gets every read of the
    days those cases need (the 28 days of history and the window's days), as (camera_id, ts, day, plate), in
    an UNLOGGED table, and is timed with each index of ``PG_INDEXES`` added in turn (the best is reported).
    DuckDB answers (a) from the time index and (b) through the library's own path (the time index and the
    per-day summaries: ``reads_in`` then ``area_history``), on the full store. Both answers are compared.
    With ``area_only`` PostgreSQL gets only the windows' days and is timed on (a) alone, with the indexes of
    ``PG_AREA_INDEXES`` (a month of reads and two indexes need about 35 GB of disk).
    """
    import duckdb
    import psycopg

    from pingan.anpr import summaries
    from pingan.anpr.area import Window, area_around, reads_in
    from pingan.anpr.features import HistoryConfig, area_history, history_window
    from pingan.store.db import open_store

    source = reads_db or db
    plan = []
    days: set[Any] = set()
    with open_store(db, read_only=True) as store:
        if reads_db is not None:
            attach_reads(store, str(reads_db))
        for case in cases:
            padded = Window(case[4], case[5])
            history = history_window(padded, HistoryConfig(days=history_days))
            (h0, h1), (w0, w1) = history.days(), padded.days()
            since = w0 if area_only else h0
            days |= {since + timedelta(days=i) for i in range((w1 - since).days + 1)}  # type: ignore[operator]
            plan.append({"case": case[0], "cams": area_around(store, case[2], case[3], 5.0).camera_ids,
                         "start": padded.start, "end": padded.end, "h0": h0, "h1": h1, "padded": padded,
                         "history": history})
    bindir, run_as, pgdata = _pg_start(workdir)
    result: dict[str, Any] = {"days": len(days), "cases": len(cases), "indexes": {}, "area_only": area_only,
                              "history_days": history_days}
    index_sets = PG_AREA_INDEXES if area_only else PG_INDEXES
    try:
        csv = workdir / "reads.csv"
        con = duckdb.connect(str(source), read_only=True)
        result["total_rows"] = con.execute("SELECT count(*) FROM reads").fetchall()[0][0]
        result.update(export_s=0.0, load_s=0.0, rows=0)
        with psycopg.connect(host=str(pgdata), port=55432, user="postgres", dbname="postgres", autocommit=True) as pg:
            pg.execute("CREATE UNLOGGED TABLE reads (camera_id text, ts timestamp, day date, plate text)")
            for day in sorted(days):  # a day at a time: the CSV of a month would need 15 GB of disk
                t0 = time.perf_counter()
                con.execute(f"COPY (SELECT camera_id, ts, day, plate FROM reads WHERE day = DATE '{day}') "
                            f"TO '{csv}' (HEADER false)")
                shutil.chown(csv, "postgres")
                t1 = time.perf_counter()
                pg.execute(f"COPY reads FROM '{csv}' (FORMAT csv)")
                result["export_s"] += t1 - t0
                result["load_s"] += time.perf_counter() - t1
                csv.unlink()
            con.close()
            result["rows"] = pg.execute("SELECT count(*) FROM reads").fetchall()[0][0]
            pg.execute("ANALYZE reads")
            log(f"loaded {result['rows']:,} reads of {len(days)} days: export {result['export_s']:.0f} s, "
                f"COPY {result['load_s']:.0f} s")
            pg_rows: dict[str, dict[str, Any]] = {}
            for name, (columns, keep) in index_sets.items():
                for other in set(index_sets) - {name, keep}:
                    pg.execute(f"DROP INDEX IF EXISTS reads_{other}")
                t0 = time.perf_counter()
                pg.execute(f"CREATE INDEX reads_{name} ON reads {columns}")
                pg.execute("VACUUM (ANALYZE) reads")  # the visibility map an index-only scan needs
                built = time.perf_counter() - t0
                size = pg.execute("SELECT pg_relation_size(%s)", [f"reads_{name}"]).fetchall()[0][0]
                timings: dict[str, list[float]] = {"area": [], "suspects": []}
                pg.execute("SET statement_timeout = '600s'")
                for p in plan:
                    args = {k: p[k] for k in ("cams", "start", "end", "h0", "h1")}
                    ta, rows_a = _timed(lambda a=args: pg.execute(PG_AREA, a).fetchall())
                    tb, rows_b = (0.0, []) if area_only else \
                        _timed(lambda a=args: pg.execute(PG_SUSPECTS, a).fetchall(), repeat=1)
                    log(f"  {p['case']} with {name}: area {ta * 1000:.1f} ms, suspects' query {tb * 1000:.0f} ms")
                    timings["area"].append(ta)
                    timings["suspects"].append(tb)
                    pg_rows[p["case"]] = {"area": sorted(rows_a), "suspects": {r[0]: r[2] for r in rows_b}}
                result["indexes"][name] = {"build_s": built, "mb": size / 1e6, "with": keep,
                                           "columns": " + ".join(index_sets[n][0] for n in (keep, name) if n),
                                           "area_rows": statistics.median(len(pg_rows[p["case"]]["area"]) for p in plan),
                                           "area_p50": statistics.median(timings["area"]),
                                           "suspects_p50": statistics.median(timings["suspects"])}
                log(f"PostgreSQL with + {name}: {result['indexes'][name]}")
            result["table_gb"] = pg.execute("SELECT pg_relation_size('reads')").fetchall()[0][0] / 1e9
        duck: dict[str, list[float]] = {"area_raw": [], "area": [], "suspects": []}
        agree = True
        with open_store(db, read_only=True) as store:
            if reads_db is not None:
                attach_reads(store, str(reads_db))
            for p in plan:
                ids = ", ".join(f"'{c}'" for c in p["cams"])
                (d0, d1) = p["padded"].days()
                raw_sql = (f"SELECT plate, count(*) FROM reads WHERE day BETWEEN DATE '{d0}' AND DATE '{d1}' "
                           f"AND camera_id IN ({ids}) AND ts BETWEEN TIMESTAMP '{p['start']}' AND TIMESTAMP '{p['end']}' "
                           "GROUP BY plate")
                t_raw, _ = _timed(lambda q=raw_sql: store.con.execute(q).fetchall())
                nums = ", ".join(str(n) for (n,) in store.con.execute(
                    f"SELECT cam FROM anpr_summary_cameras WHERE camera_id IN ({ids})").fetchall())
                idx_sql = raw_sql.replace("FROM reads", "FROM anpr_time_index").replace(
                    f"camera_id IN ({ids})", f"cam IN ({nums})")  # as reads_in asks it
                t_idx, rows = _timed(lambda q=idx_sql: store.con.execute(q).fetchall())

                def library_path(p: dict[str, Any] = p) -> dict[str, int]:
                    summaries.forget(store)  # nothing remembered from the last run
                    with summaries.one_question(store):  # as suspects asks it: the reads counted once
                        seen = reads_in(store, p["cams"], p["padded"])
                        hist, _ = area_history(store, p["cams"], p["history"], plates=seen["plate"].unique().tolist())
                    return dict(zip(hist["plate"], hist["history_days"], strict=True)) | {
                        pl: 0 for pl in set(seen["plate"]) - set(hist["plate"])}

                t_lib, got = (0.0, {}) if area_only else _timed(library_path)
                duck["area_raw"].append(t_raw)
                duck["area"].append(t_idx)
                duck["suspects"].append(t_lib)
                want = pg_rows[p["case"]]
                agree &= sorted(rows) == want["area"] and (area_only or got == want["suspects"])
        result["duck"] = {k: statistics.median(v) for k, v in duck.items()}
        result["agree"] = agree
        return result
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(pgdata, ignore_errors=True)  # tens of GB: never left behind


def _ratio(pg_s: float, duck_s: float) -> str:
    r = pg_s / max(duck_s, 1e-9)
    return f"DuckDB {r:.1f}x faster" if r >= 1 else f"PostgreSQL {1 / r:.1f}x faster"


def pg_lines(pg: dict[str, Any]) -> list[str]:
    """The PostgreSQL comparison as a table and two ratios, for docs/anpr_speed.md."""
    def label(name: str) -> str:
        r = pg["indexes"][name]
        if "columns" in r:
            return str(r["columns"])
        return " + ".join(f"({n.replace('_', ', ').replace('camera', 'camera_id')})" for n in (r["with"], name) if n)

    best_a = min(pg["indexes"].items(), key=lambda kv: kv[1]["area_p50"])
    if pg.get("area_only"):
        d = pg["duck"]
        rows = statistics.median(r["area_rows"] for r in pg["indexes"].values())
        lines = [
            f"PostgreSQL 15 (Debian; UNLOGGED table of (camera_id, ts, day, plate), shared_buffers 2 GB, VACUUM ANALYZE "
            f"after each index) holding the {pg['rows']:,} reads of the {pg['days']} day(s) these {pg['cases']} cases' "
            f"padded windows fall on ({pg['total_rows']:,} in the DuckDB store); the area query alone (vehicles the "
            f"area's cameras saw in the padded window, with read counts; median {rows:,.0f} vehicles a case). "
            "p50 over the cases of each case's best of 3 warm runs. Answers "
            + ("identical" if pg["agree"] else "**differ**") + " in both engines.",
            "",
            "| engine, index | index build s | index MB | area query p50 ms |",
            "|---|---|---|---|",
        ]
        for name, r in pg["indexes"].items():
            lines.append(f"| PostgreSQL, {label(name)} | {r['build_s']:.0f} | {r['mb']:,.0f} | {r['area_p50'] * 1000:.1f} |")
        lines += [
            f"| DuckDB, reads table (no summaries) | | | {d['area_raw'] * 1000:.1f} |",
            f"| DuckDB, time index | | | {d['area'] * 1000:.1f} |",
            "",
            f"PostgreSQL's best {best_a[1]['area_p50'] * 1000:.1f} ms ({label(best_a[0])}), DuckDB "
            f"{d['area'] * 1000:.1f} ms: {_ratio(best_a[1]['area_p50'], d['area'])}. Target: DuckDB at least 10x faster.",
            "",
        ]
        return lines
    best_b = min(pg["indexes"].items(), key=lambda kv: kv[1]["suspects_p50"])
    d = pg["duck"]
    lines = [
        f"PostgreSQL 15 (Debian; UNLOGGED table of (camera_id, ts, day, plate), shared_buffers 2 GB, work_mem "
        f"256 MB, VACUUM ANALYZE after each index) holding the {pg['rows']:,} reads of the {pg['days']} days these {pg['cases']} cases need (their "
        f"{pg.get('history_days', 28)}-day "
        f"histories and windows; {pg['total_rows']:,} in the DuckDB store), loaded a day at a time: export "
        f"from DuckDB {pg['export_s']:.0f} s, COPY {pg['load_s']:.0f} s, table {pg['table_gb']:.1f} GB. Index "
        "sets timed in turn (p50 over the 5 cases, warm). Answers "
        + ("identical" if pg["agree"] else "**differ**") + " in both engines.",
        "",
        "| engine, indexes | index build s | index MB | (a) area query p50 ms | (b) suspects' store query p50 ms |",
        "|---|---|---|---|---|",
    ]
    for name, r in pg["indexes"].items():
        lines.append(f"| PostgreSQL, {label(name)} | {r['build_s']:.0f} | {r['mb']:,.0f} | "
                     f"{r['area_p50'] * 1000:.1f} | {r['suspects_p50'] * 1000:.0f} |")
    lines += [
        f"| DuckDB, reads table (no summaries) | | | {d['area_raw'] * 1000:.1f} | |",
        f"| DuckDB, time index + per-day summaries | | | {d['area'] * 1000:.1f} | {d['suspects'] * 1000:.0f} |",
        "",
        f"(a) the area query (vehicles the area's cameras saw in the padded window, with read counts): "
        f"PostgreSQL's best {best_a[1]['area_p50'] * 1000:.1f} ms (indexes {label(best_a[0])}), DuckDB {d['area'] * 1000:.1f} ms "
        f"from the time index: {_ratio(best_a[1]['area_p50'], d['area'])}. (b) what suspects needs from the store "
        f"(those vehicles and, for each, the days these cameras saw it in the {pg.get('history_days', 28)} days "
        "before): PostgreSQL's best "
        f"{best_b[1]['suspects_p50'] * 1000:.0f} ms (indexes {label(best_b[0])}), DuckDB {d['suspects'] * 1000:.0f} ms "
        f"(time index, summaries; includes the area's hourly profile): {_ratio(best_b[1]['suspects_p50'], d['suspects'])}. "
        "Target: DuckDB at least 10x faster.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vehicles", type=int, default=400_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cases", type=int, default=20, help="how many planted cases to time")
    parser.add_argument("--pg", action="store_true", help="also compare with PostgreSQL 15")
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
    pg = postgres_compare(db, cases[:5], folder / "pg") if args.pg else None

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
        lines += pg_lines(pg)
    DOC.parent.mkdir(exist_ok=True)
    with DOC.open("a", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
