"""Real-data check: real journeys between real ANPR cameras are never flagged as impossible travel.

Bath & North East Somerset Council's 2017 ANPR survey (Open Government Licence v3.0): 66 real camera
sites and the average time of 1.35 M real journeys between consecutive sightings of the same vehicle,
per site pair (``moves_day.csv``) and per site pair and hour (``moves_hr.csv``). We place the cameras
where they are, drive one vehicle along each site pair at its real average time (three times a day, so a
wrongly flagged pair would have the repeated evidence a clone needs), and sweep for clones.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pingan.anpr.cloned import CloneQuery, cloned
from pingan.anpr.travel import TravelRule
from pingan.geo import haversine_km
from pingan.store.db import Store
from pingan.timeutil import to_utc_naive
from tests.anpr.tactics_helpers import period

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PINGAN_SHARED_DATA") or ROOT.parent / "shared" / "data")
BATH = SHARED / "bath_anpr"

pytestmark = pytest.mark.skipif(
    not (BATH / "sites.csv").exists(),
    reason=f"the Bath ANPR survey is not at {BATH} (set PINGAN_SHARED_DATA to the folder holding bath_anpr/)",
)


def load_bath() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    sites = pd.read_csv(BATH / "sites.csv").set_index("id")
    day = pd.read_csv(BATH / "moves_day.csv")
    hour = pd.read_csv(BATH / "moves_hr.csv")
    for moves in (day, hour):
        a, b = sites.loc[moves["from_site"]], sites.loc[moves["to_site"]]
        moves["km"] = haversine_km(a["longitude"].to_numpy(), a["latitude"].to_numpy(),
                                   b["longitude"].to_numpy(), b["latitude"].to_numpy())
    return sites, day, hour


def bath_store(store: Store, sites: pd.DataFrame, day: pd.DataFrame, hour: pd.DataFrame) -> None:
    store.con.register("_sites", sites.reset_index())
    store.con.execute("INSERT INTO cameras (camera_id, lon, lat, kind, name, direction, batch_id) "
                      "SELECT 'BATH' || id, longitude, latitude, 'anpr', name, direction, 0 FROM _sites")
    store.con.unregister("_sites")
    midnight = datetime(2026, 3, 10)
    rows = []
    for i, m in enumerate(day.itertuples(index=False)):
        plate = f"苏B{i:05d}"
        for start_h in (7.5, 12.25, 17.75):
            t = midnight + timedelta(hours=start_h, seconds=i % 600)
            rows.append((f"BATH{m.from_site}", t, plate))
            rows.append((f"BATH{m.to_site}", t + timedelta(seconds=float(m.avg_time)), plate))
    for i, m in enumerate(hour.itertuples(index=False)):
        plate = f"苏C{i:05d}"
        t = midnight + timedelta(hours=int(m.hour), seconds=i % 1800)
        rows.append((f"BATH{m.from_site}", t, plate))
        rows.append((f"BATH{m.to_site}", t + timedelta(seconds=float(m.avg_time)), plate))
    frame = pd.DataFrame(rows, columns=["camera_id", "local", "plate"])
    frame["ts"] = frame["local"].map(to_utc_naive)
    frame["day"] = frame["local"].dt.date
    store.con.register("_reads", frame)
    store.con.execute("INSERT INTO reads (camera_id, ts, day, plate, plate_raw, plate_valid, confidence, batch_id) "
                      "SELECT camera_id, ts, day, plate, plate, true, 0.9, 0 FROM _reads ORDER BY day, plate, ts")
    store.con.unregister("_reads")


def test_no_real_site_pair_is_an_impossible_move() -> None:
    _, day, hour = load_bath()
    rule = TravelRule()
    assert len(day) == 1442 and day["total"].sum() == 1_348_612
    assert not rule.impossible(day["km"], day["avg_time"]).any()
    fastest = (day["km"] / (day["avg_time"] / 3600)).max()
    assert fastest < 60  # straight-line km/h of the fastest pair on average
    # per hour, the only averages too fast are single journeys (a survey mismatch, or a clock glitch)
    too_fast = hour[rule.impossible(hour["km"], hour["avg_time"])]
    assert len(too_fast) <= 10 and (too_fast["total"] == 1).all()


def test_the_clone_sweep_flags_none_of_the_real_journeys(store: Store) -> None:
    sites, day, hour = load_bath()
    bath_store(store, sites, day, hour)
    result = cloned(store, CloneQuery(period=period("2026-03-10 00:00", "2026-03-10 23:59:59")))
    assert result.plates == []
    # the handful of single too-fast hourly journeys are one stray read each: set aside, never clones
    assert result.single_outliers <= 10
    n_reads = store.con.execute("SELECT count(*) FROM reads").fetchall()[0][0]
    assert n_reads == 2 * (3 * len(day) + len(hour))
    assert np.isfinite(day["km"]).all()
