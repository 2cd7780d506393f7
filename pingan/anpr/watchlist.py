"""Watchlist collision: which seen plates are on a watchlist, exactly or despite a misread character.

Fuzzy matching finds watchlist plates one substitution away (no all-pairs comparison), then prices the
substitution with the weighted distance of :mod:`pingan.plates`: confusable characters (0/D/Q, 8/B, 2/Z, …)
are cheap, others dear. Below the price of a plain substitution (the default maximum, 0.5) only a confusable
character or another province character can match, so the candidates of a seen plate are its confusable
variants and its province swaps, looked up directly; a maximum of 1 or more uses a wildcard index (one
position replaced by ``?``) of every watchlisted plate, built when first needed. A read's confidence makes a
fuzzy match more believable when it is low (the camera itself was unsure).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd
import pyarrow as pa

from pingan.plates import (
    OCR_CONFUSIONS,
    PLAIN_SUBSTITUTION_COST,
    PROVINCES,
    confusable_with,
    variants,
    weighted_distance,
    wildcard_keys,
)
from pingan.store.db import Store

#: Fuzzy matches above this weighted distance are not matches (0.3 = one confusable substitution,
#: 0.5 = one province-character substitution, 1.0 = any one substitution).
MAX_FUZZY_COST = 0.5


@dataclass(frozen=True)
class Entry:
    list: str
    plate: str
    person_id: str
    categories: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Match:
    """A seen plate matched to a watchlist entry."""

    seen_plate: str
    entry: Entry
    kind: str  # "exact" | "fuzzy"
    cost: float

    def to_json(self) -> dict[str, object]:
        return {
            "plate": self.entry.plate,
            "person_id": self.entry.person_id,
            "categories": list(self.entry.categories),
            "match": self.kind,
            "list": self.entry.list,
            "seen_as": self.seen_plate,
            "cost": self.cost,
        }


@dataclass
class Watchlists:
    """All watchlist entries valid at a time, indexed for exact and fuzzy lookups."""

    entries: list[Entry]
    by_plate: dict[str, list[Entry]] = field(default_factory=dict)
    #: watchlisted plates by each position holding a province character, replaced by ``?``
    by_province_key: dict[str, list[Entry]] = field(default_factory=dict)
    _by_key: dict[str, list[Entry]] | None = field(default=None, repr=False)  # built when first needed

    @classmethod
    def load(cls, store: Store, valid_at: datetime | None = None, lists: Iterable[str] | None = None) -> Watchlists:
        """Entries valid at ``valid_at`` (expired ones are left out), optionally of some lists only."""
        where, params = _valid(valid_at, lists)
        rows = store.con.execute(f"SELECT list, plate, person_id, categories, note FROM watchlist WHERE {where} "
                                 "ORDER BY list, plate, person_id", params).fetchall()
        return cls.of([Entry(r[0], r[1], r[2], tuple(r[3] or ()), r[4]) for r in rows])

    @classmethod
    def of(cls, entries: list[Entry]) -> Watchlists:
        lists = cls(entries)
        by_plate: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_plate[entry.plate].append(entry)
        by_province_key: dict[str, list[Entry]] = defaultdict(list)
        for plate, plate_entries in by_plate.items():
            for i, char in enumerate(plate):
                if char in PROVINCES:
                    by_province_key[plate[:i] + "?" + plate[i + 1:]].extend(plate_entries)
        lists.by_plate, lists.by_province_key = dict(by_plate), dict(by_province_key)
        return lists

    @property
    def by_key(self) -> dict[str, list[Entry]]:
        """Every watchlisted plate under each of its one-position wildcard keys (for maxima of 1 or more)."""
        if self._by_key is None:
            by_key: dict[str, list[Entry]] = defaultdict(list)
            for plate, plate_entries in self.by_plate.items():
                for key in wildcard_keys(plate, 1):
                    if key != plate:
                        by_key[key].extend(plate_entries)
            self._by_key = dict(by_key)
        return self._by_key

    def __len__(self) -> int:
        return len(self.entries)

    def _one_substitution_away(self, plate: str, max_cost: float) -> Iterable[Entry]:
        """Watchlisted entries whose plate one substitution of ``plate`` could be, within ``max_cost``."""
        if max_cost >= PLAIN_SUBSTITUTION_COST:
            for key in wildcard_keys(plate, 1):
                if key != plate:
                    yield from self.by_key.get(key, ())
            return
        for variant in variants(plate):  # a confusable character read in place of another
            yield from self.by_plate.get(variant, ())
        for i, char in enumerate(plate):  # a province character read in place of another
            if char in PROVINCES:
                yield from self.by_province_key.get(plate[:i] + "?" + plate[i + 1:], ())

    def match(self, plate: str, *, fuzzy: bool = True, max_cost: float = MAX_FUZZY_COST) -> list[Match]:
        """Watchlist matches for one seen plate: exact ones if any, else the cheapest fuzzy ones."""
        exact = self.by_plate.get(plate)
        if exact:
            return [Match(plate, e, "exact", 0.0) for e in exact]
        if not fuzzy:
            return []
        found: dict[tuple[str, str, str], Match] = {}
        for entry in self._one_substitution_away(plate, max_cost):
            cost = weighted_distance(plate, entry.plate, max_cost)
            if cost <= max_cost:
                found[(entry.list, entry.plate, entry.person_id)] = Match(plate, entry, "fuzzy", cost)
        if not found:
            return []
        best = min(m.cost for m in found.values())
        return sorted((m for m in found.values() if m.cost == best), key=lambda m: (m.entry.list, m.entry.plate))

    def match_all(self, plates: Iterable[str], *, fuzzy: bool = True,
                  max_cost: float = MAX_FUZZY_COST) -> dict[str, list[Match]]:
        """Matches for many seen plates; plates with none are left out."""
        result: dict[str, list[Match]] = {}
        for plate in plates:
            matches = self.match(plate, fuzzy=fuzzy, max_cost=max_cost)
            if matches:
                result[plate] = matches
        return result


def match_seen_plates(store: Store, plates: Iterable[str], *, valid_at: datetime | None = None,
                      lists: Iterable[str] | None = None, fuzzy: bool = True,
                      max_cost: float = MAX_FUZZY_COST) -> tuple[Watchlists, dict[str, list[Match]]]:
    """The watchlist matches of the plates seen around a case, as :meth:`Watchlists.match_all` finds them.

    Tens of thousands of plates meet a watchlist of tens of thousands in one query: each seen plate is
    joined to the keys a watchlisted plate answers to (itself, each confusable variant, each province
    character as ``?``: :func:`listed_keys`, made once per watchlist and process), and only the plates with
    such an entry are matched in Python. Returns those entries (as :class:`Watchlists`) and the matches. A
    maximum of a plain substitution or more reads the whole list, as ``load`` does.
    """
    seen = list(dict.fromkeys(plates))  # each once; the matches come out sorted below
    if fuzzy and max_cost >= PLAIN_SUBSTITUTION_COST:
        watchlists = Watchlists.load(store, valid_at=valid_at, lists=lists)
        return watchlists, watchlists.match_all(sorted(seen), fuzzy=fuzzy, max_cost=max_cost)
    listed = listed_keys(store)
    kinds = "k.kind < 2" if fuzzy else "k.kind = 0"
    # a seen plate's own province characters, each replaced by ? (the watchlist's are in the keys already)
    province_keys = f"""
        UNION ALL SELECT s.seen, k.entry, k.kind FROM (
            SELECT plate AS seen, substr(plate, 1, i - 1) || '?' || substr(plate, i + 1) AS key
            FROM (SELECT plate, unnest(list_filter(range(1, least(length(plate), {MAX_PLATE_LENGTH}) + 1),
                                                   lambda i: contains({_sql_text(PROVINCES)}, substr(plate, i, 1)))) AS i
                  FROM _pa_seen_plates)) s
        JOIN _pa_watch_keys k ON k.key = s.key AND k.kind = 2""" if fuzzy else ""
    store.con.register("_pa_seen_plates", pd.DataFrame({"plate": pd.Series(seen, dtype=object)}))
    store.con.register("_pa_watch_keys", listed.keys)
    try:
        rows = store.con.execute(f"""SELECT s.plate AS seen, k.entry, k.kind FROM _pa_seen_plates s
            JOIN _pa_watch_keys k ON k.key = s.plate AND {kinds} {province_keys}""").fetchall()
    finally:
        store.con.unregister("_pa_seen_plates")
        store.con.unregister("_pa_watch_keys")
    wanted = set(lists) if lists is not None else None
    found = [(seen_plate, listed.entries[e]) for seen_plate, e, kind in rows
             if listed.valid_at(e, valid_at) and (wanted is None or listed.entries[e].list in wanted)
             and (kind != 2 or listed.entries[e].plate != seen_plate)]  # another province character, not itself
    entries = sorted({entry for _, entry in found}, key=lambda e: (e.list, e.plate, e.person_id))
    watchlists = Watchlists.of(entries)
    candidates = sorted({seen_plate for seen_plate, _ in found})
    return watchlists, watchlists.match_all(candidates, fuzzy=fuzzy, max_cost=max_cost)


#: The longest plate whose every character is indexed (Chinese plates have 7 or 8).
MAX_PLATE_LENGTH = 9


@dataclass(frozen=True)
class ListedKeys:
    """Every watchlist entry, expired or not, and the keys a seen plate meets it under: ``keys`` (an Arrow
    table: ``key``, ``entry`` (a position in ``entries``), ``kind``: 0 its plate, 1 one confusable character
    read as another, 2 a province character as ``?``)."""

    entries: list[Entry]
    valid_until: list[datetime | None]
    keys: pa.Table

    def valid_at(self, entry: int, when: datetime | None) -> bool:
        until = self.valid_until[entry]
        return when is None or until is None or until >= when


_listed: dict[str, tuple[tuple[object, ...], ListedKeys]] = {}
_listed_lock = threading.Lock()


def listed_keys(store: Store) -> ListedKeys:
    """The watchlist's keys (:class:`ListedKeys`), made once per process while the list stays as it is: a
    change anywhere in it (an import, an edit, a removal) changes its checksum, asked at every call."""
    signature = tuple(store.con.execute(
        "SELECT count(*), sum(hash(list, plate, person_id, valid_until, categories, note)) FROM watchlist"
    ).fetchall()[0])
    name = str(store.path)
    with _listed_lock:
        cached = _listed.get(name)
        if cached is not None and cached[0] == signature:
            return cached[1]
    made = _make_listed_keys(store)
    with _listed_lock:
        _listed[name] = (signature, made)
        while len(_listed) > 4:
            _listed.pop(next(iter(_listed)))
    return made


def _make_listed_keys(store: Store) -> ListedKeys:
    rows = store.con.execute("""SELECT list, plate, person_id, categories, note, valid_until FROM watchlist
                                ORDER BY list, plate, person_id, valid_until""").fetchall()
    entries = [Entry(r[0], r[1], r[2], tuple(r[3] or ()), r[4]) for r in rows]
    confusions = ", ".join(f"({_sql_text(a)}, {_sql_text(b)})" for group in OCR_CONFUSIONS for a in sorted(group)
                           for b in sorted(confusable_with(a)))
    store.con.register("_pa_listed", pd.DataFrame({"entry": range(len(entries)),
                                                   "plate": pd.Series([e.plate for e in entries], dtype=object)}))
    try:
        # a seen plate s meets a listed plate L under L's variant with L[i] = b read as a, where the camera
        # reads a for b: the same pairs a seen plate's variants would meet L by
        keys = store.con.sql(f"""
            WITH positions AS (SELECT l.entry, l.plate, r.i, substr(l.plate, r.i, 1) AS ch
                               FROM _pa_listed l, range(1, {MAX_PLATE_LENGTH + 1}) r(i) WHERE r.i <= length(l.plate))
            SELECT plate AS key, entry, 0::TINYINT AS kind FROM _pa_listed
            UNION ALL SELECT substr(p.plate, 1, p.i - 1) || c.a || substr(p.plate, p.i + 1), p.entry, 1::TINYINT
                      FROM positions p JOIN (VALUES {confusions}) c(a, b) ON p.ch = c.b
            UNION ALL SELECT substr(plate, 1, i - 1) || '?' || substr(plate, i + 1), entry, 2::TINYINT
                      FROM positions WHERE contains({_sql_text(PROVINCES)}, ch)""").to_arrow_table()
    finally:
        store.con.unregister("_pa_listed")
    return ListedKeys(entries, [r[5] for r in rows], keys)


def _valid(valid_at: datetime | None, lists: Iterable[str] | None) -> tuple[str, list[object]]:
    """The WHERE clause (and its parameters) for entries valid at a time, of some lists."""
    where, params = "1=1", []
    if valid_at is not None:
        where += " AND (valid_until IS NULL OR valid_until >= ?)"
        params.append(valid_at)
    if lists is not None:
        names = list(lists)
        where += f" AND list IN ({', '.join('?' for _ in names)})"
        params.extend(names)
    return where, params


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
