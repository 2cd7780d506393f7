"""Forecast evaluation on real Toronto incidents: writes docs/forecasting.md.

    python bench/forecast_eval.py            # full protocol (104 weekly origins, all models, per category)
    python bench/forecast_eval.py --quick    # every 4th origin, all categories together only

Protocol: weekly rolling-origin forecasts over 2017–2018 (origins Monday 00:00 Toronto time), each from the
three years (1,096 days) before the origin, 250 m cells, the study area = cells with at least one case in
that history. Data: ``$PINGAN_SHARED_DATA`` (default ``../shared/data`` beside the repository).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pingan.forecast.evaluate import COVERAGES, CaseArrays, rolling_origin, score_week, summarise  # noqa: E402
from pingan.forecast.grading import SEVERITY, Grader, GradingRule, jaccard  # noqa: E402
from pingan.forecast.grid import Grid  # noqa: E402
from pingan.forecast.models import MODELS  # noqa: E402

DOC = ROOT / "docs" / "forecasting.md"
TZ = "America/Toronto"
HORIZON = pd.Timedelta(days=7)
LOOKBACK = pd.Timedelta(days=1096)
NS_DAY = 86_400 * 10**9


def machine() -> str:
    """One line naming the machine (CPU, cores, memory, Python)."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except (OSError, ValueError):
        mem = float("nan")
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}"


def data_dir() -> Path:
    """Where the shared real data lives."""
    return Path(os.environ.get("PINGAN_SHARED_DATA", ROOT.parent / "shared" / "data"))


def load(keep_duplicates: bool = False) -> tuple[CaseArrays, dict[str, object]]:
    """The Toronto incidents, projected once, and what was done to them."""
    raw = pd.read_csv(data_dir() / "toronto_mci" / "toronto_mci_until_2018.csv.gz")
    notes: dict[str, object] = {"rows": len(raw), "duplicates": int(raw.duplicated().sum())}
    frame = raw if keep_duplicates else raw.drop_duplicates()
    local = pd.to_datetime(frame["occurred_at"])
    hours = local.dt.hour.value_counts(normalize=True)
    notes["hour0_share"] = float(hours.get(0, 0.0))
    notes["hour12_share"] = float(hours.get(12, 0.0))
    # occurred_at is Toronto wall-clock time; the repeated autumn hour is read as daylight time
    start = local.dt.tz_localize(TZ, ambiguous=True, nonexistent="shift_forward")
    t_ns = start.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
    grid = Grid.for_points(lon, lat, 250.0)
    x, y = grid.project(lon, lat)
    notes["kept"] = len(frame)
    notes["epsg"] = grid.epsg
    return CaseArrays(t_ns, x, y, frame["category"].astype(str).to_numpy(dtype=object), grid), notes


def weekly_origins(quick: bool) -> list[pd.Timestamp]:
    """Mondays 00:00 Toronto time whose following week ends by 2019-01-01 (104 of them)."""
    origins = list(pd.date_range("2017-01-02", "2018-12-24", freq="7D", tz=TZ))
    return origins[::4] if quick else origins


def ceiling(cases: CaseArrays, origins: list[pd.Timestamp]) -> float:
    """Diagnostic, not a model: hit rate at 5 % of a *clairvoyant* long-run rate.

    Scores each cell by its cases in the 18 months either side of the week (future included, the week
    itself excluded). It shows how much any model that knows a cell's long-run rate could gain over naive.
    """
    rows, cols = cases.grid.row_col(cases.x, cases.y)
    got = tot = 0.0
    for origin in origins:
        history = cases.history(origin, LOOKBACK)
        actual, total = cases.actual(history, HORIZON)
        idx = history.cells.index_of(rows, cols)
        start = origin.value
        around = (cases.t_ns >= start - 548 * NS_DAY) & (cases.t_ns < start + 548 * NS_DAY)
        week = (cases.t_ns >= start) & (cases.t_ns < start + HORIZON.value)
        chosen = around & ~week & (idx >= 0)
        scores = np.bincount(idx[chosen], minlength=len(history.cells)).astype(float)
        got += score_week(scores, actual, total)["captured_5"]
        tot += total
    return got / tot


def grading(cases: CaseArrays, origins: list[pd.Timestamp]) -> dict[str, float]:
    """Red/yellow/green grading each week: next month's crime in red cells and red-set stability.

    Three graders run side by side: the grading rule with hysteresis, the same scores ranked afresh each
    week, and a rule scored on the three-year count alone (with hysteresis). Four weeks before the first
    origin are graded but not reported, so the hysteresis starts warm.
    """
    month = pd.Timedelta(days=28)
    step = origins[1] - origins[0] if len(origins) > 1 else pd.Timedelta(days=7)
    warm = [origins[0] - step * i for i in range(4, 0, -1)]
    usable = [o for o in origins if o + month <= pd.Timestamp("2019-01-01", tz=TZ)]
    long_rule = GradingRule(long_days=1096.0, recent_weight=0.0, trend_weight=0.0,
                            severity={c: 1.0 for c in SEVERITY})
    graders = {"hysteresis": (Grader(GradingRule()), True), "plain": (Grader(GradingRule()), False),
               "long": (Grader(long_rule), True)}
    prev: dict[str, set[int]] = {}
    out: dict[str, list[float]] = {}
    weights = np.array([SEVERITY.get(c, 1.0) for c in cases.category])
    for origin in warm + usable:
        history = cases.history(origin, LOOKBACK)
        report = origin >= origins[0]
        keys = history.cells.rows * 10_000_000 + history.cells.cols
        colours = {name: g.step(history, hysteresis=h) for name, (g, h) in graders.items()}
        if not report:
            continue
        actual, total = cases.actual(history, month)
        start = origin.value
        in_month = (cases.t_ns >= start) & (cases.t_ns < start + month.value)
        rows, cols = cases.grid.row_col(cases.x[in_month], cases.y[in_month])
        idx = history.cells.index_of(rows, cols)
        harm = np.bincount(idx[idx >= 0], weights=weights[in_month][idx >= 0], minlength=len(history.cells))
        share = GradingRule().red_share
        out.setdefault("naive_top_share", []).append(
            score_week(history.counts(), actual, total, (share,))[f"captured_{round(share * 100):g}"] / total)
        for name, colour in colours.items():
            red_keys = set(colour.index[colour == "red"].tolist())
            red = np.isin(keys, list(red_keys))
            yellow = np.isin(keys, colour.index[colour == "yellow"].to_numpy())
            out.setdefault(f"{name}_red_share_crime", []).append(actual[red].sum() / total)
            out.setdefault(f"{name}_red_share_harm", []).append(harm[red].sum() / weights[in_month].sum())
            out.setdefault(f"{name}_red_cells", []).append(red.sum() / len(keys))
            out.setdefault(f"{name}_yellow_share_crime", []).append(actual[yellow].sum() / total)
            if name in prev:
                out.setdefault(f"{name}_jaccard", []).append(jaccard(prev[name], red_keys))
            prev[name] = red_keys
    summary = {key: float(np.mean(v)) for key, v in out.items()}
    summary.update({f"{key}_min": float(np.min(v)) for key, v in out.items() if key.endswith("jaccard")})
    summary["weeks"] = float(len(usable))
    return summary


def hawkes_params(cases: CaseArrays) -> dict[str, float]:
    """The self-exciting model's fitted parameters at the start of 2018 (all categories), for the record."""
    from pingan.forecast.models.hawkes import Hawkes

    fit = Hawkes().fit(cases.history(pd.Timestamp("2018-01-01", tz=TZ), LOOKBACK)).params
    assert fit is not None
    return {"fast_days": fit.fast_days, "slow_days": fit.slow_days, "theta_fast": fit.theta[0],
            "theta_slow": fit.theta[1], "theta_near": fit.theta[2], "background_share": fit.background_share}


def pct(v: float) -> str:
    return "–" if v != v else f"{100 * v:.1f} %"


def lift(v: float) -> str:
    """A relative change, with two decimals when it is under one per cent."""
    return "–" if v != v else (f"{100 * v:+.2f} %" if abs(v) < 0.01 else f"{100 * v:+.1f} %")


def pval(v: float) -> str:
    return "–" if v != v else ("< 0.0001" if v < 1e-4 else f"{v:.4f}")


def hawkes_lines(fit: dict[str, float] | None) -> list[str]:
    """A paragraph on what the self-exciting model found, if it was fitted."""
    if not fit:
        return []
    return [
        "### What the self-exciting model found",
        "",
        f"Fitted on the three years before 2018-01-01 (all categories): each case adds on average "
        f"{fit['theta_fast']:.3f} expected cases to its own cell with a {fit['fast_days']:g}-day memory, "
        f"{fit['theta_slow']:.3f} with a {fit['slow_days']:g}-day memory, and {fit['theta_near']:.3f} spread over the "
        f"eight neighbouring cells; {pct(fit['background_share'])} of cases are explained as background. Repeat "
        "and near-repeat victimisation is real but small next to each cell's steady rate, which is why the "
        "model ranks cells almost exactly as the naive count does.",
        "",
    ]


def write_doc(summary: pd.DataFrame, notes: dict[str, object], grades: dict[str, float], ceil5: float,
              dup_naive: float, default: str, seconds: float, quick: bool, origins: int,
              extras_hawkes: dict[str, float] | None = None) -> None:
    """Write docs/forecasting.md from the measured figures."""
    allc = summary[summary.category == "all"].set_index("model")
    naive = allc.loc["naive"]
    lines = [
        "# Crime forecasting: models and their measured accuracy on Toronto",
        "",
        "`pingan forecast` ranks square cells by the crime they should expect in the horizon after `--as-of`,",
        "using only cases that started before it (library: `pingan.forecast.forecast`). Models are named",
        "strategies behind one `HotspotModel` interface (`pingan/forecast/models/`):",
        "",
        "| name | what it is |",
        "|---|---|",
        *[f"| `{name}` | {make().description} |" for name, make in MODELS.items()],
        "",
        f"The default (`--model default`) is **`{default}`**: the best hit rate at 5 % among models that beat "
        "naive significantly (one-sided Wilcoxon p < 0.05 over the weekly paired hit rates, all categories); "
        "when none does, naive stays the default, because it is the simplest to explain and nothing measured "
        "better.",
        "",
        "Use it from Python (the CLI and the API are thin adapters over the same call):",
        "",
        "```python",
        "from pingan.forecast import forecast",
        "fc = forecast(cases, as_of=\"2018-06-04T00:00-04:00\", horizon=\"7d\", cell_m=250, category=None,",
        "              model=\"default\")   # cases: DataFrame with lon, lat, start, category",
        "fc.to_json()   # {\"as_of\", \"horizon\", \"cell_m\", \"model\", \"category\", \"cells\": [{\"rank\", "
        "\"cell_id\", \"bbox\", \"score\", \"expected\", \"history_count\"}...]}",
        "```",
        "",
        "Cells are 250 m squares of the UTM zone holding the cases' median point; `cell_id` is `r{row}_c{col}` "
        "counted from the zone's origin, so an id names the same square in every forecast. `score` = `expected` = "
        "expected cases in the horizon; every cell with at least one earlier case is listed, best first "
        "(ties: more past cases first, then id). Horizons: `24h`, `7d`, `2w`, …",
        "",
        "## Protocol",
        "",
        f"- Data: Toronto Police MCI incidents (`shared/data/toronto_mci`), {notes['rows']:,} rows; "
        f"{notes['duplicates']:,} exact duplicate rows dropped ({notes['kept']:,} kept). `occurred_at` is read as "
        "Toronto local time (the repeated autumn hour as daylight time). Hours 0 and 12 are over-represented "
        f"({pct(notes['hour0_share'])} and {pct(notes['hour12_share'])} of rows, unknown times); a weekly "
        "horizon that starts at midnight is barely affected (an unknown-hour case stays on its date).",
        f"- Origins: {origins} weekly origins, Mondays 00:00 Toronto time from 2017-01-02 to 2018-12-24"
        + (" (quick run: every 4th)" if quick else "") + "; horizon 7 days.",
        "- History: the 1,096 days (3 years) before each origin; nothing at or after the origin is used.",
        f"- Cells: 250 m squares in UTM (EPSG:{notes['epsg']}); study area = cells with ≥ 1 case in the history "
        f"(≈ {int(allc.loc['naive', 'cells']) if 'cells' in allc.columns else 0:,} cells).",
        "- Hit rate at p = share of the week's cases (all of them, including any outside the study area) in "
        "the top p of study cells; ties at the cut share credit in proportion. PAI = hit rate / p. "
        "PEI = captured / the most the same number of cells could have held (oracle). Pooled over weeks.",
        "- Paired test: per-week hit rate at 5 % of each model vs naive, one-sided Wilcoxon signed-rank and "
        "paired t; `p (≥ +10 %)` tests model − 1.1 × naive > 0, the target.",
        "- Expensive models re-learn their parameters every 4 origins (every 8 for single categories) and "
        "otherwise take the newer history with the parameters kept; either way nothing after the origin "
        "is seen.",
        "",
        f"Machine: {machine()}. Run on {date.today().isoformat()}, {seconds / 60:.1f} min in all.",
        "",
        "## All categories together",
        "",
        "| model | hit 1 % | hit 5 % | hit 10 % | hit 20 % | PAI 1/5/10/20 | PEI 5 % | lift @5 % vs naive "
        "| weeks better | p Wilcoxon | p t-test | p (≥ +10 %) | s / forecast |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in allc.iterrows():
        pais = " / ".join(f"{r[f'pai_{round(p * 100):g}']:.1f}" for p in COVERAGES)
        change = "–" if name == "naive" else lift(r["lift_5"])
        better = "–" if name == "naive" else f"{int(r['weeks_better'])}/{int(r['weeks'])}"
        lines.append(
            f"| `{name}` | {pct(r.hit_1)} | {pct(r.hit_5)} | {pct(r.hit_10)} | {pct(r.hit_20)} | {pais} | "
            f"{pct(r.pei_5)} | {change} | {better} | {pval(r.get('p_wilcoxon', float('nan')))} | "
            f"{pval(r.get('p_ttest', float('nan')))} | {pval(r.get('p_margin', float('nan')))} | {r.seconds:.2f} |")
    lines += [
        f"| oracle (knows the week) | {pct(naive.oracle_1)} | {pct(naive.oracle_5)} | {pct(naive.oracle_10)} | "
        f"{pct(naive.oracle_20)} | | 100 % | | | | | | |",
        "",
        f"Our naive figures for 2017–2018 are {pct(naive.hit_1)} / {pct(naive.hit_5)} / {pct(naive.hit_10)} / "
        f"{pct(naive.hit_20)}; the data README measured 13.9 / 35.2 / 48.8 / 65.4 % for 2019 under the same "
        "protocol (we have no 2019 data, so these are different weeks, not a failed reproduction). "
        f"Keeping the exact duplicates instead of dropping them gives naive {pct(dup_naive)} at 5 %.",
        "",
        "### How much is there to gain? A ceiling",
        "",
        f"A *clairvoyant* long-run rate — each cell scored by its cases in the 18 months either side of the "
        f"week, future included, the week itself excluded — captures {pct(ceil5)} at 5 % "
        f"({lift(ceil5 / naive.hit_5 - 1)} over naive). So knowing each cell's long-run rate perfectly is worth "
        f"about {100 * (ceil5 / naive.hit_5 - 1):.0f} %; the rest of the gap to the oracle is week-to-week chance "
        "(Poisson noise) plus short-term dynamics, and the self-exciting and learned models find little "
        "short-term signal beyond the three-year count at this scale.",
        "",
        *hawkes_lines(extras_hawkes),
        "## Per category (hit rate at 5 %)",
        "",
        "| category | model | cases | hit 5 % | PEI 5 % | lift vs naive | p Wilcoxon | p (≥ +10 %) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in summary[summary.category != "all"].iterrows():
        change = "–" if r.model == "naive" else lift(r["lift_5"])
        lines.append(f"| {r.category} | `{r.model}` | {int(r.cases):,} | {pct(r.hit_5)} | {pct(r.pei_5)} | {change} | "
                     f"{pval(r.get('p_wilcoxon', float('nan')))} | {pval(r.get('p_margin', float('nan')))} |")
    others = allc.drop(index="naive")
    best = others.sort_values("hit_5", ascending=False).iloc[0] if len(others) else naive
    met = len(others) > 0 and best["lift_5"] >= 0.10 and best["p_margin"] < 0.05
    lines += [
        "",
        "## Verdict against the target",
        "",
        "Target: hit rate at 5 % coverage at least 10 % above the naive three-year count, significantly.",
        "",
        (f"**Met** by `{best.name}`: {lift(best['lift_5'])} (p = {pval(best['p_margin'])} for ≥ +10 %)."
         if met else
         f"**Not met.** The best model, `{best.name}`, is {lift(best['lift_5'])} against naive at 5 % "
         f"(one-sided Wilcoxon p = {pval(best['p_wilcoxon'])}; p = {pval(best['p_margin'])} for ≥ +10 %). "
         "KDE and near-repeat smoothing lose clearly, as the data README found. The ceiling above says why: "
         "on this data the three-year count already holds almost all the predictable signal at 250 m and one "
         "week, so +10 % is out of reach for any model that does not know the future."),
        "",
        "Per category a few models edge ahead of naive with one-sided p < 0.05 (see the table); with 20 "
        "comparisons (4 models × 5 categories) these are suggestive, not established (Bonferroni would ask for "
        "p < 0.0025), and none comes near +10 %.",
        "",
        "## Red / yellow / green grading of Toronto's cells",
        "",
        "Each week every study cell is scored by severity-weighted cases per week (weights "
        + ", ".join(f"{k} {v:g}" for k, v in SEVERITY.items())
        + "): ½ × last-year rate + ½ × last-28-day rate + ¼ × (last-quarter rate − last-year rate). The top "
        "5.6 % are red candidates, the next 18.4 % yellow. With hysteresis a cell turns red after 2 weeks in a "
        "row as a candidate and stops after 2 weeks in a row below 1.5 × the red band "
        f"(`pingan/forecast/grading.py`). {int(grades['weeks'])} weekly gradings, each checked against the "
        "next 28 days.",
        "",
        "| grading | red cells (share of area) | next month's crime in red | crime share / area share "
        "| severity-weighted | in yellow | red set week-to-week Jaccard (mean / min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, label in (("hysteresis", "risk score, with hysteresis"), ("plain", "risk score, ranked afresh weekly"),
                        ("long", "3-year count only, with hysteresis")):
        lines.append(f"| {label} | {pct(grades[f'{name}_red_cells'])} | {pct(grades[f'{name}_red_share_crime'])} | "
                     f"{grades[f'{name}_red_share_crime'] / grades[f'{name}_red_cells']:.1f} | "
                     f"{pct(grades[f'{name}_red_share_harm'])} | {pct(grades[f'{name}_yellow_share_crime'])} | "
                     f"{grades[f'{name}_jaccard']:.2f} / {grades[f'{name}_jaccard_min']:.2f} |")
    lines += [
        f"| naive top 5.6 % each week (reference) | 5.6 % | {pct(grades['naive_top_share'])} | "
        f"{grades['naive_top_share'] / 0.056:.1f} | | | |",
        "",
        "Reading (this run): a grading that leans on the last month (the usual grid-grading recipe) puts *less* of next "
        "month's crime in its red cells per unit of area than the plain three-year count, because a month of "
        "cases is mostly noise at 250 m. Hysteresis makes the red set steadier week to week at a small cost per "
        "unit of area (and the red set drifts a little above 5.6 % of cells, as a cell leaves only after "
        "sustained calm). Grading red on the long-run count with hysteresis holds the most crime and barely changes; "
        "recent surges are better shown as a separate flag than mixed into the colour.",
        "",
        "## Known gaps",
        "",
        "- Only 2017–2018 can be evaluated (the data end in 2018), so the README's 2019 figures are not "
        "re-measured on the same weeks.",
        "- Sub-day horizons work but the learned model trains on whole days; the evaluation covers 7 days only.",
        "- Severity weights for grading are illustrative, not an agreed harm index.",
        "",
        "Regenerate with `python bench/forecast_eval.py` (about 9 minutes on 2 cores; `--quick` about 1 minute; "
        "`--render` rewrites this page from the last run's saved figures).",
        "",
    ]
    DOC.write_text("\n".join(lines), encoding="utf-8")


def render(weeks: pd.DataFrame, extras: dict[str, object]) -> str:
    """Summarise the weekly rows, choose the default model and write the document; the default's name."""
    summary = summarise(weeks)
    cells = weeks[weeks.category == "all"].groupby("model").cells.mean()
    summary = summary.merge(cells.rename("cells").reset_index().assign(category="all"),
                            on=["category", "model"], how="left")
    allc = summary[(summary.category == "all") & (summary.model != "naive")]
    winners = allc[allc.p_wilcoxon < 0.05].sort_values("hit_5", ascending=False) if len(allc) else allc
    default = str(winners.iloc[0].model) if len(winners) else "naive"
    write_doc(summary, extras["notes"], extras["grading"], float(extras["ceiling"]),  # type: ignore[arg-type]
              float(extras["dup_naive"]), default, float(extras["seconds"]),  # type: ignore[arg-type]
              bool(extras["quick"]), int(extras["origins"]),  # type: ignore[call-overload]
              extras.get("hawkes"))  # type: ignore[arg-type]
    pd.set_option("display.width", 250)
    print(summary.round(4).to_string())
    return default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="every 4th origin, no per-category runs")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "pingan_forecast",
                        help="folder for the weekly rows (weeks.csv) and the other figures (extras.json)")
    parser.add_argument("--render", action="store_true", help="only rewrite the document from --out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.render:
        weeks = pd.read_csv(args.out / "weeks.csv", parse_dates=["origin"])
        extras = json.loads((args.out / "extras.json").read_text())
        print("default", render(weeks, extras), f"wrote {DOC}")
        return
    models = {name: MODELS[name] for name in dict.fromkeys(["naive", *args.models])}
    started = time.perf_counter()
    cases, notes = load()
    origins = weekly_origins(args.quick)
    log = lambda msg: print(f"[{time.perf_counter() - started:6.0f} s] {msg}", flush=True)  # noqa: E731
    frames = [rolling_origin(cases, origins, models, HORIZON, LOOKBACK, refit_every={"boosted": 4, "hawkes": 4},
                             progress=log)]
    if not args.quick:
        for category in sorted(set(cases.category.tolist())):
            frames.append(rolling_origin(cases, origins, models, HORIZON, LOOKBACK, category=category,
                                         refit_every={"boosted": 8, "hawkes": 8}, progress=log))
    weeks = pd.concat(frames, ignore_index=True)
    dup_cases, _ = load(keep_duplicates=True)
    dup = summarise(rolling_origin(dup_cases, origins, {"naive": MODELS["naive"]}, HORIZON, LOOKBACK))
    extras = {"notes": notes, "ceiling": ceiling(cases, origins), "grading": grading(cases, origins),
              "dup_naive": float(dup.loc[0, "hit_5"]), "seconds": time.perf_counter() - started,
              "quick": args.quick, "origins": len(origins), "hawkes": hawkes_params(cases)}
    weeks.to_csv(args.out / "weeks.csv", index=False)
    (args.out / "extras.json").write_text(json.dumps(extras, indent=1))
    print("default", render(weeks, extras), extras, f"wrote {DOC}")


if __name__ == "__main__":
    main()
