"""Plates: every spelling in the contract is one plate; Python and SQL normalise alike; fuzzy costs."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.plates import (
    OCR_CONFUSIONS,
    PROVINCES,
    is_new_energy,
    is_valid,
    normalise,
    normalise_sql,
    substitution_cost,
    valid_sql,
    variants,
    weighted_distance,
    wildcard_keys,
)

SEPARATOR_SPELLINGS = ["", "·", " ", "•", "・", "-", "\u3000", " · "]
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

plates = st.builds(
    lambda p, letter, rest: p + letter + rest,
    st.sampled_from(PROVINCES),
    st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"),
    st.text(alphabet=PLATE_CHARS, min_size=5, max_size=5),
)


def to_fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("spelling", [
    "苏N12345", "苏N·12345", "苏 N 12345", "苏Ｎ１２３４５", "苏n12345", "苏N-12345", "苏Ｎ·１２３４５", " 苏n 12345 ",
])
def test_the_contract_spellings_are_one_plate(spelling: str) -> None:
    assert normalise(spelling) == "苏N12345"


def test_a_new_energy_plate_keeps_its_six_characters() -> None:
    assert normalise("苏N·D12345") == "苏ND12345"
    assert is_valid("苏ND12345") and is_new_energy("苏ND12345")
    assert is_valid("苏N12345D") and not is_new_energy("苏N12345")


@given(plate=plates, sep=st.sampled_from(SEPARATOR_SPELLINGS), full=st.booleans(), lower=st.booleans())
def test_any_spelling_of_a_plate_normalises_to_it(plate: str, sep: str, full: bool, lower: bool) -> None:
    spelled = plate[:2] + sep + plate[2:]
    if lower:
        spelled = spelled.lower()
    if full:
        spelled = to_fullwidth(spelled)
    assert normalise(spelled) == plate
    assert normalise(normalise(spelled)) == plate  # idempotent


@settings(max_examples=300, deadline=None)
@given(raw=st.text(max_size=14))
def test_sql_and_python_normalise_alike(raw: str) -> None:
    con = duckdb.connect()
    assert con.execute(f"SELECT {normalise_sql('$1')}", [raw]).fetchone()[0] == normalise(raw)


@given(plate=plates)
def test_sql_and_python_agree_on_validity(plate: str) -> None:
    con = duckdb.connect()
    assert con.execute(f"SELECT {valid_sql('$1')}", [plate]).fetchone()[0] == is_valid(plate)


@pytest.mark.parametrize("plate", ["苏N1234O", "WJ12345", "AB12345", "苏N123", "苏NI2345", "使12345"])
def test_odd_plates_are_flagged_not_valid(plate: str) -> None:
    assert not is_valid(plate)


def test_empty_plates_normalise_to_nothing() -> None:
    assert normalise("") is None and normalise(" · ") is None and normalise(None) is None


def test_the_confusion_table_holds_the_known_ocr_confusions() -> None:
    pairs = [("0", "D"), ("0", "Q"), ("D", "Q"), ("8", "B"), ("2", "Z"), ("5", "S"), ("6", "G"), ("1", "T"), ("4", "A")]
    for a, b in pairs:
        assert any({a, b} <= group for group in OCR_CONFUSIONS), (a, b)
        assert substitution_cost(a, b) < substitution_cost(a, "K")


def test_weighted_distance_prices_confusions_cheaply() -> None:
    assert weighted_distance("苏N12345", "苏N1Z345") == pytest.approx(0.3)
    assert weighted_distance("苏N12345", "苏N1K345") == pytest.approx(1.0)
    assert weighted_distance("苏N12345", "皖N12345") == pytest.approx(0.5)
    assert weighted_distance("苏N12345", "苏N1234") == pytest.approx(1.0)
    assert weighted_distance("苏N12345", "苏NK2K45", max_cost=1.0) == float("inf")


@given(a=plates, b=plates)
def test_weighted_distance_is_symmetric_and_zero_only_for_equal_plates(a: str, b: str) -> None:
    assert weighted_distance(a, b) == pytest.approx(weighted_distance(b, a))
    assert (weighted_distance(a, b) == 0) == (a == b)


@given(plate=plates)
def test_every_variant_shares_a_wildcard_key_and_costs_one_confusion(plate: str) -> None:
    keys = set(wildcard_keys(plate, 1))
    for v in variants(plate):
        assert keys & set(wildcard_keys(v, 1))
        assert weighted_distance(plate, v) == pytest.approx(0.3)
