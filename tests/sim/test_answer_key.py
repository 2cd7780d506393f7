"""The answer key tells the truth about the files: checked from the raw files alone, as an evaluator would."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pingan.geo import geodesic_km
from pingan.plates import normalise, weighted_distance
from tests.sim.conftest import County

PAD = pd.Timedelta("2h")


def near_scene(reads: pd.DataFrame, case: pd.Series, radius_km: float = 5.0) -> pd.DataFrame:
    """Reads within the radius of a case during its window widened by the pad."""
    start, end = pd.Timestamp(case["start"]) - PAD, pd.Timestamp(case["end"]) + PAD
    window = reads[(reads["ts"] >= start) & (reads["ts"] <= end)]
    km = geodesic_km(window["lon"], window["lat"], float(case["lon"]), float(case["lat"]))
    return window[km <= radius_km]


def test_planted_offences_are_cases_and_offenders_were_seen_there(county: County, reads: pd.DataFrame,
                                                                  key: dict[str, Any]) -> None:
    cases = county.csv("cases.csv").set_index("case_id")
    expected = county.config.offences + sum(len(s["case_ids"]) for s in key["serials"])
    assert len(key["offences"]) == expected
    for offence in key["offences"]:
        assert offence["case_id"] in cases.index
        assert normalise(offence["plate"]) == offence["plate"]
        seen = near_scene(reads, cases.loc[offence["case_id"]])
        assert (seen["norm"] == offence["plate"]).any(), f"{offence['plate']} never seen near {offence['case_id']}"
        if offence["misread_near_scene"]:
            others = seen.loc[seen["norm"] != offence["plate"], "norm"]
            assert any(weighted_distance(p, offence["plate"], 1.0) <= 1.0 for p in others)


def test_some_offences_hide_behind_a_misread_and_some_offenders_are_unknown(key: dict[str, Any]) -> None:
    offences = key["offences"]
    assert any(o["misread_near_scene"] for o in offences)
    assert any(not o["misread_near_scene"] for o in offences)
    assert any(o["watchlisted"] for o in offences)
    assert any(not o["watchlisted"] for o in offences)


def test_watchlisted_offenders_are_on_the_watchlist_and_the_others_are_not(county: County,
                                                                          key: dict[str, Any]) -> None:
    watch = county.csv("watchlist.csv")
    watch["norm"] = watch["plate"].map(normalise)
    for offence in key["offences"]:
        rows = watch[watch["norm"] == offence["plate"]]
        if offence["watchlisted"]:
            row = rows[rows["person_id"] == offence["person_id"]]
            assert len(row) == 1, offence["case_id"]
            assert row["categories"].iloc[0].split(";") == offence["watchlist_categories"]
            assert row["list"].iloc[0] == offence["list"]
        else:
            assert rows.empty and offence["person_id"] is None


def test_serial_offenders_have_their_cases_and_an_accomplice(county: County, reads: pd.DataFrame,
                                                             key: dict[str, Any]) -> None:
    cases = set(county.csv("cases.csv")["case_id"])
    by_case = {o["case_id"]: o for o in key["offences"]}
    assert len(key["serials"]) == county.config.serial_offenders
    for serial in key["serials"]:
        assert len(serial["case_ids"]) >= 2 and set(serial["case_ids"]) <= cases
        assert {by_case[c]["serial_id"] for c in serial["case_ids"]} == {serial["serial_id"]}
        assert {by_case[c]["plate"] for c in serial["case_ids"]} == {serial["plate"]}
        together = _co_reads(reads, serial["plate"], serial["accomplice_plate"], within_s=60)
        assert together >= 2, f"{serial['accomplice_plate']} does not travel with {serial['plate']}"


def test_cloned_plates_are_in_two_places_at_once(reads: pd.DataFrame, key: dict[str, Any]) -> None:
    assert key["clones"]
    for clone in key["clones"]:
        mine = reads[reads["norm"] == clone["plate"]]
        lon, lat, ts = mine["lon"].to_numpy(), mine["lat"].to_numpy(), mine["ts"].to_numpy()
        a, b = np.triu_indices(len(mine), k=1)
        km = geodesic_km(lon[a], lat[a], lon[b], lat[b])
        hours = np.abs(ts[a] - ts[b]).astype("timedelta64[ms]").astype(float) / 3.6e6
        impossible = (km > 2.0) & (km / np.maximum(hours, 1 / 3600) > 150.0)
        assert impossible.any(), f"{clone['plate']} is never in two places at once"


def test_companions_share_cameras_within_seconds(reads: pd.DataFrame, key: dict[str, Any]) -> None:
    for pair in key["companions"]:
        if pair["days_together"] > 0:
            assert _co_reads(reads, pair["plate"], pair["companion"], within_s=60) >= 1, pair


def test_night_active_vehicles_drive_mostly_at_night(reads: pd.DataFrame, key: dict[str, Any]) -> None:
    assert key["night_active"]
    mine = reads[reads["norm"].isin(key["night_active"])]
    night = mine["ts"].dt.hour.isin([22, 23, 0, 1, 2, 3, 4, 5])
    assert night.groupby(mine["norm"]).mean().min() >= 0.5


def test_newcomers_are_first_seen_late(reads: pd.DataFrame, key: dict[str, Any]) -> None:
    assert key["newcomers"]
    first = reads[reads["norm"].isin(key["newcomers"])].groupby("norm")["ts"].min()
    assert (first.dt.date.astype(str) >= key["newcomer_after_date"]).all()


def test_first_appearances_list_every_vehicle_first_seen_after_the_look_back(reads: pd.DataFrame,
                                                                            key: dict[str, Any]) -> None:
    after = key["newcomer_after_date"]
    firsts = {e["plate"]: e for e in key["first_appearances"]}
    assert {e["kind"] for e in firsts.values()} == {"newcomer", "resident", "visitor"}
    assert {p for p, e in firsts.items() if e["kind"] == "newcomer"} == set(key["newcomers"])
    assert all(e["first_day"] >= after for e in firsts.values())
    seen = reads.groupby("norm")["ts"].agg(["min", "size"])
    first_day = seen["min"].dt.date.astype(str)
    listed = [p for p in firsts if p in seen.index]
    assert len(listed) >= 0.9 * len(firsts)  # the rest were never read right (missed or misread)
    # the key counts the vehicle's misread reads too, so its plate may first be read right a day later
    assert all(first_day[p] >= firsts[p]["first_day"] for p in listed)
    assert sum(first_day[p] == firsts[p]["first_day"] for p in listed) >= 0.9 * len(listed)
    # a vehicle read (twice or more: one read may be another car's misread) before the date is not new
    before = reads[reads["ts"].dt.date.astype(str) < after].groupby("norm").size()
    assert not set(before[before >= 2].index) & set(firsts)


def test_loiterers_keep_coming_to_an_area_whose_regulars_pass_it_too(county: County, reads: pd.DataFrame,
                                                                   key: dict[str, Any]) -> None:
    from pingan.sim.loiterers import loiterer_count

    loiterers = key["loiterers"]
    assert len(loiterers) == loiterer_count(county.config) == 3
    assert {lo["kind"] for lo in loiterers} == {"returns", "circles", "both"}
    for lo in loiterers:
        area = lo["area"]
        assert normalise(lo["plate"]) == lo["plate"] and area["cameras"] >= 2 and area["residents"] > 0
        assert set(lo["circling_days"]) <= set(lo["days"]) and (lo["kind"] == "returns") == (not lo["circling_days"])
        km = geodesic_km(reads["lon"], reads["lat"], area["lon"], area["lat"])
        inside = reads[km <= area["radius_km"]]
        days = inside.groupby("norm")["ts"].agg(lambda ts: set(ts.dt.date.astype(str)))
        mine = days.get(lo["plate"], set())
        assert mine <= set(lo["days_seen"])  # what the files show, the key knows
        assert len(mine & set(lo["days"])) >= len(lo["days"]) - 1  # a camera may miss it one day
        # the area's ordinary regulars: vehicles there on as many days as the loiterer
        assert (days.drop(lo["plate"]).map(len) >= len(mine)).sum() >= 10


def test_background_and_planted_cases_partition_cases_csv(county: County, key: dict[str, Any]) -> None:
    planted = {o["case_id"] for o in key["offences"]}
    background = set(key["background_cases"])
    assert not planted & background
    assert planted | background == set(county.csv("cases.csv")["case_id"])


def _co_reads(reads: pd.DataFrame, a: str, b: str, within_s: float) -> int:
    pairs = reads[reads["norm"] == a].merge(reads[reads["norm"] == b], on="camera_id")
    return int(((pairs["ts_x"] - pairs["ts_y"]).abs() <= pd.Timedelta(seconds=within_s)).sum())
