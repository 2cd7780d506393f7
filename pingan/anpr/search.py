"""Partial plates: find vehicles from what a witness remembers (``苏N?23*``), optionally despite misreads.

A pattern is a plate with some characters unknown: ``?`` (or ``_``) stands for exactly one character,
``*`` (or ``%``) for any number of characters, including none. Everything else is read as a plate is
(full-width, lower case and separators are normalised), so ``苏n·?23*`` is ``苏N?23*``.

With ``fuzzy``, each known character also matches the characters cameras confuse it with (8/B, 0/D/Q,
2/Z …) and a province character matches any province; each match carries the cost of the substitutions
it needed (:func:`pingan.plates.substitution_cost`), cheapest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from pingan.anpr.tactic_common import Period, plate_reads, reads_json, sql_str, time_filter
from pingan.errors import BadInput
from pingan.plates import PROVINCES, confusable_with, is_valid, normalise, substitution_cost
from pingan.store.db import Store
from pingan.timeutil import iso_local

ONE = frozenset("?_？＿")
ANY = frozenset("*%＊％")


@dataclass(frozen=True)
class Token:
    kind: str  # "char" | "one" | "any"
    char: str = ""


def parse_pattern(pattern: str) -> tuple[Token, ...]:
    """A partial plate as tokens; known characters normalised as plates are."""
    tokens: list[Token] = []
    for ch in pattern:
        if ch in ONE:
            tokens.append(Token("one"))
        elif ch in ANY:
            if not tokens or tokens[-1].kind != "any":
                tokens.append(Token("any"))
        else:
            norm = normalise(ch)
            if norm:
                tokens.append(Token("char", norm))
    if not any(t.kind == "char" for t in tokens):
        raise BadInput(f"The pattern '{pattern}' has no known character; give some, like 苏N?23* "
                       "(? is one unknown character, * any number).")
    if len([t for t in tokens if t.kind != "any"]) > 10:
        raise BadInput(f"The pattern '{pattern}' is longer than any plate (at most 10 characters).")
    return tuple(tokens)


def _allowed(char: str, fuzzy: bool) -> str:
    if not fuzzy:
        return char
    extra = set(confusable_with(char))
    if char in PROVINCES:
        extra |= set(PROVINCES)
    return char + "".join(sorted(extra - {char}))


def pattern_regex(tokens: tuple[Token, ...], fuzzy: bool) -> str:
    parts = []
    for t in tokens:
        if t.kind == "one":
            parts.append(".")
        elif t.kind == "any":
            parts.append(".*")
        else:
            allowed = _allowed(t.char, fuzzy)
            parts.append(re.escape(allowed) if len(allowed) == 1 else "[" + "".join(re.escape(c) for c in allowed) + "]")
    return "".join(parts)


def pattern_like(tokens: tuple[Token, ...]) -> str:
    return "".join("_" if t.kind == "one" else "%" if t.kind == "any" else t.char for t in tokens)


def literal_prefix(tokens: tuple[Token, ...]) -> str:
    prefix = []
    for t in tokens:
        if t.kind != "char":
            break
        prefix.append(t.char)
    return "".join(prefix)


def match_cost(tokens: tuple[Token, ...], plate: str, fuzzy: bool) -> float:
    """Cheapest substitutions that make the plate fit the pattern (inf when it cannot)."""
    n = len(plate)
    inf = float("inf")
    cost = np.full(n + 1, inf)
    cost[0] = 0.0
    for t in tokens:
        nxt = np.full(n + 1, inf)
        if t.kind == "any":
            nxt = np.minimum.accumulate(cost)
        else:
            for j in range(n):
                if cost[j] == inf:
                    continue
                if t.kind == "one":
                    c = 0.0
                elif plate[j] == t.char:
                    c = 0.0
                elif fuzzy and plate[j] in _allowed(t.char, True):
                    c = substitution_cost(t.char, plate[j])
                else:
                    continue
                nxt[j + 1] = min(nxt[j + 1], cost[j] + c)
        cost = nxt
    return round(float(cost[n]), 6)


@dataclass(frozen=True)
class PlateSearchQuery:
    pattern: str
    period: Period
    cameras: tuple[str, ...] | None = None
    fuzzy: bool = False
    max_cost: float = 1.0
    top: int | None = 100
    tokens: tuple[Token, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", parse_pattern(self.pattern))
        if self.max_cost < 0:
            raise BadInput(f"--max-cost must not be negative, not {self.max_cost}.")
        if self.top is not None and self.top < 1:
            raise BadInput(f"--top must be at least 1, not {self.top}.")


@dataclass
class PlateMatch:
    rank: int
    plate: str
    cost: float
    reads: int
    cameras: int
    first: datetime
    last: datetime
    reasons: list[str]
    supporting: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank, "plate": self.plate, "valid": is_valid(self.plate), "cost": self.cost,
            "match": "exact" if self.cost == 0 else "fuzzy", "reads": self.reads, "cameras": self.cameras,
            "first_seen": iso_local(self.first), "last_seen": iso_local(self.last), "reasons": self.reasons,
            "reads_sample": self.supporting,
        }


@dataclass
class PlateSearchResult:
    query: PlateSearchQuery
    total: int
    matches: list[PlateMatch]

    def to_json(self) -> dict[str, Any]:
        q = self.query
        return {
            "pattern": q.pattern, "normalised": pattern_like(q.tokens).replace("_", "?").replace("%", "*"),
            "fuzzy": q.fuzzy, "period": q.period.to_json(),
            "cameras": list(q.cameras) if q.cameras is not None else None,
            "plates_matching": self.total, "matches": [m.to_json() for m in self.matches],
        }


def plate_search(store: Store, query: PlateSearchQuery) -> PlateSearchResult:
    """Plates seen in the period that fit a partial plate, exact fits first, then by reads."""
    tokens = query.tokens
    where = [time_filter(query.period.window)]
    if query.fuzzy:
        where.append(f"regexp_full_match(plate, {sql_str(pattern_regex(tokens, True))})")
    else:
        where.append(f"plate LIKE {sql_str(pattern_like(tokens))}")
    prefix = literal_prefix(tokens) if not query.fuzzy else ""
    if prefix:  # lets zone maps on plate skip row groups
        where.append(f"plate BETWEEN {sql_str(prefix)} AND {sql_str(prefix + chr(0xFFFF))}")
    if query.cameras is not None:
        if not query.cameras:
            return PlateSearchResult(query, 0, [])
        where.append(f"camera_id IN ({', '.join(sql_str(c) for c in query.cameras)})")
    rows = store.con.execute(
        "SELECT plate, count(*) AS n, count(DISTINCT camera_id), min(ts), max(ts) FROM reads "
        f"WHERE {' AND '.join(where)} GROUP BY plate"
    ).fetchall()
    matches = []
    for plate, n, cams, first, last in rows:
        cost = match_cost(tokens, plate, query.fuzzy)
        if cost > query.max_cost:
            continue
        reasons = [f"{n} read(s) by {cams} camera(s), {iso_local(first)} to {iso_local(last)}"]
        if cost > 0:
            reasons.insert(0, f"fits the pattern if {_substitutions(tokens, plate)} (cost {cost:g})")
        if not is_valid(plate):
            reasons.append("does not follow the civil-plate grammar: may itself be a misread")
        matches.append(PlateMatch(0, plate, cost, int(n), int(cams), first, last, reasons))
    matches.sort(key=lambda m: (m.cost, -m.reads, m.plate))
    total = len(matches)
    if query.top is not None:
        matches = matches[: query.top]
    if matches:
        shown = matches[:50]
        reads = plate_reads(store, [m.plate for m in shown], query.period.window)
        if query.cameras is not None:
            reads = reads[reads["camera_id"].isin(query.cameras)]
        by_plate = {p: g for p, g in reads.groupby("plate", sort=False)}
        for m in shown:
            g = by_plate.get(m.plate)
            m.supporting = reads_json(g, 10) if g is not None else []
    for rank, m in enumerate(matches, start=1):
        m.rank = rank
    return PlateSearchResult(query, total, matches)


def _substitutions(tokens: tuple[Token, ...], plate: str) -> str:
    """Which known characters were read as something else (best effort for patterns without '*')."""
    if any(t.kind == "any" for t in tokens) or len(tokens) != len(plate):
        return "some characters were misread"
    subs = [f"{t.char} was read as {c}" for t, c in zip(tokens, plate, strict=True) if t.kind == "char" and t.char != c]
    return ", ".join(subs) or "no character was misread"
