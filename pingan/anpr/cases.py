"""Cases as the vehicle analytics see them: a place, a category and a time window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pingan.errors import NotFound
from pingan.store.db import Store


@dataclass(frozen=True)
class Case:
    case_id: str
    category: str
    lon: float
    lat: float
    start: datetime  # naive UTC
    end: datetime


def load_case(store: Store, case_id: str) -> Case:
    """The case with this id, or NotFound naming it."""
    row = store.con.execute(
        "SELECT case_id, category, lon, lat, start_ts, end_ts FROM cases WHERE case_id = ?", [case_id]
    ).fetchone()
    if row is None:
        raise NotFound(f"There is no case {case_id!r} in the store; import it with `pingan import cases FILE`.")
    return Case(*row)
