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


def test_a_loiterer_outranks_the_people_who_live_work_or_commute_by_the_area(city: Store) -> None:
    """The bank's regulars pass its cameras more often than the loiterer does; only the loiterer comes there
    from elsewhere, at no fixed hour, stops a while and drives round it."""
    area = ("BANK", "BANK2")
    with ReadBatch(city) as b:
        for d in range(2, 14):
            day = f"2026-03-{d:02d}"
            weekday = datetime.fromisoformat(day).weekday() < 5
            # lives by the bank: out past it every morning, home past it every evening, a shop some nights
            b.drive("苏A10001", ["BANK", "C1", "C2"], f"{day} 07:50", minutes_apart=12)
            b.drive("苏A10001", ["C2", "C1", "BANK"], f"{day} 17:40", minutes_apart=12)
            if d % 3 == 0:
                b.drive("苏A10001", ["BANK", "BANK2"], f"{day} 19:30", minutes_apart=2)
                b.drive("苏A10001", ["BANK2", "BANK"], f"{day} 20:10", minutes_apart=2)
            # commutes through it, from home by C6 to work by C3, on working days at the same hours
            if weekday:
                for cam, hhmm in (("C6", "07:10"), ("BANK2", "07:40"), ("BANK", "07:41"), ("C3", "08:05"),
                                  ("C3", "17:20"), ("BANK", "17:44"), ("BANK2", "17:45"), ("C6", "18:15")):
                    b.read("苏A10002", cam, f"{day} {hhmm}")
            # a taxi: stops all over the city all day, by the bank too now and then
            for k, cam in enumerate(["C1", "C3", "C5", "C2", "C4", "C6", "C1", "C3", "C5", "C2"]):
                b.read("苏T10003", cam, f"{day} {7 + k:02d}:{(7 * d) % 50:02d}")
            if d % 2 == 0:
                b.read("苏T10003", "BANK", f"{day} {7 + d % 9:02d}:{(7 * d) % 50 + 5:02d}")
            # the loiterer: home by C4, work by C5; some days it drives to the bank at odd hours
            b.drive("苏E10004", ["C4", "C5"], f"{day} 08:00", minutes_apart=6)
            b.drive("苏E10004", ["C5", "C4"], f"{day} 17:00", minutes_apart=6)
        for day, hhmm, circle in (("03", "10:05", False), ("05", "14:40", True), ("06", "20:15", False),
                                  ("09", "11:30", False), ("11", "19:10", True), ("13", "15:25", False)):
            start = datetime.fromisoformat(f"2026-03-{day} {hhmm}")
            b.read("苏E10004", "C4", start)
            arrive = start + timedelta(minutes=35)
            if circle:
                b.drive("苏E10004", ["BANK", "BANK2", "BANK", "BANK2", "BANK"], arrive, minutes_apart=4)
                leave = arrive + timedelta(minutes=40)
            else:
                b.read("苏E10004", "BANK", arrive)
                leave = arrive + timedelta(minutes=25)
            b.read("苏E10004", "BANK2", leave)
            b.read("苏E10004", "C4", leave + timedelta(minutes=28))
    q = LoiterQuery(period=period("2026-03-02 00:00", "2026-03-13 23:59"), cameras=area, min_visits=2)
    result = loitering(city, q)
    by_plate = {v.plate: v for v in result.vehicles}
    assert result.vehicles[0].plate == "苏E10004"
    loiterer = by_plate["苏E10004"]
    assert loiterer.circling_visits == 2 and loiterer.stops_here == 6
    assert any("stopped just after passing" in r for r in loiterer.reasons)
    resident = by_plate["苏A10001"]
    assert resident.visits > loiterer.visits and resident.lives_or_works_here and resident.stops_here == 0
    assert any("lives or works by the area" in r for r in resident.reasons)
    commuter = by_plate["苏A10002"]
    assert commuter.visits > loiterer.visits and commuter.stops_here == 0
    taxi = by_plate["苏T10003"]
    assert taxi.score < loiterer.score / 2
    assert result.to_json()["vehicles"][0]["stops_here"] == loiterer.stops_here


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
