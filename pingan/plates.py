"""Licence plates: normalisation, the Chinese civil-plate grammar (GA 36), OCR confusions, fuzzy distance.

A plate is normalised once, at the door: full-width letters and digits become half-width, lower case
becomes upper case, separators (``·``, spaces, dots, hyphens) are removed, and the province character
is kept. ``苏N12345``, ``苏N·12345``, ``苏 N 12345``, ``苏Ｎ１２３４５`` and ``苏n12345`` are all ``苏N12345``.

The same normalisation exists twice: :func:`normalise` in Python, and :func:`normalise_sql` as a DuckDB
expression used by the importers on millions of rows. Both are built from the one table below, and a
property test holds them equal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import combinations
from typing import NewType

Plate = NewType("Plate", str)
"""A normalised plate: half-width, upper case, no separators, province character kept."""

# --- normalisation table -------------------------------------------------------------------------

_FULLWIDTH = "".join(chr(c) for c in range(0xFF01, 0xFF5F))  # ！ … ～
_HALFWIDTH = "".join(chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F))
_ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"

#: Characters that separate parts of a plate as cameras and clerks write them; all are removed.
SEPARATORS = (
    " \t\n\r\f\v"
    "\u00a0\u3000\u2002\u2003\u2009\u200b\ufeff"  # no-break, ideographic, en, em, thin, zero-width spaces
    "\u00b7\u2022\u30fb\uff65\u2027\u2219\u22c5\u0387"  # middle dots: · • ・ ･ ‧ ∙ ⋅ ·
    ".-_\uff0e\uff0d\uff3f\u2010\u2011\u2012\u2013\u2014\u2212"  # dots, hyphens, dashes, underscores
)


def _build_table() -> tuple[str, str]:
    source: list[str] = []
    target: list[str] = []
    for full, half in zip(_FULLWIDTH, _HALFWIDTH, strict=True):
        if full in SEPARATORS or half in SEPARATORS:
            continue
        source.append(full)
        target.append(half.upper() if half in _ASCII_LOWER else half)
    for lower in _ASCII_LOWER:
        source.append(lower)
        target.append(lower.upper())
    return "".join(source), "".join(target)


_SOURCE, _TARGET = _build_table()
_SEPARATORS_NOT_MAPPED = "".join(c for c in SEPARATORS if c not in _SOURCE)
_TRANSLATION = str.maketrans(_SOURCE, _TARGET, _SEPARATORS_NOT_MAPPED)
# Full-width separators (．－＿) are in SEPARATORS and removed outright.


def normalise(raw: str | None) -> Plate | None:
    """Return the normalised plate for a raw read, or ``None`` when nothing is left of it.

    >>> normalise("苏n·１２３４５")
    '苏N12345'
    >>> normalise(" · ") is None
    True
    """
    if raw is None:
        return None
    plate = raw.translate(_TRANSLATION)
    return Plate(plate) if plate else None


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def normalise_sql(column: str) -> str:
    """A DuckDB expression that normalises ``column`` exactly as :func:`normalise` does.

    DuckDB's ``translate`` deletes characters of the source that have no counterpart in the target,
    which removes the separators in the same pass. An empty result becomes NULL.
    """
    source = _SOURCE + _SEPARATORS_NOT_MAPPED
    return f"nullif(translate({column}, {_sql_literal(source)}, {_sql_literal(_TARGET)}), '')"


# --- grammar (GA 36) ------------------------------------------------------------------------------

#: Province-level abbreviations that start a civil plate.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # letters used on plates: no I, no O
_ALNUM = "A-HJ-NP-Z0-9"
_SUFFIX = "挂学警港澳领试超"

#: A civil plate: province, issuing-authority letter, then 5 characters (the last may be a
#: special-use character), or a new-energy plate with 6 (D/F first for small cars, last for large).
PLATE_PATTERN = (
    f"[{PROVINCES}][{_LETTER}]"
    f"(?:[{_ALNUM}]{{4}}[{_ALNUM}{_SUFFIX}]"
    f"|[DF][{_ALNUM}][0-9]{{4}}"
    f"|[0-9]{{5}}[DF])"
)
_PLATE_RE = re.compile(PLATE_PATTERN)


def is_valid(plate: str) -> bool:
    """Does a normalised plate follow the Chinese civil-plate grammar?

    Foreign, military, embassy and misread plates fail; pingan flags them and keeps them.
    """
    return _PLATE_RE.fullmatch(plate) is not None


def is_new_energy(plate: str) -> bool:
    """Is this a new-energy plate (six characters after the authority letter)?"""
    return is_valid(plate) and len(plate) == 8


def province_of(plate: str) -> str | None:
    """The province character of a plate, if it starts with one."""
    return plate[0] if plate and plate[0] in PROVINCES else None


def valid_sql(column: str) -> str:
    """A DuckDB expression: does the normalised plate in ``column`` follow the grammar?"""
    return f"regexp_full_match({column}, {_sql_literal(PLATE_PATTERN)})"


# --- OCR confusions and fuzzy distance ------------------------------------------------------------

#: Characters that plate cameras confuse with each other. Data the fuzzy matcher uses; O and I never
#: appear on civil plates, so a read containing them is almost certainly a 0 or a 1.
OCR_CONFUSIONS: tuple[frozenset[str], ...] = (
    frozenset("0DQO"),
    frozenset("8B"),
    frozenset("2Z"),
    frozenset("5S"),
    frozenset("6G"),
    frozenset("1TI"),
    frozenset("4A"),
    frozenset("7T"),
    frozenset("3E"),
    frozenset("UV"),
    frozenset("MN"),
)

#: Cost of substituting two characters the cameras confuse (a plain substitution costs 1).
CONFUSABLE_COST = 0.3
#: Cost of substituting one province character for another: cameras often misread them.
PROVINCE_COST = 0.5
#: Cost of inserting or deleting a character (a missed or doubled character).
INDEL_COST = 1.0
#: Cost of substituting any other character.
PLAIN_SUBSTITUTION_COST = 1.0

_CONFUSABLE: dict[str, frozenset[str]] = {}
for _group in OCR_CONFUSIONS:
    for _char in _group:
        _CONFUSABLE[_char] = _CONFUSABLE.get(_char, frozenset()) | (_group - {_char})


def confusable_with(char: str) -> frozenset[str]:
    """Characters a camera may read in place of ``char``."""
    return _CONFUSABLE.get(char, frozenset())


def substitution_cost(a: str, b: str) -> float:
    """Cost of reading ``b`` where the plate says ``a``."""
    if a == b:
        return 0.0
    if b in _CONFUSABLE.get(a, ()):
        return CONFUSABLE_COST
    if a in PROVINCES and b in PROVINCES:
        return PROVINCE_COST
    return PLAIN_SUBSTITUTION_COST


def weighted_distance(a: str, b: str, max_cost: float | None = None) -> float:
    """Weighted edit distance between two normalised plates: confusable substitutions are cheap.

    Returns ``inf`` as soon as the distance must exceed ``max_cost``.

    >>> weighted_distance("苏N12345", "苏N1Z345")
    0.3
    """
    if a == b:
        return 0.0
    previous = [j * INDEL_COST for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        current = [i * INDEL_COST]
        for j, cb in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + INDEL_COST,
                    current[j - 1] + INDEL_COST,
                    previous[j - 1] + substitution_cost(ca, cb),
                )
            )
        if max_cost is not None and min(current) > max_cost:
            return float("inf")
        previous = current
    distance = round(previous[-1], 6)
    if max_cost is not None and distance > max_cost:
        return float("inf")
    return distance


def wildcard_keys(plate: str, substitutions: int = 1) -> Iterator[str]:
    """Keys with up to ``substitutions`` positions replaced by ``?``; two plates that differ only by
    that many substitutions share a key. Used to find fuzzy candidates without comparing all pairs.
    """
    yield plate
    if substitutions == 1:  # the common case, without building lists (it runs for every plate of an area)
        for i in range(len(plate)):
            yield plate[:i] + "?" + plate[i + 1:]
        return
    for k in range(1, substitutions + 1):
        for positions in combinations(range(len(plate)), k):
            chars = list(plate)
            for p in positions:
                chars[p] = "?"
            yield "".join(chars)


_CONFUSABLE_SORTED: dict[str, tuple[str, ...]] = {char: tuple(sorted(others)) for char, others in _CONFUSABLE.items()}


def variants(plate: str) -> Iterable[str]:
    """Plates one confusable substitution away: what a camera might have read for ``plate``."""
    for i, char in enumerate(plate):
        for other in _CONFUSABLE_SORTED.get(char, ()):
            yield plate[:i] + other + plate[i + 1 :]
