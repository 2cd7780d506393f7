"""The simulator's small parts: array helpers, trip booking, id and time strings, config checks, routes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from pingan.errors import BadInput
from pingan.sim import SimConfig
from pingan.sim.arrays import RowSampler, cummax_by_group, exclusive_cumsum_by_group, ragged_index
from pingan.sim.cameras import place_cameras
from pingan.sim.network import build_network
from pingan.sim.routes import build_routes, choose_zones
from pingan.sim.trips import Trips, no_overlap
from pingan.sim.writer import fixed_hex, iso_strings, period_epoch


def test_ragged_index_and_group_sums() -> None:
    group, position = ragged_index(np.array([2, 0, 3]))
    assert group.tolist() == [0, 0, 2, 2, 2] and position.tolist() == [0, 1, 0, 1, 2]
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert exclusive_cumsum_by_group(values, group).tolist() == [0, 1, 0, 3, 7]
    assert cummax_by_group(np.array([5.0, 1.0, 0.0, 9.0, 2.0]), group).tolist() == [5, 5, 0, 9, 9]


def test_row_sampler_draws_only_columns_with_weight() -> None:
    sampler = RowSampler(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 3.0]]))
    rng = np.random.default_rng(0)
    assert set(sampler.sample(rng, np.zeros(500, dtype=int)).tolist()) == {1}
    second = sampler.sample(rng, np.ones(4000, dtype=int))
    assert set(second.tolist()) == {0, 2} and 0.7 < (second == 2).mean() < 0.8


def test_no_vehicle_starts_a_trip_before_finishing_the_last() -> None:
    from pingan.sim.routes import RouteTable

    routes = RouteTable(n_zones=2, ptr=np.zeros(5, dtype=np.int64), camera=np.zeros(0, np.int32),
                        offset_s=np.zeros(0, np.float32), seconds=np.array([[0, 600], [600, 0]], np.float32),
                        urban_share=np.zeros((2, 2), np.float32))
    trips = Trips.make([0, 0, 1], [0, 1, 0], [1, 0, 1], [1000.0, 1200.0, 50.0], [1.0, 1.0, 1.0], [0, 0, 1])
    busy = np.array([-np.inf, 100.0])
    settled, planned = no_overlap(trips, routes, busy)
    assert settled.depart.tolist() == [1000.0, 1690.0, 190.0]  # 600 s drive + 90 s stop; yesterday's trip
    assert busy.tolist() == [2290.0, 790.0]


def test_a_vehicle_finishes_one_tour_before_starting_the_next() -> None:
    from pingan.sim.routes import RouteTable

    # zones 0 (home), 1 (work), 2 (a shop); 600 s between any two
    seconds = np.full((3, 3), 600, np.float32)
    np.fill_diagonal(seconds, 0)
    routes = RouteTable(n_zones=3, ptr=np.zeros(10, dtype=np.int64), camera=np.zeros(0, np.int32),
                        offset_s=np.zeros(0, np.float32), seconds=seconds, urban_share=np.zeros((3, 3), np.float32))
    # the commute home via a shop ran late; the evening outing was planned to start at 1500 s
    trips = Trips.make([0, 0, 0, 0, 0], [0, 1, 2, 0, 2], [1, 2, 0, 2, 0], [0.0, 1000.0, 1400.0, 1500.0, 3000.0],
                       [1.0] * 5, [7, 7, 7, 8, 8])
    settled, _ = no_overlap(trips, routes, np.array([-np.inf]))
    assert settled.tour.tolist() == [7, 7, 7, 8, 8]  # not home → work → shop → (from home?) shop …
    assert settled.origin[1:].tolist() == settled.dest[:-1].tolist()
    assert np.all(settled.depart[1:] >= settled.depart[:-1] + 600 + 90)


def test_a_visitor_needs_the_time_to_come_back_in_at_another_entrance() -> None:
    from pingan.sim.routes import RouteTable

    seconds = np.array([[0, 1800], [1800, 0]], np.float32)
    routes = RouteTable(n_zones=2, ptr=np.zeros(5, dtype=np.int64), camera=np.zeros(0, np.int32),
                        offset_s=np.zeros(0, np.float32), seconds=seconds, urban_share=np.zeros((2, 2), np.float32))
    busy, where = np.array([1000.0]), np.array([1], dtype=np.int32)  # left the county at entrance 1 at 1000 s
    settled, _ = no_overlap(Trips.make([0], [0], [1], [1200.0], [1.0], [3]), routes, busy, where)
    assert settled.depart.tolist() == [1000.0 + 90 + 1800]  # round the county to entrance 0 first
    assert where.tolist() == [1] and busy.tolist() == [1000.0 + 90 + 1800 + 1800]


def test_read_ids_and_local_times_are_built_right() -> None:
    ids = fixed_hex(b"R0001", np.array([0, 255, 2**32 + 10]), 10).to_pylist()
    assert ids == ["R00010000000000", "R000100000000FF", "R0001010000000A"]
    epoch = period_epoch(date(2026, 3, 2))
    text = iso_strings(np.array([epoch, epoch + 86399, epoch + 90061]), date(2026, 3, 2)).to_pylist()
    assert text == ["2026-03-02T00:00:00+08:00", "2026-03-02T23:59:59+08:00", "2026-03-03T01:01:01+08:00"]


def test_config_errors_name_the_value_and_what_is_allowed() -> None:
    with pytest.raises(BadInput, match=r"`misread_rate` was 0\.7 but is expected to be"):
        SimConfig(misread_rate=0.7)
    with pytest.raises(BadInput, match="reads_format"):
        SimConfig(reads_format="xlsx")  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="core network"):
        SimConfig(core_network="/nonexistent.graphml")  # type: ignore[arg-type]


def test_every_route_reads_cameras_in_order_of_time() -> None:
    rng = np.random.default_rng(3)
    net = build_network(rng, county_km=16, n_towns=2, n_villages=25)
    cams = place_cameras(rng, net)
    zones = choose_zones(rng, net)
    routes = build_routes(net, cams, zones)
    lengths = np.diff(routes.ptr)
    assert lengths.sum() == len(routes.camera) and lengths.max() > 3
    starts = np.repeat(routes.ptr[:-1], lengths)
    inner = np.arange(len(routes.camera)) != starts
    assert np.all(np.diff(routes.offset_s)[inner[1:]] >= 0)
    assert np.all(routes.offset_s <= np.repeat(routes.seconds.ravel(), lengths) + 1e-3)
    assert np.all(np.diag(routes.seconds) == 0)
