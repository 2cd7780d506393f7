"""Reality check: the simulator's camera-to-camera journeys against real ones from Bath's ANPR survey.

Bath (B&NES Council, 2017) publishes, for 1,442 pairs of camera sites, the average time and the number
of real journeys between consecutive sightings of the same vehicle (journeys under 30 minutes). This
script builds the same table from a simulated county — consecutive reads of one plate at two different
camera sites, under 30 minutes apart — and compares, per band of straight-line distance, the implied
speed (km/h) and the journey time of the pair averages, weighted by journeys, as in Bath's file.

Usage::

    .venv/bin/python bench/sim_vs_bath.py [--vehicles 20000] [--days 3] [--seed 0] [--core-network FILE]
                                          [--with-futian] [--no-write]

The shared data is read from ``../shared/data`` next to the repository (override with
``$PINGAN_SHARED_DATA``). Findings are written into ``docs/simulator.md`` between the
``bath-comparison`` markers, with the date and the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pingan.geo import geodesic_km  # noqa: E402
from pingan.plates import normalise  # noqa: E402
from pingan.sim import SimConfig, simulate  # noqa: E402

BANDS = [(0.3, 1.0), (1.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 20.0), (20.0, 60.0)]
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)
DOC = REPO / "docs" / "simulator.md"
START, END = "<!-- bath-comparison:start -->", "<!-- bath-comparison:end -->"


def shared_data() -> Path:
    return Path(os.environ.get("PINGAN_SHARED_DATA", REPO.parent / "shared" / "data"))


def bath_pairs(root: Path) -> pd.DataFrame:
    """Bath's site pairs: km apart (straight line), average minutes, journeys."""
    sites = pd.read_csv(root / "bath_anpr" / "sites.csv").set_index("id")
    moves = pd.read_csv(root / "bath_anpr" / "moves_day.csv")
    moves = moves[moves["from_site"].isin(sites.index) & moves["to_site"].isin(sites.index)]
    a, b = sites.loc[moves["from_site"]], sites.loc[moves["to_site"]]
    km = geodesic_km(a["longitude"].to_numpy(), a["latitude"].to_numpy(), b["longitude"].to_numpy(),
                     b["latitude"].to_numpy())
    return pd.DataFrame({"km": km, "minutes": moves["avg_time"].to_numpy() / 60.0,
                         "journeys": moves["total"].to_numpy()})


def simulated_pairs(county: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulated county's camera pairs in Bath's form, and its individual journeys."""
    reads = pq.read_table(county / "reads.parquet", columns=["camera_id", "ts", "plate"]).to_pandas()
    spellings = {p: normalise(p) for p in reads["plate"].unique()}
    reads["plate"] = reads["plate"].map(spellings)
    cams = pd.read_csv(county / "cameras.csv").set_index("camera_id")
    # A site is a place: the cameras of one junction (one per direction) share it.
    cams["site"] = cams.groupby(["lon", "lat"]).ngroup()
    reads = reads.join(cams[["lon", "lat", "site"]], on="camera_id").sort_values(["plate", "ts"], kind="stable")
    same = reads["plate"].to_numpy()[1:] == reads["plate"].to_numpy()[:-1]
    seconds = np.diff(reads["ts"].to_numpy()).astype("timedelta64[ms]").astype(float) / 1000.0
    moved = reads["site"].to_numpy()[1:] != reads["site"].to_numpy()[:-1]
    keep = same & moved & (seconds > 0) & (seconds < 1800)
    lon, lat = reads["lon"].to_numpy(), reads["lat"].to_numpy()
    journeys = pd.DataFrame({
        "from": reads["camera_id"].to_numpy()[:-1][keep], "to": reads["camera_id"].to_numpy()[1:][keep],
        "km": geodesic_km(lon[:-1][keep], lat[:-1][keep], lon[1:][keep], lat[1:][keep]),
        "minutes": seconds[keep] / 60.0,
    })
    pairs = journeys.groupby(["from", "to"]).agg(km=("km", "first"), minutes=("minutes", "mean"),
                                                 journeys=("minutes", "size")).reset_index()
    return pairs, journeys


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Quantiles of values each counted ``weight`` times."""
    if len(values) == 0:
        return np.full(len(qs), np.nan)
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cum, v)


def compare(bath: pd.DataFrame, sim: pd.DataFrame) -> pd.DataFrame:
    """Per distance band: journeys, and quantiles of implied speed and of minutes, Bath beside simulation."""
    rows = []
    for lo, hi in [*BANDS, (0.3, 8.0)]:
        row: dict[str, object] = {"band_km": f"{lo:g}–{hi:g}" if (lo, hi) != (0.3, 8.0) else "0.3–8 (all Bath)"}
        for name, frame in (("bath", bath), ("sim", sim)):
            part = frame[(frame["km"] >= lo) & (frame["km"] < hi)]
            speed = part["km"].to_numpy() / (part["minutes"].to_numpy() / 60.0)
            w = part["journeys"].to_numpy().astype(float)
            row[f"{name}_pairs"] = len(part)
            row[f"{name}_journeys"] = int(w.sum())
            row[f"{name}_kmh"] = weighted_quantiles(speed, w)
            row[f"{name}_min"] = weighted_quantiles(part["minutes"].to_numpy(), w)
        rows.append(row)
    return pd.DataFrame(rows)


def render(table: pd.DataFrame, config: SimConfig, individual: pd.DataFrame) -> str:
    def q(values: np.ndarray, idx: tuple[int, ...] = (1, 2, 3)) -> str:
        return " / ".join("–" if np.isnan(values[i]) else f"{values[i]:.1f}" for i in idx)

    lines = [
        f"Measured {dt.date.today().isoformat()} on {platform.node() or 'this machine'} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}); simulated county: "
        f"{config.vehicles:,} vehicles, {config.days} days, seed {config.seed}"
        + (f", core network {Path(config.core_network).name}" if config.core_network else ", synthetic core") + ".",
        "",
        "Pair averages weighted by journeys, as in Bath's `moves_day.csv`; quantiles are 25 % / 50 % / 75 %.",
        "",
        "| distance band (km) | Bath pairs (journeys) | sim pairs (journeys) | Bath km/h | sim km/h "
        "| Bath minutes | sim minutes |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(f"| {r['band_km']} | {r['bath_pairs']} ({r['bath_journeys']:,}) | {r['sim_pairs']} "
                     f"({r['sim_journeys']:,}) | {q(r['bath_kmh'])} | {q(r['sim_kmh'])} | {q(r['bath_min'])} "
                     f"| {q(r['sim_min'])} |")
    speed = individual["km"] / (individual["minutes"] / 60.0)
    lines += ["", f"Individual simulated journeys ({len(individual):,}, under 30 minutes, 0.3 km or more): implied "
              f"speed 10/25/50/75/90 % = {' / '.join(f'{v:.1f}' for v in np.quantile(speed, QUANTILES))} km/h."]
    return "\n".join(lines)


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# The county simulator\n\n{START}\n{END}\n"
    if START not in doc:
        doc += f"\n{START}\n{END}\n"
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--core-network", type=Path, default=None,
                        help="compare a county with this town centre instead of the synthetic one")
    parser.add_argument("--with-futian", action="store_true",
                        help="also compare a county whose centre is the shared Futian street network")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "sim_vs_bath")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/simulator.md alone")
    args = parser.parse_args(argv)

    root = shared_data()
    bath = bath_pairs(root)
    bath = bath[bath["km"] >= 0.3]
    cores = [args.core_network]
    if args.with_futian:
        cores.append(root / "road_networks" / "shenzhen_futian_osmnx.graphml")
    texts = []
    for k, core in enumerate(cores):
        config = SimConfig(vehicles=args.vehicles, days=args.days, seed=args.seed, core_network=core)
        out = args.out / f"county{k}"
        simulate(out, config)
        sim, individual = simulated_pairs(out)
        individual = individual[individual["km"] >= 0.3]
        texts.append(render(compare(bath, sim[sim["km"] >= 0.3]), config, individual))
    text = "\n\n".join(texts)
    print(text)
    if not args.no_write:
        write_doc(text)
        print(f"\nwritten to {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
