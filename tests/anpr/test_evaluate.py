"""The accuracy harness on a small simulated county: every planted offence is looked for in suspects' list,
every serial offender in collide's, and the scores are checked against who the offenders really were."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pingan.anpr.evaluate import CALIBRATION_BINS, Evaluation, Reliability, evaluate, load_answer_key
from pingan.anpr.summaries import build_derived
from pingan.sim import SimConfig, simulate
from pingan.store.db import open_store
from pingan.store.importers import import_file

SMALL = SimConfig(vehicles=3_000, days=10, county_km=16, seed=4, offences=10, serial_offenders=1, clones=0,
                  companions=0, misread_rate=0.03)
FILES = {"cameras": "cameras.csv", "watchlist": "watchlist.csv", "cases": "cases.csv", "reads": "reads.parquet"}


@pytest.fixture(scope="module")
def small_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("small-county")
    simulate(folder, SMALL)
    db = folder / "pingan.duckdb"
    with open_store(db) as store:
        for kind, name in FILES.items():
            import_file(store, kind, folder / name)
        build_derived(store)
    return folder, db


def test_every_planted_offence_and_serial_offender_is_looked_for(small_county: tuple[Path, Path]) -> None:
    folder, db = small_county
    key = load_answer_key(folder)
    with open_store(db) as store:
        evaluation = evaluate(store, key)
    assert [o.case_id for o in evaluation.offences] == [o["case_id"] for o in key["offences"]]
    assert len(evaluation.serials) == len(key.get("serials", []))
    m = evaluation.metrics()
    assert m["watchlisted"] + m["not_watchlisted"] == len(key["offences"])
    # the ranking finds offenders on a county it was not fitted on: most watchlisted ones in the top 5
    assert m["watchlisted_top5"] >= 0.8
    assert all(s.rank is not None and s.rank <= 2 for s in evaluation.serials)
    # the reliability table counts every scored vehicle once, and every offender seen near its scene
    rows = m["reliability"]
    assert sum(r["vehicles"] for r in rows) == evaluation.candidates_scored > 0
    assert sum(r["offenders"] for r in rows) == sum(1 for o in evaluation.offences if o.rank is not None)
    assert 0.0 <= m["brier"] < 0.01


def test_the_reliability_table_compares_each_bins_mean_score_with_its_share_of_offenders() -> None:
    table = Reliability()
    table.add(np.array([0.0005, 0.0005, 0.3, 0.4, 0.9]), np.array([0, 0, 0, 1, 1]))
    rows = table.rows()
    assert len(rows) == len(CALIBRATION_BINS) - 1
    low = rows[0]
    assert (low["vehicles"], low["offenders"], low["mean_score"]) == (2, 0, pytest.approx(0.0005))
    middle = next(r for r in rows if r["low"] == 0.2)
    assert (middle["vehicles"], middle["offender_share"]) == (2, 0.5)
    assert middle["mean_score"] == pytest.approx(0.35)
    top = rows[-1]
    assert (top["vehicles"], top["offenders"], top["high"]) == (1, 1, 1.0)  # a score of exactly 1 has a bin
    table.add(np.array([1.0]), np.array([0]))
    assert table.rows()[-1]["vehicles"] == 2
    merged = Evaluation(reliability=table).merge(Evaluation(reliability=table))
    assert merged.reliability.rows()[0]["vehicles"] == 4
