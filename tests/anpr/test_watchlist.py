"""Watchlist collision: the direct lookups find exactly what comparing every pair would find."""

from __future__ import annotations

import random

import pytest

from pingan.anpr.watchlist import Entry, Watchlists
from pingan.plates import PROVINCES, variants, weighted_distance

ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _plate(rng: random.Random) -> str:
    tail = "".join(rng.choice(ALNUM) for _ in range(rng.choice((5, 5, 5, 6))))
    return rng.choice(PROVINCES[:6]) + rng.choice("ABCDEN") + tail


def _misread(rng: random.Random, plate: str) -> str:
    """What a camera might report: a confusable character, another province, any character, or a dropped one."""
    kind = rng.randrange(4)
    if kind == 0:
        options = list(variants(plate))
        return rng.choice(options) if options else plate
    if kind == 1:
        return rng.choice(PROVINCES[:6]) + plate[1:]
    i = rng.randrange(1, len(plate))
    if kind == 2:
        return plate[:i] + rng.choice(ALNUM) + plate[i + 1:]
    return plate[:i] + plate[i + 1:]


def _by_comparing_every_pair(entries: list[Entry], plate: str, max_cost: float) -> list[tuple[str, str, float]]:
    """The cheapest watchlisted plates within ``max_cost`` of ``plate``, by comparing it with every entry."""
    exact = [(e.list, e.plate, 0.0) for e in entries if e.plate == plate]
    if exact:
        return sorted(exact)
    # one substitution is what a single misread makes; two cheap ones (0.6) are two misreads
    one_apart = [e for e in entries
                 if len(e.plate) == len(plate) and sum(a != b for a, b in zip(e.plate, plate, strict=True)) == 1]
    costs = [(e.list, e.plate, weighted_distance(plate, e.plate)) for e in one_apart]
    costs = [(lst, p, c) for lst, p, c in costs if c <= max_cost]
    best = min((c for _, _, c in costs), default=None)
    return sorted((lst, p, c) for lst, p, c in costs if c == best)


@pytest.mark.parametrize("max_cost", [0.3, 0.5, 1.0])
def test_fuzzy_matches_equal_those_of_comparing_every_pair(max_cost: float) -> None:
    rng = random.Random(11)
    listed = [_plate(rng) for _ in range(400)]
    entries = [Entry(rng.choice(("priors", "stolen")), p, f"P{i}", ("theft",)) for i, p in enumerate(listed)]
    entries += [Entry("wanted", p, "PW", ("robbery",)) for p in listed[:20]]  # a plate on two lists
    lists = Watchlists.of(entries)
    seen = [_misread(rng, rng.choice(listed)) for _ in range(600)] + [_plate(rng) for _ in range(200)]
    fuzzy_found = 0
    for plate in seen:
        got = sorted((m.entry.list, m.entry.plate, m.cost) for m in lists.match(plate, max_cost=max_cost))
        assert got == _by_comparing_every_pair(entries, plate, max_cost), plate
        fuzzy_found += any(m.kind == "fuzzy" for m in lists.match(plate, max_cost=max_cost))
    assert fuzzy_found > 100  # the misreads were found, not only the exact reads


def test_a_province_misread_matches_at_half_the_price_of_a_plain_substitution() -> None:
    lists = Watchlists.of([Entry("priors", "苏N12345", "P1", ("theft",))])
    (match,) = lists.match("皖N12345")
    assert (match.kind, match.cost, match.entry.plate) == ("fuzzy", 0.5, "苏N12345")
    assert lists.match("苏N12345", fuzzy=False)[0].kind == "exact"
    assert lists.match("苏N1X345") == []  # X is not confusable with 2: a plain substitution costs 1
    assert lists.match("苏N1X345", max_cost=1.0)[0].cost == 1.0


@pytest.mark.parametrize(("max_cost", "fuzzy", "lists"), [(0.5, True, None), (0.3, True, ("priors",)),
                                                         (0.5, False, None), (1.0, True, None)])
def test_collision_in_the_store_reads_only_what_can_match_and_finds_the_same(
        tmp_path, max_cost: float, fuzzy: bool, lists: tuple[str, ...] | None) -> None:
    from datetime import datetime

    from pingan.anpr.watchlist import match_seen_plates
    from pingan.store.db import open_store

    rng = random.Random(5)
    listed = [_plate(rng) for _ in range(300)]
    now = datetime(2026, 3, 1, 12)
    with open_store(tmp_path / "store.duckdb") as store:
        for i, plate in enumerate(listed):
            expired = i % 10 == 0  # expired entries do not count
            store.con.execute(
                "INSERT INTO watchlist (list, plate, plate_raw, person_id, categories, valid_until, batch_id) "
                "VALUES (?, ?, ?, ?, ?, ?, 0)",
                [rng.choice(("priors", "stolen")), plate, plate, f"P{i}", ["theft", "burglary"][: 1 + i % 2],
                 datetime(2026, 2, 1) if expired else None])
        seen = [_misread(rng, rng.choice(listed)) for _ in range(500)] + [_plate(rng) for _ in range(200)]
        everything = Watchlists.load(store, valid_at=now, lists=lists)
        want = everything.match_all(seen, fuzzy=fuzzy, max_cost=max_cost)
        read, got = match_seen_plates(store, seen, valid_at=now, lists=lists, fuzzy=fuzzy, max_cost=max_cost)
    assert got == want
    assert len(want) > 20  # matches were there to find
    assert (len(read) < len(everything)) == (max_cost < 1.0)  # below a plain substitution, not the whole list


def test_collision_sees_every_change_to_the_watchlist_at_once(tmp_path) -> None:
    """The watchlist's keys are kept between questions; an import, an expiry or a removal is seen at the next."""
    from datetime import datetime

    from pingan.anpr.watchlist import match_seen_plates
    from pingan.store.db import open_store

    now = datetime(2026, 3, 1, 12)
    insert = ("INSERT INTO watchlist (list, plate, plate_raw, person_id, categories, valid_until, batch_id) "
              "VALUES (?, ?, ?, ?, ?, NULL, 0)")

    def matched(store, seen: str) -> list[tuple[str, str]]:
        _, got = match_seen_plates(store, [seen, "苏A00000"], valid_at=now)
        return sorted((m.entry.plate, m.kind) for m in got.get(seen, []))

    with open_store(tmp_path / "store.duckdb") as store:
        store.con.execute(insert, ["priors", "苏N12345", "苏N12345", "P1", ["theft"]])
        assert matched(store, "苏N12345") == [("苏N12345", "exact")]
        assert matched(store, "苏N1234B") == []  # B is not confusable with 5
        store.con.execute(insert, ["stolen", "苏N1234S", "苏N1234S", "P2", ["vehicle_theft"]])  # an import
        assert matched(store, "苏N12345") == [("苏N12345", "exact")]
        assert matched(store, "苏N1234B") == []
        assert matched(store, "苏N1234S") == [("苏N1234S", "exact")]  # the new entry, at once
        store.con.execute("UPDATE watchlist SET valid_until = ? WHERE person_id = 'P1'", [datetime(2026, 2, 1)])
        assert matched(store, "苏N12345") == [("苏N1234S", "fuzzy")]  # expired: only the other plate, misread
        store.con.execute("DELETE FROM watchlist WHERE person_id = 'P2'")
        assert matched(store, "苏N12345") == []
