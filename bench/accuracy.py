"""Accuracy of suspects and collide on simulated counties: fit the rankers on some seeds, evaluate on others.

    python bench/accuracy.py fit --seeds 101 102 103 104 105 106 107   # writes both rankers' files
    python bench/accuracy.py fit --seeds 101 … 128 --frames /tmp/frames.parquet   # the shipped models; keeps the
                                                                                  # features to refit from
    python bench/accuracy.py evaluate --seeds 1 2 3 4 5 --misread 0.03 --models boosted logistic
    python bench/accuracy.py evaluate --seeds 1 2 --misread 0.01 0.1 --append
    python bench/accuracy.py crossval --seeds 1 … 5 101 … 128 --frames /tmp/cv.parquet   # k-fold by county

Training and evaluation seeds must differ: the figures are for counties the rankers never saw. The
evaluation writes docs/accuracy.md (``--append`` adds rows to the table already there).

``crossval`` answers a narrower question more precisely: how well the boosted trees rank the offender's
car in each case, over many more counties than an evaluation set holds (every county's cases scored by
trees fitted on the other folds). Five evaluation counties hold about 120 watchlisted offenders, so one
offender moves top-1 by 0.008 and its 95 % interval is about ±0.07; 33 counties hold about 700 (±0.03).
It adds a row to the cross-validation table of docs/accuracy.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.county import county, machine  # noqa: E402
from pingan.anpr.evaluate import CALIBRATION_BINS, Evaluation, evaluate, load_answer_key  # noqa: E402
from pingan.anpr.ranking import BOOSTED_FILE, WEIGHTS_FILE, Ranker, load_ranker  # noqa: E402
from pingan.anpr.tuning import BOOSTED_SEEDS, cross_validated_ranks, fit_boosted, fit_logistic  # noqa: E402
from pingan.sim import SimConfig  # noqa: E402
from pingan.store.db import open_store  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "accuracy.md"
MODEL_FILES = {"boosted": BOOSTED_FILE, "logistic": WEIGHTS_FILE}
HEADER = ("| model | seeds | vehicles | misread | offences | watchlisted top-1 (or its accomplice car) | top-5 "
          "| misread-near-scene top-1 / top-5 (n) | not watchlisted top-10 (n) | serial ranks | Brier "
          "| median vehicles seen | p50 s |")


def run(seeds: list[int], misread: float, vehicles: int, days: int, ranker: Ranker | None,
        collect: list | None = None) -> Evaluation:
    total = Evaluation()
    for seed in seeds:
        folder, db = county(SimConfig(vehicles=vehicles, days=days, seed=seed, misread_rate=misread))
        before = len(collect) if collect is not None else 0
        with open_store(db) as store:
            total = total.merge(evaluate(store, load_answer_key(folder), ranker=ranker, collect=collect))
        if collect is not None:  # the vehicles of one case compete for the top of one list
            for i in range(before, len(collect)):
                collect[i] = collect[i].assign(group=f"{seed}-{misread}-{vehicles}/" + collect[i]["case_id"])
    return total


def row(m: dict) -> str:
    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.2f}"

    seeds = ", ".join(str(s) for s in m["seeds"])
    return (f"| {m['model']} | {seeds} | {m['vehicles']} | {m['misread']:.0%} | {m['offences']} | {pct(m['watchlisted_top1'])} "
            f"({pct(m['watchlisted_top1_or_accomplice'])}) | "
            f"{pct(m['watchlisted_top5'])} | {pct(m['misread_top1'])} / {pct(m['misread_top5'])} "
            f"({m['misread_watchlisted']}) | {pct(m['not_watchlisted_top10'])} ({m['not_watchlisted']}) | "
            f"{m['serial_ranks']} | {m['brier']:.2e} | {m['median_vehicles_seen']:.0f} | {m['p50_seconds']:.2f} |")


RELIABILITY_HEADER = ("| model | seeds | vehicles | misread | "
                      + " | ".join(f"score {lo:g}–{hi:g}" for lo, hi in zip(CALIBRATION_BINS, CALIBRATION_BINS[1:]))
                      + " |")


def reliability_row(m: dict) -> str:
    """Per score bin: the mean score, then the share of those vehicles that were the offender's (how many)."""
    cells = []
    for r in m["reliability"]:
        cells.append("–" if not r["vehicles"] else
                     f"{r['mean_score']:.3g} / {r['offender_share']:.3g} ({r['offenders']:,} of {r['vehicles']:,})")
    seeds = ", ".join(str(s) for s in m["seeds"])
    return f"| {m['model']} | {seeds} | {m['vehicles']} | {m['misread']:.0%} | " + " | ".join(cells) + " |"


def collected(args: argparse.Namespace) -> list:
    """The labelled candidates of the seeds' counties: from ``--frames`` when it exists, else collected."""
    if args.frames is not None and args.frames.exists():
        return [pd.read_parquet(args.frames)]
    frames: list = []
    for misread in args.misread:
        for vehicles in args.vehicles:
            # features barely depend on the model (only which 1,000 get looked up further): the model in
            # use collects them, as suspects would
            run(args.seeds, misread, vehicles, args.days, load_ranker(BOOSTED_FILE), collect=frames)
    if args.frames is not None:
        pd.concat(frames, ignore_index=True).to_parquet(args.frames)
    return frames


def interval(hits: int, n: int) -> str:
    """A share with its 95 % Wilson interval."""
    if n == 0:
        return "–"
    p, z = hits / n, 1.96
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / (1 + z * z / n)
    return f"{p:.2f} ({centre - half:.2f}–{centre + half:.2f})"


def describe_counties(groups: pd.Series) -> str:
    """``33 × 20,000 vehicles at 3 % misreads (seeds 1–5, 101–128)`` from case groups ``seed-misread-vehicles/case``."""
    counties = sorted({tuple(g.split("/", 1)[0].split("-")) for g in groups})
    kinds: dict[tuple[int, float], list[int]] = {}
    for seed, misread, vehicles in counties:
        kinds.setdefault((int(vehicles), float(misread)), []).append(int(seed))
    parts = []
    for (vehicles, misread), seeds in sorted(kinds.items()):
        runs: list[list[int]] = []
        for seed in sorted(seeds):
            if runs and seed == runs[-1][-1] + 1:
                runs[-1].append(seed)
            else:
                runs.append([seed])
        named = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
        parts.append(f"{len(seeds)} × {vehicles:,} vehicles at {misread:.0%} misreads (seeds {named})")
    return "; ".join(parts)


def table_end(lines: list[str], header: str) -> int:
    """The index just after the last row of the Markdown table that starts with ``header``."""
    at = lines.index(header) + 2
    while at < len(lines) and lines[at].startswith("| "):
        at += 1
    return at


CV_HEADER = ("| date | counties | folds | tree models | cases | watchlisted top-1 (95 % interval) "
             "| top-1 or its accomplice car | top-5 | not watchlisted top-10 (n) |")


#: Bands of the number of vehicles seen around a scene (a village at night to a town centre).
TRAFFIC_BANDS = [0, 500, 2_000, 5_000, 10_000, float("inf")]


def by_traffic(vehicles_seen: pd.Series, first: pd.Series) -> str:
    """Top-1 per band of vehicles seen, e.g. ``≤500: 0.93 (n = 305) · 500–2000: …``; ``first`` says, per
    case, whether the offender was ranked first."""
    bands = pd.cut(vehicles_seen, TRAFFIC_BANDS, right=True)
    parts = []
    for band, hits in first.groupby(bands, observed=True):
        low, high = band.left, band.right
        name = f"≤{high:.0f}" if low == 0 else (f">{low:.0f}" if high == float("inf") else f"{low:.0f}–{high:.0f}")
        parts.append(f"{name}: {hits.mean():.2f} (n = {len(hits)})")
    return " · ".join(parts)


def crossval(args: argparse.Namespace, frames: list) -> None:
    """k-fold cross-validation of the boosted trees by county; a row in docs/accuracy.md."""
    started = time.perf_counter()
    ranks = cross_validated_ranks(frames, folds=args.folds)
    watched, unwatched = ranks[ranks["watchlisted"]], ranks[~ranks["watchlisted"]]
    folds = min(args.folds, ranks["group"].str.split("/", n=1).str[0].nunique())
    line = (f"| {time.strftime('%Y-%m-%d')} | {describe_counties(ranks['group'])} | {folds} | {len(BOOSTED_SEEDS)} "
            f"| {len(ranks)} "
            f"| {interval(int((watched['rank'] == 1).sum()), len(watched))} (n = {len(watched)}) "
            f"| {interval(int((watched['rank_with_accomplice'] == 1).sum()), len(watched))} "
            f"| {interval(int((watched['rank'] <= 5).sum()), len(watched))} "
            f"| {interval(int((unwatched['rank'] <= 10).sum()), len(unwatched))} (n = {len(unwatched)}) |")
    print(line, f"({time.perf_counter() - started:.0f} s)")
    print("watchlisted top-1 by vehicles seen around the scene:",
          by_traffic(watched["vehicles_seen"], watched["rank"] == 1))
    put_rows(DOC, CV_HEADER, [line], append=True, title="Cross-validated ranking (boosted trees, k folds by county)",
             intro="Each county's cases ranked by trees fitted on the other folds' counties, from the same features "
                   "as suspects computes (`bench/accuracy.py crossval`). Ranking only: no calibration, no collide. "
                   "The features were collected with the shipped model choosing which 1,000 vehicles a case "
                   "looks up further, and that model was fitted on some of these counties; the trees scored "
                   "here were not.")
    print(f"wrote {DOC}")


def put_rows(doc: Path, header: str, rows: list[str], *, append: bool, title: str, intro: str) -> None:
    """Put ``rows`` into the table of ``doc`` that starts with ``header``: after its rows (``append``) or
    instead of them. A doc without that table gets a new section at its end (``title``, ``intro``)."""
    lines = doc.read_text(encoding="utf-8").splitlines() if doc.exists() else []
    if header not in lines:
        lines += ["", f"## {title}", "", intro, "", header, "|" + "---|" * (header.count("|") - 1)]
    set_rows(lines, header, rows, append=append)
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_rows(lines: list[str], header: str, rows: list[str], *, append: bool) -> None:
    """In ``lines``, put ``rows`` after the rows of the table under ``header`` (``append``) or instead of them."""
    start, end = lines.index(header) + 2, table_end(lines, header)
    lines[end if append else start:end] = rows


def update_doc(doc: Path, table: list[str], machine_line: str, *, append: bool) -> None:
    """Put the evaluation rows into ``doc``: replacing its evaluation table (or, with ``append``, after it);
    the notes after the table and the cross-validation table stay."""
    lines = doc.read_text(encoding="utf-8").splitlines() if doc.exists() else []
    if HEADER in lines:
        set_rows(lines, HEADER, table, append=append)
        lines = [machine_line if line.startswith("Machine: ") and not append else line for line in lines]
    else:
        lines = [
            "# Accuracy of suspects and collide on simulated counties",
            "",
            machine_line,
            "",
            HEADER,
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            *table,
            "",
            "Targets (issue 3): watchlisted top-1 ≥ 0.90, top-5 = 1.00; not watchlisted top-10 ≥ 0.5; "
            "serial offender in the top 2.",
            "",
        ]
    doc.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["fit", "evaluate", "crossval"])
    parser.add_argument("--seeds", type=int, nargs="+", required=True)
    parser.add_argument("--misread", type=float, nargs="+", default=[0.03])
    parser.add_argument("--vehicles", type=int, nargs="+", default=[20_000])
    parser.add_argument("--days", type=int, default=35)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--models", nargs="+", choices=sorted(MODEL_FILES), default=["boosted"])
    parser.add_argument("--append", action="store_true", help="add rows to the table in docs/accuracy.md")
    parser.add_argument("--frames", type=Path,
                        help="fit, crossval: the candidates' features as Parquet; read from it when it exists (from "
                             "an earlier run on the same seeds and code), else collected and written to it")
    parser.add_argument("--folds", type=int, default=5, help="crossval: folds (counties split among them)")
    args = parser.parse_args()

    if args.mode == "crossval":
        crossval(args, collected(args))
        return
    if args.mode == "fit":
        frames = collected(args)
        note = {"seeds": args.seeds, "misread": args.misread, "vehicles": args.vehicles, "days": args.days}
        logistic = fit_logistic(frames, l2=args.l2, note=note)
        logistic.save(WEIGHTS_FILE)
        print(json.dumps({"intercept": logistic.intercept, "weights": logistic.weights, **logistic.trained_on}, indent=1))
        boosted = fit_boosted(frames, note=note)
        boosted.save(BOOSTED_FILE)
        print(json.dumps({"slope": boosted.slope, "intercept": boosted.intercept, **boosted.trained_on}, indent=1))
        return

    rows = []
    for model in args.models:
        ranker = load_ranker(MODEL_FILES[model])
        for vehicles in args.vehicles:
            for misread in args.misread:
                started = time.perf_counter()
                m = run(args.seeds, misread, vehicles, args.days, ranker).metrics()
                m.update(model=model, vehicles=vehicles, misread=misread, seeds=args.seeds,
                         seconds=time.perf_counter() - started)
                rows.append(m)
                print(json.dumps(m), flush=True)

    trained = load_ranker(MODEL_FILES[args.models[0]]).trained_on.get("seeds", "hand-set")
    table = [row(m) for m in rows]
    machine_line = (f"Machine: {machine()}. Evaluation counties: {args.days} days, each row names its seeds; the "
                    f"rankers were fitted on other seeds ({trained}).")
    update_doc(DOC, table, machine_line, append=args.append)
    put_rows(DOC, RELIABILITY_HEADER, [reliability_row(m) for m in rows], append=args.append,
             title="Calibration: is a score a probability?",
             intro="Every vehicle scored in the evaluation rows above, by its score: in each bin, the mean score "
                   "against the share of those vehicles that were the offender's (offenders of all of them). A "
                   "calibrated score has the two close in every bin; a case has one offender (two cars when an "
                   "accomplice drove, and the accomplice's car counts as not the offender's here).")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
