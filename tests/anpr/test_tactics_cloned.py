"""Cloned plates on hand-built reads: real clones are found; misreads and double reads never make one."""

from __future__ import annotations

import pytest

from pingan.anpr.cloned import CloneQuery, cloned
from pingan.anpr.travel import TravelRule
from pingan.store.db import Store
from tests.anpr.tactics_helpers import drive, make_camera, make_read, period

DAY = period("2026-03-10 00:00", "2026-03-10 23:59:59")


@pytest.fixture
def two_towns(store: Store) -> Store:
    """Cameras W1..W4 in a western town, E1..E4 in an eastern town 40 km away, 2 km apart along a road."""
    for i in range(4):
        make_camera(store, f"W{i + 1}", km_east=2.0 * i)
        make_camera(store, f"E{i + 1}", km_east=40.0 + 2.0 * i)
    make_camera(store, "W1b", km_east=0.02)  # the other direction of site W1, 20 m away
    return store


def flagged(store: Store, p=DAY, **kw: object) -> dict[str, object]:
    result = cloned(store, CloneQuery(period=p, **kw))  # type: ignore[arg-type]
    return {c.plate: c for c in result.plates}


def test_one_plate_driving_in_two_towns_at_once_is_a_clone(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "W2", "W3", "W4"], "2026-03-10 08:00")
    drive(two_towns, "苏A12345", ["E1", "E2", "E3"], "2026-03-10 08:05")
    found = flagged(two_towns)
    assert list(found) == ["苏A12345"]
    clone = found["苏A12345"]
    assert len(clone.second_vehicle) == 3
    assert clone.evidence and all(e.kmh > 150 for e in clone.evidence)
    assert any("impossible move" in r for r in clone.reasons)
    doc = clone.to_json()
    assert {"a", "b", "km", "minutes", "kmh"} <= set(doc["evidence"][0])
    assert {"camera_id", "ts", "plate", "confidence"} <= set(doc["evidence"][0]["a"])
    assert doc["evidence"][0]["a"]["ts"].endswith("+08:00")


def test_a_journey_at_believable_speeds_is_not_a_clone(two_towns: Store) -> None:
    # 40 km in 30 minutes: 104 km/h on the road — fast, but one vehicle can do it
    drive(two_towns, "苏A12345", ["W1", "W2", "E1", "E2"], "2026-03-10 08:00", minutes_apart=30)
    assert flagged(two_towns) == {}


def test_a_single_misread_onto_a_real_plate_never_makes_a_clone(two_towns: Store) -> None:
    # 苏A12345 drives in the west; one of its reads comes out as 苏A1Z345, a real car driving in the east
    times = drive(two_towns, "苏A12345", ["W1", "W2", "W4"], "2026-03-10 08:00")
    make_read(two_towns, "苏A1Z345", "W3", times[1].replace(minute=times[1].minute + 2), confidence=0.6)
    drive(two_towns, "苏A1Z345", ["E1", "E2", "E3", "E4"], "2026-03-10 07:55")
    assert flagged(two_towns) == {}


def test_two_misreads_of_one_car_on_one_day_are_explained_as_misreads(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "W3"], "2026-03-10 08:00")
    make_read(two_towns, "苏A1Z345", "W2", "2026-03-10 08:01")
    make_read(two_towns, "苏A1Z345", "W4", "2026-03-10 08:05")
    drive(two_towns, "苏A1Z345", ["E1", "E2", "E3", "E4"], "2026-03-10 07:50", minutes_apart=5)
    result = cloned(two_towns, CloneQuery(period=DAY))
    assert result.plates == []


def test_a_misread_province_character_is_explained(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "W3"], "2026-03-10 08:00", minutes_apart=4)
    make_read(two_towns, "皖A12345", "W2", "2026-03-10 08:02")
    make_read(two_towns, "皖A12345", "W4", "2026-03-10 08:06")
    drive(two_towns, "皖A12345", ["E1", "E2", "E3"], "2026-03-10 07:58")
    assert flagged(two_towns) == {}


def test_double_reads_and_the_two_directions_of_one_site_never_make_a_clone(two_towns: Store) -> None:
    for t in ("2026-03-10 08:00:00", "2026-03-10 08:00:01", "2026-03-10 08:00:02"):
        make_read(two_towns, "苏A12345", "W1", t)
    make_read(two_towns, "苏A12345", "W1b", "2026-03-10 07:59:58")  # skewed clock at the other camera
    make_read(two_towns, "苏A12345", "W2", "2026-03-10 08:03")
    assert flagged(two_towns) == {}


def test_one_stray_read_a_day_on_several_days_adds_up_over_a_period(two_towns: Store) -> None:
    for d in (10, 11, 12):
        drive(two_towns, "苏A12345", ["W1", "W2", "W3"], f"2026-03-{d} 08:00")
        make_read(two_towns, "苏A12345", "E2", f"2026-03-{d} 08:04")
    assert flagged(two_towns, DAY) == {}
    week = flagged(two_towns, period("2026-03-10 00:00", "2026-03-12 23:59"))
    assert list(week) == ["苏A12345"]
    assert len(week["苏A12345"].days) == 3


def test_a_conflict_across_midnight_is_found_once(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "W2"], "2026-03-10 23:50")
    drive(two_towns, "苏A12345", ["E1", "E2"], "2026-03-10 23:56", minutes_apart=3)  # E2 at 23:59
    drive(two_towns, "苏A12345", ["W3", "W4"], "2026-03-11 00:02")
    drive(two_towns, "苏A12345", ["E3", "E4"], "2026-03-11 00:10")
    found = flagged(two_towns, period("2026-03-10 00:00", "2026-03-11 23:59"))
    clone = found["苏A12345"]
    stray_ts = [r["ts"] for r in clone.second_vehicle]
    assert len(stray_ts) == len(set(stray_ts))


def test_conflicting_colours_are_reported(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "W2", "W3"], "2026-03-10 08:00", plate_color="blue")
    drive(two_towns, "苏A12345", ["E1", "E2", "E3"], "2026-03-10 08:02", plate_color="yellow")
    clone = flagged(two_towns)["苏A12345"]
    assert clone.attribute_conflicts[0].values == {"blue": 3, "yellow": 3}
    assert any("plate colours" in r for r in clone.reasons)


def test_more_evidence_ranks_first(two_towns: Store) -> None:
    drive(two_towns, "苏A11111", ["W1", "W2", "W3"], "2026-03-10 08:00")
    drive(two_towns, "苏A11111", ["E1", "E2"], "2026-03-10 08:02")
    drive(two_towns, "苏A22222", ["W1", "W2", "W3"], "2026-03-10 09:00")
    drive(two_towns, "苏A22222", ["E1", "E2", "E3", "E4"], "2026-03-10 09:02")
    drive(two_towns, "苏A22222", ["E4", "E3", "E2"], "2026-03-10 12:00")
    drive(two_towns, "苏A22222", ["W3", "W2"], "2026-03-10 12:02")
    result = cloned(two_towns, CloneQuery(period=DAY))
    assert [p.plate for p in result.plates] == ["苏A22222", "苏A11111"]
    assert [p.rank for p in result.plates] == [1, 2]


def test_the_speed_limit_is_configurable(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "E1"], "2026-03-10 08:00", minutes_apart=20)  # 156 km/h on the road
    drive(two_towns, "苏A12345", ["W1", "E1"], "2026-03-10 10:00", minutes_apart=20)
    assert flagged(two_towns) == {}
    assert "苏A12345" in flagged(two_towns, rule=TravelRule(max_kmh=100))


def _moves(store: Store, day: str) -> set[tuple[str, str, str]]:
    from datetime import date

    from pingan.anpr.clone_sweep import _sorting_pass, impossible_moves, reach
    from pingan.anpr.cloned import day_bounds

    query = CloneQuery(period=period(f"{day} 00:00", f"{day} 23:59:59"))
    b = day_bounds(query, date.fromisoformat(day))
    assert b is not None
    horizon = reach(store, query.rule)
    fast = impossible_moves(store, query.rule, b, horizon)
    slow = _sorting_pass(store, query.rule, b.lo, b.day_end, b.day, b.day, horizon)
    as_set = lambda f: {(r.plate, r.a_cam, r.b_cam) for r in f.itertuples()}  # noqa: E731
    assert as_set(fast) == as_set(slow)
    return as_set(fast)


@pytest.mark.parametrize("late_first", [False, True])
def test_reads_that_arrive_in_another_batch_are_swept_too(two_towns: Store, late_first: bool) -> None:
    from tests.anpr.tactics_helpers import ReadBatch

    def main_batch() -> None:
        with ReadBatch(two_towns) as b:  # one sorted batch, as the importer writes a day
            for i in range(40):
                b.drive(f"苏A{10000 + i}", ["W1", "W2", "W3"], f"2026-03-10 0{i % 9}:10")
            b.drive("苏A12345", ["W1", "W2", "W3", "W4"], "2026-03-10 08:00")

    def late_batch() -> None:
        with ReadBatch(two_towns) as b:  # the eastern camera's upload, late
            b.drive("苏A12345", ["E1", "E2", "E3"], "2026-03-10 08:05")
            b.drive("苏A10003", ["E1", "E2"], "2026-03-10 03:11")

    for load in ((late_batch, main_batch) if late_first else (main_batch, late_batch)):
        load()
    moves = _moves(two_towns, "2026-03-10")
    assert {m[0] for m in moves} == {"苏A12345", "苏A10003"}
    assert set(flagged(two_towns)) == {"苏A12345", "苏A10003"}


def test_stray_reads_the_camera_doubted_count_half(two_towns: Store) -> None:
    drive(two_towns, "苏A12345", ["W1", "W2", "W3", "W4"], "2026-03-10 08:00")
    drive(two_towns, "苏A12345", ["E1", "E2"], "2026-03-10 08:04", confidence=0.55)
    assert flagged(two_towns) == {}
    drive(two_towns, "苏A12345", ["E3"], "2026-03-10 08:10", confidence=0.9)
    assert any("low confidence" in r for r in flagged(two_towns)["苏A12345"].reasons)
