"""Multi-case collision: a stranger at three night scenes outranks a commuter who passes two of them daily."""

from __future__ import annotations

import pytest

from pingan.anpr.collide import CollideQuery, collide
from pingan.errors import BadInput
from pingan.store.db import Store
from tests.builders import SCENE, add_camera, add_case, add_daily, add_read, add_watch, offset

SCENES = {
    "K1": offset(*SCENE, km_east=0),
    "K2": offset(*SCENE, km_east=12),
    "K3": offset(*SCENE, km_north=12),
}


@pytest.fixture
def three_cases(store: Store) -> Store:
    for case_id, (lon, lat) in SCENES.items():
        add_camera(store, f"cam-{case_id}", *offset(lon, lat, km_east=0.5))
    add_case(store, "K1", "cable_theft", *SCENES["K1"], "2026-03-03 01:00", "2026-03-03 03:00")
    add_case(store, "K2", "cable_theft", *SCENES["K2"], "2026-03-07 01:00", "2026-03-07 03:00")
    add_case(store, "K3", "cable_theft", *SCENES["K3"], "2026-03-12 01:00", "2026-03-12 03:00")
    return store


def test_the_serial_stranger_outranks_the_commuter_who_passes_two_scenes_daily(three_cases: Store) -> None:
    # the commuter passes K1's and K2's cameras every night on a night shift
    add_daily(three_cases, "苏N50001", "cam-K1", "2026-02-01", 45, time="01:30")
    add_daily(three_cases, "苏N50001", "cam-K2", "2026-02-01", 45, time="01:50")
    # the serial offender is seen at all three scenes in their windows, and never otherwise
    add_read(three_cases, "皖C77777", "cam-K1", "2026-03-03 01:40")
    add_read(three_cases, "皖C77777", "cam-K2", "2026-03-07 02:10")
    add_read(three_cases, "皖C77777", "cam-K3", "2026-03-12 00:50")
    result = collide(three_cases, CollideQuery(case_ids=("K1", "K2", "K3"), min_cases=2))
    plates = [v.plate for v in result.vehicles]
    assert plates[0] == "皖C77777"
    assert "苏N50001" in plates
    top = result.vehicles[0]
    assert top.cases == ["K1", "K2", "K3"] and len(top.reads) == 3
    commuter = next(v for v in result.vehicles if v.plate == "苏N50001")
    assert commuter.score < top.score and commuter.cases == ["K1", "K2"]


def test_being_seen_around_every_scene_is_itself_strong_evidence(three_cases: Store) -> None:
    # a stranger that only passes each scene once in its window: little to see at any one scene, but an
    # unlisted stranger around three scenes 12 km apart on three nights is rarely there by chance
    add_read(three_cases, "皖C55555", "cam-K1", "2026-03-03 01:40")
    add_read(three_cases, "皖C55555", "cam-K2", "2026-03-07 02:10")
    add_read(three_cases, "皖C55555", "cam-K3", "2026-03-12 00:50")
    result = collide(three_cases, CollideQuery(case_ids=("K1", "K2", "K3")))
    assert [v.plate for v in result.vehicles] == ["皖C55555"]
    assert result.vehicles[0].score > 0.9


def test_progress_is_reported_after_each_case_is_scored(three_cases: Store) -> None:
    add_read(three_cases, "皖C55555", "cam-K1", "2026-03-03 01:40")
    reported: list[tuple[int, int, str]] = []
    collide(three_cases, CollideQuery(case_ids=("K1", "K2", "K3"), min_cases=1),
            progress=lambda done, total, case_id: reported.append((done, total, case_id)))
    assert reported == [(1, 3, "K1"), (2, 3, "K2"), (3, 3, "K3")]


def test_by_default_a_vehicle_must_be_seen_around_every_case(three_cases: Store) -> None:
    add_read(three_cases, "皖C11111", "cam-K1", "2026-03-03 01:40")
    add_read(three_cases, "皖C11111", "cam-K2", "2026-03-07 02:10")
    assert collide(three_cases, CollideQuery(case_ids=("K1", "K2", "K3"))).vehicles == []
    two = collide(three_cases, CollideQuery(case_ids=("K1", "K2", "K3"), min_cases=2))
    assert [v.plate for v in two.vehicles] == ["皖C11111"]


def test_a_relevant_watchlist_entry_lifts_a_vehicle(three_cases: Store) -> None:
    for plate in ("皖C22222", "皖C33333"):
        add_read(three_cases, plate, "cam-K1", "2026-03-03 01:40")
        add_read(three_cases, plate, "cam-K2", "2026-03-07 02:10")
    add_watch(three_cases, "皖C33333", "P7", ["cable_theft"])
    result = collide(three_cases, CollideQuery(case_ids=("K1", "K2"),))
    assert [v.plate for v in result.vehicles] == ["皖C33333", "皖C22222"]
    assert result.vehicles[0].watchlist is not None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"case_ids": ("K1",)}, "at least two"),
        ({"case_ids": ("K1", "K1")}, "twice"),
        ({"case_ids": ("K1", "K2"), "min_cases": 3}, "between 1 and 2"),
    ],
)
def test_bad_queries_say_what_is_wrong(kwargs: dict, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        CollideQuery(**kwargs)
