"""Partial-plate search: wildcards, unknown characters, misread-tolerant matching, area and period."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pingan.anpr.search import PlateSearchQuery, match_cost, parse_pattern, plate_search
from pingan.errors import BadInput
from pingan.store.db import Store
from tests.anpr.tactics_helpers import ReadBatch, make_camera, period

DAY = period("2026-03-10 00:00", "2026-03-10 23:59:59")


@pytest.fixture
def seen(store: Store) -> Store:
    make_camera(store, "A")
    make_camera(store, "B", km_east=5)
    with ReadBatch(store) as b:
        b.drive("苏N12345", ["A", "B", "A"], "2026-03-10 08:00")
        b.drive("苏N92345", ["B"], "2026-03-10 09:00")
        b.drive("苏N1Z345", ["A"], "2026-03-10 10:00")  # cameras read 2 as Z
        b.drive("苏N12399", ["A"], "2026-03-10 11:00")
        b.drive("苏ND12345", ["A"], "2026-03-10 12:00")  # new energy
        b.drive("皖N12345", ["A"], "2026-03-10 13:00")
        b.drive("苏N12345", ["A"], "2026-03-12 08:00")  # outside the period
    return store


def plates(store: Store, pattern: str, **kw: object) -> list[str]:
    result = plate_search(store, PlateSearchQuery(pattern=pattern, period=DAY, **kw))  # type: ignore[arg-type]
    return [m.plate for m in result.matches]


def test_one_unknown_character(seen: Store) -> None:
    assert plates(seen, "苏N?2345") == ["苏N12345", "苏N92345"]  # most read first


def test_any_number_of_characters(seen: Store) -> None:
    assert plates(seen, "苏N*45") == ["苏N12345", "苏N1Z345", "苏N92345", "苏ND12345"]
    assert plates(seen, "*2345") == ["苏N12345", "皖N12345", "苏N92345", "苏ND12345"]


def test_the_pattern_is_normalised_like_a_plate(seen: Store) -> None:
    assert plates(seen, "苏n·１２３?５") == ["苏N12345"]
    assert plates(seen, "苏N_2345") == ["苏N12345", "苏N92345"]


def test_fuzzy_search_finds_misreads_and_ranks_exact_fits_first(seen: Store) -> None:
    assert plates(seen, "苏N12?45") == ["苏N12345"]
    found = plate_search(seen, PlateSearchQuery(pattern="苏N12?45", period=DAY, fuzzy=True))
    assert [m.plate for m in found.matches] == ["苏N12345", "苏N1Z345", "皖N12345"]
    assert [m.cost for m in found.matches] == [0.0, 0.3, 0.5]
    assert "2 was read as Z" in found.matches[1].reasons[0]


def test_area_and_period_limit_the_search(seen: Store) -> None:
    assert plates(seen, "苏N?2345", cameras=("A",)) == ["苏N12345"]
    found = plate_search(seen, PlateSearchQuery(pattern="苏N12345", period=DAY))
    assert found.matches[0].reads == 3


def test_the_json_carries_reads(seen: Store) -> None:
    doc = plate_search(seen, PlateSearchQuery(pattern="苏N?2345", period=DAY)).to_json()
    assert doc["normalised"] == "苏N?2345"
    assert doc["matches"][0]["reads_sample"][0]["ts"] == "2026-03-10T08:00:00+08:00"


def test_a_pattern_with_nothing_known_is_refused() -> None:
    with pytest.raises(BadInput, match="no known character"):
        parse_pattern("??*")


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRSTUVWXYZ", min_size=5, max_size=6))
def test_every_plate_fits_its_own_pattern_with_any_character_unknown(tail: str) -> None:
    plate = "苏" + tail
    assert match_cost(parse_pattern(plate), plate, fuzzy=False) == 0.0
    hidden = plate[:2] + "?" + plate[3:]
    assert match_cost(parse_pattern(hidden), plate, fuzzy=False) == 0.0
    assert match_cost(parse_pattern(plate[:3] + "*"), plate, fuzzy=True) == 0.0
