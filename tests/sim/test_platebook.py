"""Plates: born valid and unique, spelled every way cameras spell them, misread by one confusion."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.plates import is_valid, normalise, weighted_distance
from pingan.sim.platebook import N_STYLES, misread, render, to_strings, unique_plates


def plates(n: int, seed: int = 0, new_energy: float = 0.2) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return unique_plates(rng, np.full(n, ord("苏"), dtype=np.uint32), np.full(n, ord("N"), dtype=np.uint32),
                         rng.random(n) < new_energy, rng.random(n) < 0.3)


def test_plates_are_valid_normalised_and_unique() -> None:
    text = to_strings(plates(20_000)).tolist()
    assert len(set(text)) == len(text)
    assert all(is_valid(p) and normalise(p) == p for p in text)
    assert any(len(p) == 8 for p in text)  # new-energy plates


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, N_STYLES - 1))
def test_every_spelling_normalises_back(seed: int, style: int) -> None:
    codes = plates(5, seed)
    for spelled, plate in zip(render(codes, style), to_strings(codes), strict=True):
        assert normalise(str(spelled)) == plate


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_misread_is_one_cheap_substitution_away(seed: int) -> None:
    codes = plates(50, seed)
    wrong = misread(np.random.default_rng(seed), codes, province_share=0.2)
    for right, bad in zip(to_strings(codes), to_strings(wrong), strict=True):
        assert bad != right
        assert sum(a != b for a, b in zip(right, bad, strict=True)) == 1
        assert weighted_distance(str(right), str(bad)) <= 0.5
