"""Watchlist collision: which seen plates are on a watchlist, exactly or despite a misread character.

Fuzzy matching finds watchlist plates one substitution away through a wildcard index (no all-pairs
comparison), then prices the substitution with the weighted distance of :mod:`pingan.plates`:
confusable characters (0/D/Q, 8/B, 2/Z, …) are cheap, others dear. A read's confidence makes a fuzzy
match more believable when it is low (the camera itself was unsure).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from pingan.plates import weighted_distance, wildcard_keys
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
    by_key: dict[str, list[Entry]] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, valid_at: datetime | None = None, lists: Iterable[str] | None = None) -> Watchlists:
        """Entries valid at ``valid_at`` (expired ones are left out), optionally of some lists only."""
        sql = "SELECT list, plate, person_id, categories, note FROM watchlist WHERE 1=1"
        params: list[object] = []
        if valid_at is not None:
            sql += " AND (valid_until IS NULL OR valid_until >= ?)"
            params.append(valid_at)
        if lists is not None:
            names = list(lists)
            sql += f" AND list IN ({', '.join('?' for _ in names)})"
            params.extend(names)
        rows = store.con.execute(sql + " ORDER BY list, plate, person_id", params).fetchall()
        return cls.of([Entry(r[0], r[1], r[2], tuple(r[3] or ()), r[4]) for r in rows])

    @classmethod
    def of(cls, entries: list[Entry]) -> Watchlists:
        lists = cls(entries)
        by_plate: dict[str, list[Entry]] = defaultdict(list)
        by_key: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_plate[entry.plate].append(entry)
        for plate, plate_entries in by_plate.items():
            for key in wildcard_keys(plate, 1):
                if key != plate:
                    by_key[key].extend(plate_entries)
        lists.by_plate, lists.by_key = dict(by_plate), dict(by_key)
        return lists

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, plate: str, *, fuzzy: bool = True, max_cost: float = MAX_FUZZY_COST) -> list[Match]:
        """Watchlist matches for one seen plate: exact ones if any, else the cheapest fuzzy ones."""
        exact = self.by_plate.get(plate)
        if exact:
            return [Match(plate, e, "exact", 0.0) for e in exact]
        if not fuzzy:
            return []
        found: dict[tuple[str, str, str], Match] = {}
        for key in wildcard_keys(plate, 1):
            for entry in self.by_key.get(key, ()):
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
