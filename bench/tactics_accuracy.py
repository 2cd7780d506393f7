"""How right are the vehicle tactics? Precision and recall per tactic against the simulator's answer key.

Simulates a county with ``pingan.sim`` (or reuses one), loads it into a store (through
``pingan.store.importers.import_file`` when it exists, else a direct loader doing what the importer
does: normalise plates, store UTC and the local day, order by day, plate, ts), then runs each tactic
the way an analyst would and compares with ``answer_key.json``:

- **cloned**: one sweep over the whole period; the key's cloned plates are the positives.
- **companions**: ``companions(leader)`` for every planted pair (accomplices and innocent companions)
  and for as many ordinary commuters as controls; a listed companion is right when the key pairs them.
- **night-active**: the whole ranked list against the key's rule-based list (with the tactic's
  defaults, and with thresholds set to the key's rule).
- **first-seen**: the period from the key's newcomer day on, with the days before as look-back, against
  every vehicle the key says first appeared then (new residents, residents not driven before, visitors),
  overall and per kind; and, for comparison, against the new residents alone (the key's ``newcomers``).
- **loitering**: for each planted loiterer, its area (the key's point and radius) over the whole period;
  where it ranks, and precision and recall over all areas of the vehicles listed (the top 50 of each area)
  at rank 1, in the top 3, and at a score of 5 or 10 or more (one loiterer per area; every other vehicle
  listed is a false alarm).
- **plate-search**: each offender's plate with two characters hidden; is it among the matches?

Usage: python bench/tactics_accuracy.py [--vehicles 20000 --days 14 --seed 7 --misread-rate 0.03]
       [--county DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.county import machine  # noqa: E402
from pingan.anpr.area import Window  # noqa: E402
from pingan.anpr.tactic_common import Period, day_start_utc  # noqa: E402
from pingan.store.db import Store, open_store  # noqa: E402


def load_county(county: Path, db: Path, loader: str = "auto") -> Store:
    """A store holding the county's cameras, watchlist and reads (through the importer when it works)."""
    if loader in ("auto", "importer"):
        try:
            from pingan.store.importers import import_file

            if db.exists():
                db.unlink()
            store = open_store(db)
            for kind, name in (("cameras", "cameras.csv"), ("watchlist", "watchlist.csv"),
                               ("reads", "reads.parquet")):
                import_file(store, kind, county / name)
            return store
        except Exception as exc:  # the importer is being written alongside; fall back to loading directly
            if loader == "importer":
                raise
            print(f"importer unavailable ({type(exc).__name__}: {str(exc)[:120]}); loading directly", flush=True)
            try:
                store.close()
            except Exception:
                pass
    return _load_direct(county, db)


def _load_direct(county: Path, db: Path) -> Store:
    if db.exists():
        db.unlink()
    store = open_store(db)
    from pingan.plates import normalise_sql, valid_sql

    con = store.con
    con.execute(f"INSERT INTO cameras (camera_id, lon, lat, kind, name, direction, road, batch_id) "
                f"SELECT camera_id, lon, lat, kind, name, direction, road, 0 FROM read_csv('{county / 'cameras.csv'}')")
    con.execute(f"""
        INSERT INTO watchlist (list, plate, plate_raw, person_id, categories, valid_until, note, batch_id)
        SELECT coalesce(list, 'priors'), {normalise_sql('plate')}, plate, person_id, string_split(categories, ';'),
               timezone('UTC', valid_until::TIMESTAMPTZ), note, 0
        FROM read_csv('{county / 'watchlist.csv'}', all_varchar = true)
        QUALIFY row_number() OVER (PARTITION BY coalesce(list, 'priors'), {normalise_sql('plate')}, person_id) = 1
    """)
    con.execute(f"""
        INSERT INTO reads (read_id, camera_id, ts, day, plate, plate_raw, plate_valid, confidence, plate_color,
                           vehicle_type, batch_id)
        SELECT read_id, camera_id, utc, day, norm, plate, {valid_sql('norm')}, confidence, plate_color,
               vehicle_type, 0
        FROM (SELECT *, timezone('UTC', ts) AS utc, CAST(timezone('{store.timezone}', ts) AS DATE) AS day,
                     {normalise_sql('plate')} AS norm
              FROM read_parquet('{county / 'reads.parquet'}'))
        WHERE norm IS NOT NULL
        ORDER BY day, norm, utc
    """)
    return store


def _period(first: date, last: date) -> Period:
    return Period(Window(day_start_utc(first), day_start_utc(last + timedelta(days=1)) - timedelta(microseconds=1)))


def prf(found: set[str], truth: set[str]) -> dict[str, Any]:
    tp = len(found & truth)
    return {"found": len(found), "truth": len(truth), "true_positives": tp,
            "precision": round(tp / len(found), 3) if found else None,
            "recall": round(tp / len(truth), 3) if truth else None}


def eval_cloned(store: Store, key: dict[str, Any], period: Period) -> dict[str, Any]:
    from pingan.anpr.cloned import CloneQuery, cloned

    t0 = time.perf_counter()
    result = cloned(store, CloneQuery(period=period))
    truth = {c["plate"] for c in key["clones"]}
    out = prf({p.plate for p in result.plates}, truth)
    out["seconds"] = round(time.perf_counter() - t0, 2)
    top = [p.plate for p in result.plates[: len(truth)]]
    out["precision_at_key_size"] = round(len(set(top) & truth) / len(top), 3) if top else None
    out["score_0.9_or_more"] = prf({p.plate for p in result.plates if p.score >= 0.9}, truth)
    out["false_positives"] = [{"plate": p.plate, "rank": p.rank, "score": round(p.score, 3),
                               "evidence": [f"{e.a['camera_id']} {e.a['ts']} -> {e.b['camera_id']} {e.b['ts']} "
                                            f"({e.km:.1f} km in {e.minutes:.1f} min)" for e in p.evidence[:2]]}
                              for p in result.plates if p.plate not in truth]
    return out


def eval_companions(store: Store, key: dict[str, Any], period: Period, controls: int = 50) -> dict[str, Any]:
    from pingan.anpr.companions import CompanionQuery, companions

    pairs = {(c["plate"], c["companion"]) for c in key["companions"]}
    leaders = sorted({p for p, _ in pairs})
    planted = {p for pair in pairs for p in pair}
    rows = store.con.execute(
        "SELECT plate FROM reads GROUP BY plate HAVING count(DISTINCT day) >= 8 AND count(*) >= 40 "
        "ORDER BY hash(plate) LIMIT 400").fetchall()
    control_plates = [r[0] for r in rows if r[0] not in planted][:controls]
    listed: dict[str, list[str]] = {}
    seconds = []
    for plate in leaders + control_plates:
        t0 = time.perf_counter()
        result = companions(store, CompanionQuery(plate=plate, period=period))
        seconds.append(time.perf_counter() - t0)
        listed[plate] = [c.plate for c in result.companions]
    found_pairs = {(p, c) for p, cs in listed.items() for c in cs}
    # a pair counts once whichever way round it was asked
    truth_pairs = pairs | {(c, p) for p, c in pairs}
    tp = len({pair for pair in found_pairs if pair in truth_pairs})
    recall_by_kind: dict[str, list[bool]] = {}
    for c in key["companions"]:
        recall_by_kind.setdefault(c["kind"], []).append(c["companion"] in listed.get(c["plate"], []))
    return {
        "pairs_planted": len(pairs), "leaders_asked": len(leaders), "control_plates_asked": len(control_plates),
        "companions_listed": len(found_pairs), "true_positives": tp,
        "precision": round(tp / len(found_pairs), 3) if found_pairs else None,
        "recall": round(sum(sum(v) for v in recall_by_kind.values()) / len(pairs), 3) if pairs else None,
        "recall_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in recall_by_kind.items()},
        "listed_for_controls": sum(len(listed[p]) for p in control_plates),
        "false_positives": sorted(f"{p}->{c}" for p, c in found_pairs if (p, c) not in truth_pairs),
        "p50_seconds": round(float(np.median(seconds)), 3),
    }


def eval_night(store: Store, key: dict[str, Any], period: Period) -> dict[str, Any]:
    from pingan.anpr.patterns import NightQuery, night_active

    truth = set(key["night_active"])
    default = night_active(store, NightQuery(period=period, top=None))
    rule = night_active(store, NightQuery(period=period, top=None, night_start=22, night_end=6, min_reads=8,
                                          min_nights=1, min_share=0.6))
    ranked = [v.plate for v in default.vehicles]
    top = ranked[: len(truth)]
    return {
        "defaults": prf(set(ranked), truth),
        "key_rule": prf({v.plate for v in rule.vehicles}, truth),
        "precision_at_key_size": round(len(set(top) & truth) / len(top), 3) if top else None,
        "city_night_share": round(default.city_night_share, 4),
    }


def eval_first_seen(store: Store, key: dict[str, Any], first: date, last: date) -> dict[str, Any]:
    from pingan.anpr.patterns import FirstSeenQuery, first_seen

    start = date.fromisoformat(key["newcomer_after_date"])
    lookback = timedelta(days=(start - first).days)
    residents = set(key["newcomers"])
    appearances = key.get("first_appearances")
    truth = {e["plate"] for e in appearances} if appearances is not None else residents
    by_kind: dict[str, set[str]] = {}
    for e in appearances or []:
        by_kind.setdefault(e["kind"], set()).add(e["plate"])
    findable = {e["plate"] for e in appearances or [] if e["reads"] >= 2}
    out: dict[str, Any] = {"truth": len(truth), "truth_by_kind": {k: len(v) for k, v in sorted(by_kind.items())},
                           "truth_with_2_reads_or_more": len(findable)}
    for min_days in (1, 2, 3):
        result = first_seen(store, FirstSeenQuery(period=_period(start, last), lookback=lookback, top=None,
                                                  min_days=min_days))
        ranked = [v.plate for v in result.vehicles if not v.misread_of]
        found = set(ranked)
        entry = prf(found, truth)
        top = ranked[: len(truth)]
        entry["precision_at_key_size"] = round(len(set(top) & truth) / len(top), 3) if top else None
        entry["recall_by_kind"] = {k: f"{len(found & v)}/{len(v)}" for k, v in sorted(by_kind.items())}
        entry["recall_of_vehicles_read_twice_or_more"] = (round(len(found & findable) / len(findable), 3)
                                                          if findable else None)
        entry["new_residents_only"] = prf(found, residents)
        entry["false_positives_sample"] = sorted(found - truth)[:10]
        out[f"min_days_{min_days}"] = entry
    return out


def eval_loitering(store: Store, key: dict[str, Any], period: Period) -> dict[str, Any]:
    from pingan.anpr.area import area_around
    from pingan.anpr.patterns import LoiterQuery, loitering

    planted = key.get("loiterers", [])
    rows, seconds = [], []
    listed: list[tuple[bool, int, float]] = []  # (is the area's loiterer, rank, score) of every vehicle listed
    for lo in planted:
        a = lo["area"]
        cameras = tuple(area_around(store, a["lon"], a["lat"], a["radius_km"]).cameras["camera_id"])
        t0 = time.perf_counter()
        result = loitering(store, LoiterQuery(period=period, cameras=cameras, top=50))
        seconds.append(time.perf_counter() - t0)
        plates = [v.plate for v in result.vehicles]
        rank = plates.index(lo["plate"]) + 1 if lo["plate"] in plates else None
        listed += [(v.plate == lo["plate"], v.rank, v.score) for v in result.vehicles]
        best_other = next((v for v in result.vehicles if v.plate != lo["plate"]), None)
        rows.append({"plate": lo["plate"], "kind": lo["kind"], "area": f"{a['place']} ({a['kind']})",
                     "cameras": len(cameras), "days": len(lo["days"]), "circling_days": len(lo["circling_days"]),
                     "vehicles_seen": result.vehicles_seen, "rank": rank,
                     "score": round(result.vehicles[rank - 1].score, 2) if rank else None,
                     "best_other_score": round(best_other.score, 2) if best_other else None})

    def at(keep: Any) -> dict[str, Any]:
        chosen = [hit for hit, rank, score in listed if keep(rank, score)]
        tp = sum(chosen)
        return {"listed": len(chosen), "true_positives": tp,
                "precision": round(tp / len(chosen), 3) if chosen else None,
                "recall": round(tp / len(planted), 3) if planted else None}

    return {
        "loiterers": len(planted), "areas": rows,
        "rank_1": at(lambda rank, score: rank == 1),
        "top_3": at(lambda rank, score: rank <= 3),
        "score_5_or_more": at(lambda rank, score: score >= 5),
        "score_10_or_more": at(lambda rank, score: score >= 10),
        "recall_by_kind": {kind: f"{sum(r['rank'] == 1 for r in rows if r['kind'] == kind)}/"
                                 f"{sum(r['kind'] == kind for r in rows)} at rank 1"
                           for kind in sorted({r["kind"] for r in rows})},
        "p50_seconds": round(float(np.median(seconds)), 2) if seconds else None,
    }


def eval_search(store: Store, key: dict[str, Any], period: Period) -> dict[str, Any]:
    from pingan.anpr.search import PlateSearchQuery, plate_search

    hits, sizes = 0, []
    plates = sorted({o["plate"] for o in key["offences"]})
    for plate in plates:
        pattern = plate[:3] + "?" + plate[4] + "?" + plate[6:]
        result = plate_search(store, PlateSearchQuery(pattern=pattern, period=period, top=None))
        found = [m.plate for m in result.matches]
        hits += plate in found
        sizes.append(len(found))
    return {"plates": len(plates), "recall": round(hits / len(plates), 3) if plates else None,
            "median_matches": float(np.median(sizes)) if sizes else None}


def main() -> None:
    parser = argparse.ArgumentParser(description="Precision and recall of the vehicle tactics on a simulated county.")
    parser.add_argument("--vehicles", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--misread-rate", type=float, default=0.03)
    parser.add_argument("--county", type=Path, default=None, help="A simulated county to reuse (else simulate).")
    parser.add_argument("--work", type=Path, default=Path("/tmp/pingan_tactics_accuracy"))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "tactics_accuracy.json")
    parser.add_argument("--loader", choices=["auto", "importer", "direct"], default="auto",
                        help="How to load the county: pingan's importer, or directly (auto: importer if it works).")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    county = args.county
    if county is None:
        from pingan.sim import SimConfig, simulate

        county = args.work / f"county_{args.vehicles}_{args.days}_{args.seed}_{args.misread_rate}"
        print(f"simulating {args.vehicles} vehicles, {args.days} days, seed {args.seed} …", flush=True)
        simulate(county, SimConfig(vehicles=args.vehicles, days=args.days, seed=args.seed,
                                   misread_rate=args.misread_rate))
    key = json.loads((county / "answer_key.json").read_text(encoding="utf-8"))
    started = time.perf_counter()
    store = load_county(county, args.work / "tactics.duckdb", args.loader)
    n_reads = store.con.execute("SELECT count(*) FROM reads").fetchall()[0][0]
    print(f"loaded {n_reads:,} reads in {time.perf_counter() - started:.0f} s", flush=True)
    first = datetime.fromisoformat(key["period"]["start"]).date()
    last = datetime.fromisoformat(key["period"]["end"]).date() - timedelta(days=1)
    period = _period(first, last)
    report: dict[str, Any] = {"machine": machine(),
                              "county": {"vehicles": key["config"]["vehicles"], "days": key["config"]["days"],
                                         "seed": key["seed"], "reads": n_reads,
                                         "misread_rate": key["config"]["misread_rate"]}}
    for name, run in (("cloned", lambda: eval_cloned(store, key, period)),
                      ("companions", lambda: eval_companions(store, key, period)),
                      ("night_active", lambda: eval_night(store, key, period)),
                      ("first_seen", lambda: eval_first_seen(store, key, first, last)),
                      ("loitering", lambda: eval_loitering(store, key, period)),
                      ("plate_search", lambda: eval_search(store, key, period))):
        t0 = time.perf_counter()
        report[name] = run()
        report[name]["total_seconds"] = round(time.perf_counter() - t0, 2)
        print(name, json.dumps(report[name], ensure_ascii=False), flush=True)
    report["not_measured"] = {"trajectory, stay-points": "the answer key has no ground truth for them"}
    store.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
