"""A large synthetic reads table for the tactics benchmarks, built straight into a pingan store.

Not the county simulator (``pingan.sim``): this is a fast, vectorised generator whose only job is to
put tens or hundreds of millions of plausible reads on disk, laid out as pingan lays them out
(ordered by day, plate, ts; one day appended at a time), so that the tactics can be timed at city scale.

The city: ``cameras`` on a grid 1.2 km apart. Each vehicle has a home cell and makes 1–4 trips a day,
each a random walk of 2–10 camera passes along the grid at 18–72 km/h, starting in the morning or
evening peak, by day, or (5 %) at night. On top: 3 % of reads have one character confused (0/D, 8/B,
2/Z …), and plates are dense enough (about one combination in ten is a real plate, as in a big city)
that a tenth of those misreads land on another real plate — which is what makes a clone sweep work
hard; 2 % of passes are read twice; ``clones`` plates are also carried by a second vehicle living
elsewhere.

Usage: python bench/tactics_data.py OUT.duckdb --days 30 --reads-per-day 10000000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pingan.store.db import open_store  # noqa: E402

ALPHABET = np.array(list("0123456789ABDEGSTZ"))
CONFUSE_FROM = "0123456789ABDEGSTZ"
CONFUSE_TO = "DTZEASGTB948036512"  # each character as a camera may misread it (9 has no confusion: kept)
LETTERS = np.array(list("NABCEF"))
GRID_KM = 1.2
READS_PER_VEHICLE_DAY = 10.0
ORIGIN = (118.40, 31.80)


def fleet_plates(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct plates: 苏 + one of six authority letters + 5 characters from an 18-letter alphabet."""
    space = len(LETTERS) * len(ALPHABET) ** 5
    ids = rng.choice(space, size=n, replace=False)
    chars = np.empty((n, 7), dtype="<U1")
    chars[:, 0] = "苏"
    chars[:, 1] = LETTERS[ids % len(LETTERS)]
    rest = ids // len(LETTERS)
    for k in range(5):
        chars[:, 6 - k] = ALPHABET[rest % len(ALPHABET)]
        rest //= len(ALPHABET)
    return np.ascontiguousarray(chars).view("<U7").ravel()


def camera_grid(n: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    cols = int(np.ceil(np.sqrt(n * 1.25)))
    rows = int(np.ceil(n / cols))
    x, y = np.meshgrid(np.arange(cols), np.arange(rows))
    lon = ORIGIN[0] + x.ravel() * GRID_KM / (111.320 * np.cos(np.radians(ORIGIN[1])))
    lat = ORIGIN[1] + y.ravel() * GRID_KM / 110.574
    return cols, rows, lon, lat


def day_reads(rng: np.random.Generator, day_index: int, home_x: np.ndarray, home_y: np.ndarray,
              plate_of: np.ndarray, cols: int, rows: int) -> dict[str, np.ndarray]:
    """One day of reads: camera index, UTC microseconds since the epoch of local midnight, plate index."""
    n_veh = len(home_x)
    active = np.flatnonzero(rng.random(n_veh) < 0.9)
    n_trips = 1 + np.minimum(rng.poisson(1.2, len(active)), 3)
    veh = np.repeat(active, n_trips)
    kind = rng.random(len(veh))
    start = np.where(kind < 0.35, rng.normal(8.0, 1.0, len(veh)),
                     np.where(kind < 0.70, rng.normal(18.0, 1.2, len(veh)),
                              np.where(kind < 0.95, rng.uniform(6.0, 22.0, len(veh)),
                                       rng.uniform(22.0, 30.0, len(veh)))))
    start_s = (np.mod(start, 24.0) * 3600.0).astype(np.int64)
    length = 2 + np.minimum(rng.poisson(2.5, len(veh)), 8)
    trip = np.repeat(np.arange(len(veh)), length)
    first = np.concatenate([[0], np.cumsum(length)[:-1]])
    step_no = np.arange(len(trip)) - np.repeat(first, length)
    step_s = np.where(step_no > 0, rng.integers(60, 240, len(trip)), 0)
    cs = np.cumsum(step_s)
    base = np.repeat(first, length)
    offset_in_trip = cs - cs[base]
    duration = np.zeros(len(veh), dtype=np.int64)
    np.maximum.at(duration, trip, offset_in_trip)
    # one vehicle drives one trip at a time: each trip starts at least 10 minutes after the last one ended
    order = np.lexsort((start_s, veh))
    s_sorted, d_sorted, v_sorted = start_s[order], duration[order], veh[order]
    for _ in range(3):
        prev_end = np.concatenate([[-(10**9)], s_sorted[:-1] + d_sorted[:-1] + 600])
        same = np.concatenate([[False], v_sorted[1:] == v_sorted[:-1]])
        s_sorted = np.where(same, np.maximum(s_sorted, prev_end), s_sorted)
    start_s[order] = s_sorted
    axis = rng.random(len(trip)) < 0.5
    sign = np.where(rng.random(len(trip)) < 0.5, -1, 1)
    dx = np.where(axis & (step_no > 0), sign, 0)
    dy = np.where(~axis & (step_no > 0), sign, 0)
    cx, cy = np.cumsum(dx), np.cumsum(dy)
    x = np.clip(home_x[veh][trip] + cx - cx[base], 0, cols - 1)
    y = np.clip(home_y[veh][trip] + cy - cy[base], 0, rows - 1)
    t = start_s[trip] + offset_in_trip
    keep = (rng.random(len(trip)) >= 0.05) & (t < 86400)  # missed reads; nothing past midnight
    cam = (y * cols + x)[keep].astype(np.int32)
    t = t[keep]
    plate = plate_of[veh][trip][keep].astype(np.int32)
    # the same pass read twice a few seconds apart
    dup = rng.random(len(cam)) < 0.02
    cam = np.concatenate([cam, cam[dup]])
    t = np.concatenate([t, t[dup] + rng.integers(1, 6, dup.sum())])
    plate = np.concatenate([plate, plate[dup]])
    misread = rng.random(len(cam)) < 0.03
    pos = np.where(misread, rng.integers(3, 8, len(cam)), 0).astype(np.int8)
    conf = np.where(misread, rng.uniform(0.4, 0.9, len(cam)), rng.uniform(0.8, 1.0, len(cam))).astype(np.float32)
    return {"cam": cam, "t": t, "plate": plate, "pos": pos, "conf": conf}


def build(out: Path, days: int, reads_per_day: int, cameras: int = 2000, clones: int = 200, seed: int = 7,
          first_day: date = date(2026, 3, 1), log=print) -> dict[str, object]:
    """Write the store at ``out`` (replacing it). Returns what was built."""
    rng = np.random.default_rng(seed)
    n_veh = int(reads_per_day / READS_PER_VEHICLE_DAY / 0.9 / 0.95)
    cols, rows, lon, lat = camera_grid(cameras)
    plates = fleet_plates(rng, n_veh)
    home_x = rng.integers(0, cols, n_veh + clones)
    home_y = rng.integers(0, rows, n_veh + clones)
    victims = rng.choice(n_veh, size=clones, replace=False)
    plate_of = np.concatenate([np.arange(n_veh), victims])  # clone vehicles carry a victim's plate
    # the clone lives far from its victim: the opposite corner of the map
    home_x[n_veh:] = (home_x[victims] + cols // 2) % cols
    home_y[n_veh:] = (home_y[victims] + rows // 2) % rows
    if out.exists():
        out.unlink()
    started = time.perf_counter()
    with open_store(out) as store:
        con = store.con
        con.register("_cams", pa.table({"i": np.arange(cols * rows), "lon": lon, "lat": lat}))
        con.execute("INSERT INTO cameras (camera_id, lon, lat, kind, batch_id) "
                    "SELECT 'C' || lpad(i::VARCHAR, 5, '0'), lon, lat, 'anpr', 0 FROM _cams")
        con.unregister("_cams")
        con.register("_plates", pa.table({"i": np.arange(n_veh, dtype=np.int32), "plate": plates}))
        con.execute("CREATE TEMP TABLE bench_plates AS SELECT * FROM _plates")
        con.unregister("_plates")
        total = 0
        for d in range(days):
            day = first_day + timedelta(days=d)
            r = day_reads(rng, d, home_x, home_y, plate_of, cols, rows)
            midnight_utc = np.datetime64(day) - np.timedelta64(8, "h")  # Asia/Shanghai, no DST
            ts = midnight_utc + r["t"].astype("timedelta64[s]")
            local_day = (ts + np.timedelta64(8, "h")).astype("datetime64[D]")
            con.register("_day", pa.table({
                "cam": r["cam"], "ts": ts.astype("datetime64[us]"), "day": local_day, "pi": r["plate"],
                "pos": r["pos"], "conf": r["conf"],
            }))
            con.execute(f"""
                INSERT INTO reads (camera_id, ts, day, plate, plate_raw, plate_valid, confidence, batch_id)
                SELECT 'C' || lpad(cam::VARCHAR, 5, '0'), ts, day, plate, plate, true, conf, 0
                FROM (
                    SELECT d.cam, d.ts, d.day, d.conf,
                        CASE WHEN d.pos = 0 THEN p.plate
                             ELSE substr(p.plate, 1, d.pos - 1)
                                  || translate(substr(p.plate, d.pos, 1), '{CONFUSE_FROM}', '{CONFUSE_TO}')
                                  || substr(p.plate, d.pos + 1) END AS plate
                    FROM _day d JOIN bench_plates p ON p.i = d.pi
                )
                ORDER BY day, plate, ts
            """)
            con.unregister("_day")
            total += len(r["cam"])
            log(f"  day {day}: {len(r['cam']):,} reads ({time.perf_counter() - started:.0f} s so far)")
        con.execute("CHECKPOINT")
        victim_plates = [str(p) for p in plates[victims]]
    out.with_suffix(".clones.json").write_text(json.dumps(victim_plates, ensure_ascii=False))
    return {"days": days, "reads": total, "vehicles": n_veh, "cameras": cols * rows, "clones": victim_plates,
            "seconds": time.perf_counter() - started, "first_day": first_day.isoformat()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reads-per-day", type=int, default=10_000_000)
    parser.add_argument("--cameras", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    info = build(args.out, args.days, args.reads_per_day, args.cameras, seed=args.seed)
    print({k: v for k, v in info.items() if k != "clones"})


if __name__ == "__main__":
    main()
