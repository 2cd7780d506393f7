"""Suspect ranking on small hand-built counties: each signal moves the ranking the way an investigator expects."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import pingan.anpr.suspects as suspects_module
from pingan.anpr.suspects import SuspectQuery, score_area, suspects
from pingan.store.db import Store
from tests.builders import SCENE, add_camera, add_case, add_daily, add_read, add_watch, offset

CASE_START, CASE_END = "2026-03-10 01:00", "2026-03-10 03:00"


@pytest.fixture
def village(store: Store) -> Store:
    """A village scene with two cameras inside 5 km, one 20 km away in town, and a cable-theft case."""
    add_camera(store, "A", *offset(*SCENE, km_east=1))
    add_camera(store, "B", *offset(*SCENE, km_north=3))
    add_camera(store, "TOWN", *offset(*SCENE, km_east=20))
    add_case(store, "C1", "cable_theft", *SCENE, CASE_START, CASE_END)
    # ordinary traffic at the scene's cameras in the weeks before, mostly by day
    for i in range(12):
        add_daily(store, f"苏N{10000 + i}", "A", "2026-02-10", 28, time=f"{8 + i % 10:02d}:15")
    return store


def ranks(store: Store, **kw: object) -> dict[str, int]:
    result = suspects(store, SuspectQuery(case_id="C1", **kw))  # type: ignore[arg-type]
    return {c.plate: c.rank for c in result.candidates}


def in_and_out(store: Store, plate: str, camera: str = "A") -> None:
    """Arrives before the window, leaves after it: the offender's pattern."""
    add_read(store, plate, camera, "2026-03-10 00:50")
    add_read(store, plate, camera, "2026-03-10 03:10")


def test_a_relevant_prior_outranks_an_irrelevant_one_and_both_outrank_no_record(village: Store) -> None:
    for plate in ("苏A11111", "苏A22222", "苏A33333"):
        in_and_out(village, plate)
    add_watch(village, "苏A11111", "P1", ["fraud"])
    add_watch(village, "苏A22222", "P2", ["cable_theft"])
    r = ranks(village)
    assert r["苏A22222"] < r["苏A11111"] < r["苏A33333"]


def test_a_regular_at_these_cameras_ranks_below_a_newcomer(village: Store) -> None:
    in_and_out(village, "苏A44444")
    in_and_out(village, "苏A55555")
    add_daily(village, "苏A55555", "A", "2026-02-10", 28, time="07:30")
    r = ranks(village)
    assert r["苏A44444"] < r["苏A55555"]


def test_arriving_staying_and_leaving_outranks_passing_through(village: Store) -> None:
    in_and_out(village, "苏A66666")
    add_read(village, "苏A77777", "A", "2026-03-10 01:30")
    add_read(village, "苏A77777", "B", "2026-03-10 01:34")
    r = ranks(village)
    assert r["苏A66666"] < r["苏A77777"]


def test_a_vehicle_at_an_hour_these_cameras_rarely_see_ranks_above_one_at_a_busy_hour(store: Store) -> None:
    add_camera(store, "A", *offset(*SCENE, km_east=1))
    add_case(store, "C1", "burglary", *SCENE, "2026-03-10 20:00", "2026-03-11 04:00")
    for i in range(10):  # evening traffic at 20:xx every day
        add_daily(store, f"苏N{20000 + i}", "A", "2026-02-10", 28, time="20:10")
    add_read(store, "苏A88888", "A", "2026-03-11 02:00")
    add_read(store, "苏A99999", "A", "2026-03-10 20:20")
    r = ranks(store)
    assert r["苏A88888"] < r["苏A99999"]


def test_a_vehicle_from_far_away_ranks_above_a_local(store: Store) -> None:
    add_camera(store, "A", *offset(*SCENE, km_east=1))
    add_camera(store, "NEAR", *offset(*SCENE, km_east=4))  # outside a 2 km radius, but close
    add_camera(store, "FAR", *offset(*SCENE, km_east=30))
    add_case(store, "C1", "theft", *SCENE, CASE_START, CASE_END)
    add_daily(store, "苏A12121", "NEAR", "2026-02-20", 14)
    add_daily(store, "苏A34343", "FAR", "2026-02-20", 14)
    for plate in ("苏A12121", "苏A34343"):
        in_and_out(store, plate)
    r = ranks(store, radius_km=2.0)
    assert r["苏A34343"] < r["苏A12121"]


def test_seen_more_often_in_the_window_ranks_higher(village: Store) -> None:
    add_read(village, "苏B11111", "A", "2026-03-10 01:20")
    for minute in ("01:20", "01:40", "02:10"):
        add_read(village, "苏B22222", "B", f"2026-03-10 {minute}")
    r = ranks(village)
    assert r["苏B22222"] < r["苏B11111"]


def test_a_misread_watchlisted_plate_is_matched_fuzzily_and_says_so(village: Store) -> None:
    add_watch(village, "苏E12345", "P9", ["cable_theft"])
    add_read(village, "苏E1Z345", "A", "2026-03-10 00:55", confidence=0.6)  # 2 read as Z
    add_read(village, "苏E1Z345", "A", "2026-03-10 03:05", confidence=0.6)
    result = suspects(village, SuspectQuery(case_id="C1"))
    top = result.candidates[0]
    assert top.plate == "苏E1Z345"
    assert top.watchlist is not None and top.watchlist.kind == "fuzzy"
    assert top.watchlist.entry.plate == "苏E12345"
    assert any("misread" in reason for reason in top.reasons)


def test_a_misread_of_a_vehicle_also_read_correctly_is_counted_as_that_vehicle(village: Store) -> None:
    add_watch(village, "苏E12345", "P9", ["cable_theft"])
    add_read(village, "苏E12345", "A", "2026-03-10 00:55")
    add_read(village, "苏E1Z345", "B", "2026-03-10 03:05", confidence=0.5)
    result = suspects(village, SuspectQuery(case_id="C1"))
    plates = [c.plate for c in result.candidates]
    assert "苏E1Z345" not in plates
    top = result.candidates[0]
    assert top.plate == "苏E12345" and len(top.reads) == 2 and top.watchlist.kind == "exact"


def test_a_stay_whose_way_out_was_misread_is_still_a_stay_near_the_scene(village: Store) -> None:
    add_watch(village, "苏E12345", "P9", ["cable_theft"])
    add_read(village, "苏E12345", "A", "2026-03-10 00:50")
    add_read(village, "苏E1Z345", "A", "2026-03-10 03:10", confidence=0.5)  # the way out, misread
    in_and_out(village, "苏E67890")  # the same stay, read right both ways
    result = suspects(village, SuspectQuery(case_id="C1"))
    features = {c.plate: c.features for c in result.candidates}
    assert features["苏E12345"]["dark_overlap"] == pytest.approx(features["苏E67890"]["dark_overlap"])
    assert features["苏E12345"]["dark_overlap"] > 0.9


def test_a_car_that_could_have_been_at_the_scene_between_its_reads_outranks_one_that_could_not(village: Store) -> None:
    # both seen once beside the scene on the way in, next seen in town, 20 km off (30 minutes' drive)
    add_read(village, "苏H22222", "A", "2026-03-10 00:40")
    add_read(village, "苏H22222", "TOWN", "2026-03-10 03:50")  # time enough to stop at the scene
    add_read(village, "苏H11111", "A", "2026-03-10 00:40")
    add_read(village, "苏H11111", "TOWN", "2026-03-10 01:10")  # drove straight through
    result = suspects(village, SuspectQuery(case_id="C1"))
    features = {c.plate: c.features for c in result.candidates}
    assert features["苏H22222"]["could_be_there"] > 0.9
    assert features["苏H11111"]["could_be_there"] == 0.0
    r = {c.plate: c.rank for c in result.candidates}
    assert r["苏H22222"] < r["苏H11111"]
    could = next(c for c in result.candidates if c.plate == "苏H22222")
    assert any("time to have been at the scene" in reason for reason in could.reasons)


def test_double_reads_are_one_pass_and_all_spellings_are_one_vehicle(village: Store) -> None:
    add_read(village, "苏F12345", "A", "2026-03-10 01:30:00")
    add_read(village, "苏F·12345", "A", "2026-03-10 01:30:04")
    add_read(village, "苏ｆ１２３４５", "B", "2026-03-10 02:30:00")
    result = suspects(village, SuspectQuery(case_id="C1"))
    cand = next(c for c in result.candidates if c.plate == "苏F12345")
    assert len(cand.reads) == 2
    assert sum(1 for c in result.candidates if c.plate.startswith("苏F")) == 1


def test_only_cameras_inside_the_radius_and_reads_inside_the_padded_window_count(village: Store) -> None:
    add_read(village, "苏G11111", "TOWN", "2026-03-10 01:30")  # 20 km away
    add_read(village, "苏G22222", "A", "2026-03-09 20:00")  # long before the window
    add_read(village, "苏G33333", "A", "2026-03-10 04:30")  # inside the 2 h pad
    result = suspects(village, SuspectQuery(case_id="C1"))
    plates = {c.plate for c in result.candidates}
    assert plates == {"苏G33333"} and result.area.camera_ids == ["A", "B"]
    narrow = suspects(village, SuspectQuery(case_id="C1", pad=timedelta(hours=1)))
    assert narrow.candidates == []


def test_scores_are_probabilities_and_top_cuts_the_list(village: Store) -> None:
    for i in range(5):
        in_and_out(village, f"苏H1000{i}")
    result = suspects(village, SuspectQuery(case_id="C1", top=3))
    assert len(result.candidates) == 3 and result.vehicles_seen == 5
    assert all(0.0 <= c.score <= 1.0 for c in result.candidates)
    assert [c.rank for c in result.candidates] == [1, 2, 3]
    doc = json.loads(json.dumps(result.to_json()))
    assert set(doc) >= {"case_id", "window", "cameras", "vehicles_seen", "candidates"}
    cand = doc["candidates"][0]
    assert set(cand) >= {"rank", "plate", "score", "watchlist", "reasons", "reads"}
    assert set(cand["reads"][0]) >= {"camera_id", "ts", "plate", "confidence"}
    assert cand["reads"][0]["ts"].endswith("+08:00")


def test_every_score_is_the_models_score_of_the_vehicles_final_features(village: Store, monkeypatch) -> None:  # noqa: ANN001
    # only vehicles whose features the lookups changed are scored twice; the others keep the first pass
    monkeypatch.setattr(suspects_module, "USUAL_PLACE_CANDIDATES", 2)
    for i in range(6):
        in_and_out(village, f"苏H2000{i}")
        add_daily(village, f"苏H2000{i}", "TOWN", "2026-02-20", 5)  # lives in town: far, once looked up
    add_watch(village, "苏H20003", "P3", ["theft"])
    scored = score_area(village, SuspectQuery(case_id="C1"))
    assert len(scored.vehicles) == 6
    assert (scored.vehicles["far_km"] > 0).sum() == 2  # the shortlist got looked up, the rest did not
    again = scored.ranker.score(scored.vehicles)
    assert scored.vehicles["score"].to_numpy() == pytest.approx(again, rel=1e-12)


def test_an_expired_watchlist_entry_does_not_count(village: Store) -> None:
    in_and_out(village, "苏J12345")
    add_watch(village, "苏J12345", "P3", ["cable_theft"], valid_until="2026-01-01 00:00")
    result = suspects(village, SuspectQuery(case_id="C1"))
    assert next(c for c in result.candidates if c.plate == "苏J12345").watchlist is None


def test_a_vehicle_unseen_near_the_scene_during_the_offence_outranks_one_seen_driving_on(village: Store) -> None:
    # both pass camera A before the window and B after it; one is seen in town during the offence
    for plate in ("苏C10001", "苏C10002"):
        add_read(village, plate, "A", "2026-03-10 00:40")
        add_read(village, plate, "B", "2026-03-10 03:20")
    add_read(village, "苏C10002", "TOWN", "2026-03-10 01:50")
    result = suspects(village, SuspectQuery(case_id="C1"))
    by_plate = {c.plate: c for c in result.candidates}
    assert by_plate["苏C10001"].features["dark_overlap"] == pytest.approx(1.0)
    assert by_plate["苏C10002"].features["dark_overlap"] == pytest.approx(0.0)
    assert by_plate["苏C10001"].rank < by_plate["苏C10002"].rank


def test_a_vehicle_out_at_an_hour_it_never_drives_outranks_a_night_worker(village: Store) -> None:
    add_daily(village, "苏E30001", "TOWN", "2026-02-12", 26, time="08:30")  # a day driver
    add_daily(village, "苏E30002", "TOWN", "2026-02-12", 26, time="01:40")  # a night-shift worker
    for plate in ("苏E30001", "苏E30002"):
        add_read(village, plate, "A", "2026-03-10 01:40")
    result = suspects(village, SuspectQuery(case_id="C1"))
    by_plate = {c.plate: c for c in result.candidates}
    assert by_plate["苏E30001"].features["own_hour_rarity"] > by_plate["苏E30002"].features["own_hour_rarity"]
    assert by_plate["苏E30001"].rank < by_plate["苏E30002"].rank


def test_a_vehicle_that_went_out_of_sight_next_to_the_scene_outranks_one_that_stopped_at_the_far_edge(
        store: Store) -> None:
    # (the plate that sorts first is the one that should rank lower: a tie cannot pass)
    # two cameras: one 0.5 km from the scene, one at the edge of the 5 km area; both vehicles come in
    # past the edge camera, but only one goes on to the camera beside the scene and stays unseen there
    add_camera(store, "NEAR", *offset(*SCENE, km_east=0.5))
    add_camera(store, "EDGE", *offset(*SCENE, km_north=4.5))
    add_case(store, "C1", "burglary", *SCENE, CASE_START, CASE_END)
    add_read(store, "苏F40002", "EDGE", "2026-03-10 00:40")
    add_read(store, "苏F40002", "NEAR", "2026-03-10 00:45")
    add_read(store, "苏F40002", "NEAR", "2026-03-10 02:30")
    add_read(store, "苏F40001", "NEAR", "2026-03-10 00:45")
    add_read(store, "苏F40001", "EDGE", "2026-03-10 00:50")
    add_read(store, "苏F40001", "EDGE", "2026-03-10 02:35")
    result = suspects(store, SuspectQuery(case_id="C1"))
    by_plate = {c.plate: c for c in result.candidates}
    near, edge = by_plate["苏F40002"], by_plate["苏F40001"]
    assert near.features["turn_km"] == pytest.approx(0.5, abs=0.05)
    assert edge.features["turn_km"] == pytest.approx(4.5, abs=0.05)
    assert edge.features["turned_nearest"] == 0.0 and near.features["turned_nearest"] == 1.0
    assert near.rank < edge.rank
    assert any("out of sight 0.5 km from the scene" in reason for reason in near.reasons)


@pytest.mark.parametrize("dtype", ["str", object])
def test_a_reads_plate_is_found_among_the_vehicles_whatever_pandas_holds_it_as(dtype) -> None:
    import numpy as np
    import pandas as pd

    from pingan.anpr.features import positions

    seen = pd.Series(["苏A11111", "苏B22222", "苏A11111", "京C33333"], dtype=dtype)
    among = np.array(["苏B22222", "苏A11111"], dtype=object)
    assert positions(seen, among).tolist() == [1, 0, 1, -1]
