"""Companion vehicles on a hand-built route: the car that follows is found; a bus and a neighbour are not."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from pingan.anpr.companions import CompanionQuery, companions, poisson_binomial_sf
from pingan.store.db import Store
from tests.anpr.tactics_helpers import ReadBatch, background, drive, make_camera, period

ROUTE = ["R1", "R2", "R3", "R4", "R5"]
FIRST_DAY = datetime(2026, 3, 1)
DAYS = 14
PERIOD = period("2026-03-01 00:00", "2026-03-14 23:59:59")
TARGET, FOLLOWER, NEIGHBOUR, BUS = "苏A12345", "苏E77777", "苏A54321", "苏A00B01"
NIGHT_TRIPS = [(2, "23:00"), (5, "22:15"), (8, "01:30"), (11, "21:40")]


@pytest.fixture
def route(store: Store) -> Store:
    """A road with five cameras 2 km apart, traffic on it, a target who commutes, a follower on four
    night trips, a neighbour on the same commute and a bus up and down the road all day."""
    for i, cam in enumerate(ROUTE):
        make_camera(store, cam, km_east=2.0 * i)
    for i in range(3):
        make_camera(store, f"X{i}", km_north=3.0 + i)
    rng = np.random.default_rng(1)
    batch = ReadBatch(store)
    for d in range(DAYS):
        day = FIRST_DAY + timedelta(days=d)
        jitter = lambda: timedelta(seconds=int(rng.integers(-90, 91)))  # noqa: E731
        batch.drive(TARGET, ROUTE, day + timedelta(hours=8) + jitter())
        batch.drive(NEIGHBOUR, ROUTE, day + timedelta(hours=8) + jitter())
        batch.drive(TARGET, ROUTE[::-1], day + timedelta(hours=18) + jitter())
        batch.drive(NEIGHBOUR, ROUTE[::-1], day + timedelta(hours=18) + jitter())
        for k in range(6 * 3, 22 * 3):  # a bus every 20 minutes, each way, 06:00 to 22:00
            batch.drive(BUS, ROUTE, day + timedelta(minutes=20 * k))
            batch.drive(BUS, ROUTE[::-1], day + timedelta(minutes=20 * k + 10))
    for d, hhmm in NIGHT_TRIPS:
        start = datetime.fromisoformat(f"{(FIRST_DAY + timedelta(days=d)).date()} {hhmm}")
        batch.drive(TARGET, ["R2", "R3", "R4", "X0"], start, minutes_apart=4)
        batch.drive(FOLLOWER, ["R2", "R3", "R4", "X0"], start + timedelta(seconds=20), minutes_apart=4)
    batch.flush()
    background(store, ROUTE + ["X0", "X1", "X2"], "2026-03-01", DAYS, vehicles=3000)
    return store


def test_the_follower_is_found_and_the_bus_and_the_neighbour_are_not(route: Store) -> None:
    result = companions(route, CompanionQuery(plate=TARGET, period=PERIOD))
    plates = [c.plate for c in result.companions]
    assert plates[0] == FOLLOWER
    assert BUS not in plates
    assert NEIGHBOUR not in plates
    follower = result.companions[0]
    assert follower.trips == 4 and follower.cameras == 4
    assert follower.lead_lag_s == pytest.approx(20.0)
    assert any("follows 20 s behind" in r for r in follower.reasons)


def test_the_json_shape_follows_the_contract(route: Store) -> None:
    doc = companions(route, CompanionQuery(plate=TARGET, period=PERIOD)).to_json()
    assert doc["plate"] == TARGET
    first = doc["companions"][0]
    assert {"rank", "plate", "cameras", "co_reads", "score"} <= set(first)
    assert first["rank"] == 1
    assert first["first_together"].endswith("+08:00")
    assert {"camera_id", "ts", "plate", "confidence"} <= set(first["reads"][0])


def test_together_on_one_trip_only_is_not_a_companion(route: Store) -> None:
    drive(route, "苏E88888", ["R2", "R3", "R4", "X0"], "2026-03-03 23:00:30", minutes_apart=4)
    plates = [c.plate for c in companions(route, CompanionQuery(plate=TARGET, period=PERIOD)).companions]
    assert "苏E88888" not in plates


def test_a_short_period_with_fewer_shared_trips_scores_lower(route: Store) -> None:
    full = companions(route, CompanionQuery(plate=TARGET, period=PERIOD)).companions[0]
    half = companions(route, CompanionQuery(plate=TARGET, period=period("2026-03-01 00:00", "2026-03-07 23:59"),
                                            min_score=0)).companions
    follower = [c for c in half if c.plate == FOLLOWER][0]
    assert follower.trips == 2 and follower.score < full.score


def test_no_reads_of_the_plate_gives_an_empty_answer_that_says_so(route: Store) -> None:
    result = companions(route, CompanionQuery(plate="苏Z99999", period=PERIOD))
    assert result.companions == [] and "no reads" in result.reasons[0]


def test_poisson_binomial_tail_matches_the_binomial() -> None:
    from math import comb

    p, n, k = 0.1, 12, 3
    exact = sum(comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
    assert poisson_binomial_sf(np.full(n, p), k) == pytest.approx(exact)
    assert poisson_binomial_sf(np.array([0.5]), 0) == 1.0
