"""The county's files follow the data contract (section 1) exactly."""

from __future__ import annotations

import json
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pingan.plates import is_valid, normalise
from pingan.sim.projection import LocalProjection
from tests.sim.conftest import County

CONTRACT_COLUMNS = {
    "cameras.csv": ["camera_id", "lon", "lat", "kind", "name", "direction", "road"],
    "reads.csv": ["camera_id", "ts", "plate", "confidence", "read_id", "plate_color", "vehicle_type"],
    "watchlist.csv": ["plate", "person_id", "categories", "list", "valid_until", "note"],
    "cases.csv": ["case_id", "category", "lon", "lat", "start", "end", "description", "status", "reported_at",
                  "solved_at"],
    "officers.csv": ["officer_id", "name", "grid_ids"],
    "disputes.csv": ["dispute_id", "lon", "lat", "level", "status", "opened_at", "closed_at", "category", "parties",
                     "description"],
}
ISO_LOCAL = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


def test_csv_files_have_exactly_the_contract_columns(county: County) -> None:
    for name, columns in CONTRACT_COLUMNS.items():
        assert list(county.csv(name).columns) == columns, name


def test_parquet_reads_have_the_contract_columns_and_an_aware_timestamp(county: County) -> None:
    schema = pq.read_schema(county.path / "reads.parquet")
    assert schema.names == CONTRACT_COLUMNS["reads.csv"]
    assert schema.field("ts").type == pa.timestamp("ms", tz="+08:00")


def test_csv_and_parquet_hold_the_same_reads(county: County) -> None:
    csv = county.csv("reads.csv")
    parquet = pq.read_table(county.path / "reads.parquet").to_pandas()
    assert len(csv) == len(parquet) == county.result.counts["reads"]
    assert csv["read_id"].tolist() == parquet["read_id"].tolist()
    assert csv["plate"].tolist() == parquet["plate"].tolist()
    assert csv["ts"].map(ISO_LOCAL.match).all()
    assert (pd.to_datetime(csv["ts"]) == parquet["ts"].dt.floor("s")).all()


def test_reads_are_unique_in_time_order_and_in_range(county: County) -> None:
    parquet = pq.read_table(county.path / "reads.parquet").to_pandas()
    assert parquet["read_id"].is_unique
    assert parquet["ts"].is_monotonic_increasing
    assert parquet["confidence"].between(0, 1).all()
    assert set(parquet["camera_id"]) <= set(county.csv("cameras.csv")["camera_id"])


def test_plates_come_spelled_the_ways_cameras_spell_them(county: County) -> None:
    plates = pd.Series(pq.read_table(county.path / "reads.parquet", columns=["plate"]).column(0).to_pylist())
    for pattern in ("·", " ", "[Ａ-Ｚ０-９]", "[a-z]"):
        assert plates.str.contains(pattern).mean() > 0.01, pattern
    canonical = plates.map(normalise)
    assert (canonical == plates).mean() > 0.5
    assert canonical.map(is_valid).mean() > 0.97


def test_cameras_and_cases_sit_inside_the_county(county: County) -> None:
    proj = LocalProjection(county.config.center_lon, county.config.center_lat)
    reach = county.config.county_km / 2 + 1.5  # scenes may lie a little off the outermost road
    for name in ("cameras.csv", "cases.csv", "disputes.csv"):
        frame = county.csv(name)
        x, y = proj.to_km(frame["lon"].astype(float), frame["lat"].astype(float))
        assert max(abs(x).max(), abs(y).max()) <= reach, name
    cases = county.csv("cases.csv")
    assert cases["case_id"].is_unique
    assert (pd.to_datetime(cases["start"]) <= pd.to_datetime(cases["end"])).all()
    assert cases[["start", "end", "reported_at"]].apply(lambda c: c.str.match(ISO_LOCAL.pattern)).all().all()


def test_grids_tile_the_county_in_two_levels(county: County) -> None:
    grids = json.loads((county.path / "grids.geojson").read_text(encoding="utf-8"))
    assert grids["type"] == "FeatureCollection"
    props = [f["properties"] for f in grids["features"]]
    police = {p["grid_id"] for p in props if p["level"] == "police"}
    governance = [p for p in props if p["level"] == "governance"]
    assert police and governance
    assert all(p["parent_id"] in police for p in governance)
    assert all(f["geometry"]["type"] == "Polygon" for f in grids["features"])
    officers = county.csv("officers.csv")
    assigned = {g for ids in officers["grid_ids"] for g in ids.split(";")}
    assert assigned == police


def test_watchlist_entries_are_pseudonymous_and_categorised(county: County) -> None:
    watch = county.csv("watchlist.csv")
    assert watch["person_id"].str.match(r"^P\d{6}$").all()
    assert set(watch["list"]) <= {"priors", "stolen", "wanted"}
    categories = {c for cats in watch["categories"] for c in cats.split(";")}
    assert categories <= {"theft", "burglary", "cable_theft", "drugs", "fraud", "assault", "vehicle_theft"}
    share = len(watch) / county.config.vehicles
    assert 0.03 <= share <= 0.06
