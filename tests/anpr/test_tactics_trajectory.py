"""Trajectory and stay points of one plate on hand-built reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pingan.anpr.staypoints import StayQuery, stay_points
from pingan.anpr.trajectory import TrajectoryQuery, plate_variants, trajectory
from pingan.store.db import Store
from tests.anpr.tactics_helpers import ReadBatch, drive, make_camera, make_read, period

WEEK = period("2026-03-09 00:00", "2026-03-15 23:59:59")  # Monday to Sunday


@pytest.fixture
def town(store: Store) -> Store:
    """HOME and WORK 8 km apart with cameras between; FAR 60 km away."""
    make_camera(store, "HOME")
    make_camera(store, "H2", km_east=0.3)
    make_camera(store, "MID", km_east=4)
    make_camera(store, "WORK", km_east=8)
    make_camera(store, "BAR", km_north=5)
    make_camera(store, "FAR", km_east=60)
    return store


def commute_week(store: Store, plate: str = "苏A12345") -> None:
    """Weekdays: leaves home 08:00, at work 08:12; leaves work 18:00, home 18:12. Friday night at the bar."""
    with ReadBatch(store) as b:
        for d in range(9, 14):
            b.drive(plate, ["HOME", "MID", "WORK"], f"2026-03-{d:02d} 08:00", minutes_apart=6)
            b.drive(plate, ["WORK", "MID", "H2"], f"2026-03-{d:02d} 18:00", minutes_apart=6)
        b.drive(plate, ["H2", "BAR"], "2026-03-13 21:00", minutes_apart=10)
        b.drive(plate, ["BAR", "HOME"], "2026-03-14 01:00", minutes_apart=10)


def test_reads_in_order_split_into_trips_with_gaps_and_speeds(town: Store) -> None:
    commute_week(town)
    result = trajectory(town, TrajectoryQuery(plate="苏A12345", period=WEEK))
    assert len(result.reads) == 34
    assert len(result.trips) == 12
    assert list(result.reads["ts"]) == sorted(result.reads["ts"])
    second = result.reads.iloc[1]
    assert second["km"] == pytest.approx(4.0, abs=0.05)
    assert second["kmh"] == pytest.approx(4.0 * 1.3 / 0.1, rel=0.02)  # 4 km in 6 min, on the road
    assert not result.reads["impossible"].any()
    assert result.variants == []  # nothing looks misread: no variant lookup


def test_the_json_shape_follows_the_contract(town: Store) -> None:
    commute_week(town)
    doc = trajectory(town, TrajectoryQuery(plate="苏A12345", period=WEEK)).to_json()
    assert doc["plate"] == "苏A12345"
    assert {"camera_id", "ts", "plate", "confidence", "lon", "lat"} <= set(doc["reads"][0])
    assert doc["reads"][0]["ts"] == "2026-03-09T08:00:00+08:00"
    assert {"start", "end", "reads"} <= set(doc["trips"][0])
    assert doc["trips"][0]["reads"] == 3


def test_misread_looking_reads_offer_variants(town: Store) -> None:
    commute_week(town, "苏A1Z345")  # the plate the analyst has is 苏A12345; cameras read 苏A1Z345
    make_read(town, "苏A12345", "FAR", "2026-03-10 08:05")
    make_read(town, "苏A12345", "HOME", "2026-03-10 08:07")  # 60 km in 2 minutes: impossible
    result = trajectory(town, TrajectoryQuery(plate="苏A12345", period=WEEK))
    assert result.reads["impossible"].sum() == 1
    assert result.variants[0].plate == "苏A1Z345"
    assert result.variants[0].reads == 6  # looked up on the day of the impossible move
    assert any("look misread" in r for r in result.reasons)


def test_an_unknown_plate_offers_what_the_cameras_saw(town: Store) -> None:
    commute_week(town, "皖A12345")
    result = trajectory(town, TrajectoryQuery(plate="苏A12345", period=WEEK))
    assert result.reads.empty
    assert [v.plate for v in result.variants] == ["皖A12345"]


def test_variants_are_one_confusion_or_one_province_away() -> None:
    v = plate_variants("苏A12345")
    assert "苏A1Z345" in v and "皖A12345" in v and "苏A12345" not in v
    assert "苏A99345" not in v


def test_stay_points_find_home_and_work(town: Store) -> None:
    commute_week(town)
    result = stay_points(town, StayQuery(plate="苏A12345", period=WEEK))
    labels = {p.label: p for p in result.points}
    home, work = labels["home"], labels["workplace"]
    assert set(home.cameras) <= {"HOME", "H2"}
    assert home.overnights == 4  # Mon–Thu nights at home; Friday night at the bar until 01:00, then home
    assert work.cameras == ["WORK"]
    assert work.visits == 5 and work.dwell_hours == pytest.approx(5 * (18 - 8.2), rel=0.01)
    assert result.points[0].rank == 1
    assert result.points[0].dwell_hours >= result.points[1].dwell_hours
    bar = [p for p in result.points if "BAR" in p.cameras][0]
    assert bar.visits == 1 and bar.label == "stop"
    doc = result.to_json()
    assert {"rank", "lon", "lat", "visits", "dwell_hours"} <= set(doc["points"][0])


def test_short_stops_are_not_stays(town: Store) -> None:
    drive(town, "苏A12345", ["HOME", "MID"], "2026-03-10 08:00")
    drive(town, "苏A12345", ["MID", "WORK"], "2026-03-10 08:40")  # 34 min at MID: a trip gap, not a stay
    result = stay_points(town, StayQuery(plate="苏A12345", period=WEEK))
    assert result.stays == 0 and result.points == []


def test_a_period_with_no_reads_says_so(town: Store) -> None:
    result = stay_points(town, StayQuery(plate="苏A12345", period=WEEK))
    assert result.points == [] and "no reads" in result.reasons[0]


def test_stays_are_placed_between_the_arrival_and_departure_cameras(town: Store) -> None:
    start = datetime(2026, 3, 10, 8)
    drive(town, "苏A12345", ["MID", "HOME"], start)
    drive(town, "苏A12345", ["H2", "MID"], start + timedelta(hours=5))
    point = stay_points(town, StayQuery(plate="苏A12345", period=WEEK)).points[0]
    assert point.cameras == ["HOME", "H2"]
    assert point.dwell_hours == pytest.approx(5 - 3 / 60, rel=0.01)
