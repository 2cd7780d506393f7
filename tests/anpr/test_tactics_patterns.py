"""First appearance, night activity and loitering on hand-built reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pingan.anpr.patterns import FirstSeenQuery, LoiterQuery, NightQuery, first_seen, loitering, night_active
from pingan.store.db import Store
from tests.anpr.tactics_helpers import ReadBatch, background, make_camera, period
from tests.builders import add_watch

CAMS = ["C1", "C2", "C3", "C4", "C5", "C6"]


@pytest.fixture
def city(store: Store) -> Store:
    for i, cam in enumerate(CAMS):
        make_camera(store, cam, km_east=2.0 * i)
    make_camera(store, "BANK", km_north=10)
    make_camera(store, "BANK2", km_north=10.5)
    return store


def daily(b: ReadBatch, plate: str, first: datetime, days: int, hhmm: str, cams: list[str]) -> None:
    for d in range(days):
        b.drive(plate, cams, datetime.fromisoformat(f"{(first + timedelta(days=d)).date()} {hhmm}"))


# --- first appearance --------------------------------------------------------------------------------


def test_newcomers_are_vehicles_not_seen_in_the_look_back(city: Store) -> None:
    with ReadBatch(city) as b:
        daily(b, "苏A11111", datetime(2026, 2, 1), 30, "08:00", ["C1", "C2"])  # a regular, also on Mar 2
        b.drive("苏A11111", ["C1", "C2"], "2026-03-02 08:00")
        b.drive("苏A22222", ["C1", "C3"], "2026-03-02 09:00")  # new to the city
        b.drive("苏A33333", ["C4", "C5"], "2026-01-15 09:00")  # seen before, but before the look-back
        b.drive("苏A33333", ["C4", "C5"], "2026-03-02 10:00")
        b.read("苏A44444", "C1", "2026-03-02 11:00")  # one stray read: a misread, not a newcomer
        b.drive("苏A1111T", ["C2", "C3"], "2026-03-02 12:00")  # one confusion from the regular
    add_watch(city, "苏A33333", "P9", ["burglary"])
    result = first_seen(city, FirstSeenQuery(period=period("2026-03-02 00:00", "2026-03-02 23:59:59")))
    plates = [v.plate for v in result.vehicles]
    assert plates == ["苏A33333", "苏A22222", "苏A1111T"]  # watchlisted first; the possible misread last
    assert result.vehicles[0].watchlist is not None
    assert result.vehicles[2].misread_of == ["苏A11111"]
    doc = result.to_json()
    assert doc["vehicles"][0]["watchlist"]["person_id"] == "P9"
    assert doc["vehicles"][1]["first_seen"] == "2026-03-02T09:00:00+08:00"


def test_newcomers_within_an_area(city: Store) -> None:
    with ReadBatch(city) as b:
        b.drive("苏A22222", ["C1", "C2"], "2026-03-02 09:00")
        b.drive("苏A55555", ["C5", "C6"], "2026-03-02 09:00")
    q = FirstSeenQuery(period=period("2026-03-02 00:00", "2026-03-02 23:59"), cameras=("C5", "C6"))
    assert [v.plate for v in first_seen(city, q).vehicles] == ["苏A55555"]


# --- night activity ----------------------------------------------------------------------------------


@pytest.fixture
def nights(city: Store) -> Store:
    with ReadBatch(city) as b:
        first = datetime(2026, 3, 1)
        daily(b, "苏A00001", first, 14, "08:00", ["C1", "C2", "C3"])  # day commuter
        daily(b, "苏A00001", first, 14, "18:00", ["C3", "C2", "C1"])
        daily(b, "苏N00002", first, 14, "23:30", ["C1", "C2", "C3"])  # night shift: same route every night
        daily(b, "苏N00002", first, 14, "07:30", ["C3", "C2", "C1"])
        for k, d in enumerate((1, 3, 4, 7, 9, 12)):  # roams at night, hardly by day
            cams = [CAMS[2 * k % 6], CAMS[(2 * k + 1) % 6]] * 2
            b.drive("苏E00003", cams, datetime(2026, 3, d, 1, 10 + 3 * k))
        b.drive("苏E00003", ["C1", "C2"], "2026-03-05 14:00")
        daily(b, "苏N00004", first, 2, "23:30", ["C1", "C2", "C3", "C4", "C5", "C6"])  # too few nights
    background(city, CAMS, "2026-03-01", 14, vehicles=300)
    return city


def test_night_vehicles_rank_above_day_ones(nights: Store) -> None:
    result = night_active(nights, NightQuery(period=period("2026-03-01 00:00", "2026-03-14 23:59:59")))
    plates = [v.plate for v in result.vehicles]
    assert "苏A00001" not in plates
    assert "苏N00004" not in plates  # only two nights
    assert set(plates[:2]) == {"苏E00003", "苏N00002"}
    roamer = [v for v in result.vehicles if v.plate == "苏E00003"][0]
    assert roamer.night_share == pytest.approx(24 / 26)
    assert roamer.nights == 6 and roamer.pattern == "roaming"
    shift = [v for v in result.vehicles if v.plate == "苏N00002"][0]
    assert shift.pattern == "regular"
    assert 0 < result.city_night_share < 0.5
    doc = result.to_json()
    assert {"rank", "plate", "night_share", "reads", "score"} <= set(doc["vehicles"][0])


def test_the_night_hours_are_configurable(nights: Store) -> None:
    q = NightQuery(period=period("2026-03-01 00:00", "2026-03-14 23:59:59"), night_start=1, night_end=4)
    plates = [v.plate for v in night_active(nights, q).vehicles]
    assert plates == ["苏E00003"]


# --- loitering ---------------------------------------------------------------------------------------


def test_a_vehicle_that_keeps_coming_back_and_circles_outranks_a_commuter(city: Store) -> None:
    with ReadBatch(city) as b:
        daily(b, "苏A00001", datetime(2026, 3, 1), 10, "08:00", ["BANK"])  # passes every morning
        for d, hhmm in ((2, "10:00"), (4, "15:30"), (6, "11:10"), (9, "13:45")):
            start = datetime.fromisoformat(f"2026-03-{d:02d} {hhmm}")
            b.drive("苏E00003", ["BANK", "BANK2", "BANK", "BANK2"], start, minutes_apart=5)
        b.read("苏A00005", "BANK", "2026-03-05 12:00")
    q = LoiterQuery(period=period("2026-03-01 00:00", "2026-03-10 23:59"), cameras=("BANK", "BANK2"))
    result = loitering(city, q)
    plates = [v.plate for v in result.vehicles]
    assert plates[0] == "苏E00003"
    assert "苏A00005" not in plates
    loiterer = result.vehicles[0]
    assert loiterer.visits == 4 and loiterer.circling_visits == 4
    commuter = [v for v in result.vehicles if v.plate == "苏A00001"][0]
    assert commuter.routine and commuter.visits == 10
    assert any("routine" in r for r in commuter.reasons)


def test_a_night_taxis_misread_ghost_is_not_listed(nights: Store) -> None:
    with ReadBatch(nights) as b:  # the night shift 苏N00002 is sometimes read as 苏M00002 (M and N confused)
        for d in range(1, 13):
            b.read("苏M00002", "C2", f"2026-03-{d:02d} 23:33")
    q = NightQuery(period=period("2026-03-01 00:00", "2026-03-14 23:59:59"))
    result = night_active(nights, q)
    assert "苏M00002" not in [v.plate for v in result.vehicles]
    assert result.misreads_left_out == 1
    with_ghosts = night_active(nights, NightQuery(period=q.period, include_misreads=True))
    assert "苏M00002" in [v.plate for v in with_ghosts.vehicles]
