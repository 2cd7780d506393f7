"""Difficult disputes (矛盾纠纷): registration, the status workflow and its history, placement in grids.

A dispute is registered **open**, at a place (longitude/latitude, or a police grid), with a level (low,
medium, high) and its parties as pseudonymous ids — never names, phone numbers or ID-card numbers. It then
moves through the workflow::

    open ──→ mediating ──→ resolved
      │         │  ↑          ↑
      │         ↓  │          │
      ├──→ escalated ─────────┘
      └──→ resolved   (settled on the spot)

* ``open → mediating | resolved | escalated``
* ``mediating → resolved | escalated``
* ``escalated → mediating | resolved`` — the body it was escalated to (the township, a court, letters
  and visits) may hand it back for mediation, or settle it;
* ``resolved`` is final: a dispute that flares up again is registered anew, so the first one's history
  stays true.

Every change is an event in ``dispute_events`` (from, to, when, note, who); the ``disputes`` row holds the
current status, and ``closed_at`` is the time it was resolved. A dispute counts in grid grading while it is
not resolved; escalated disputes count more (see :mod:`pingan.grids.scoring`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import shapely

from pingan.errors import BadFile, BadInput, Conflict, NotFound
from pingan.geo import valid_lon_lat
from pingan.grids._arrow import append_rows
from pingan.grids.geometry import GridSet, load_grids
from pingan.store.db import Store
from pingan.timeutil import iso_local, parse_time

LEVELS: tuple[str, ...] = ("low", "medium", "high")
STATUSES: tuple[str, ...] = ("open", "mediating", "resolved", "escalated")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("mediating", "resolved", "escalated"),
    "mediating": ("resolved", "escalated"),
    "escalated": ("mediating", "resolved"),
    "resolved": (),
}
#: Statuses in which a dispute still weighs on its grid.
OPEN_STATUSES: tuple[str, ...] = ("open", "mediating", "escalated")

_PARTY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:#\-]{0,63}$")
_PHONE = re.compile(r"^(\+?86)?1\d{10}$")
_ID_CARD = re.compile(r"^\d{17}[\dXx]$|^\d{15}$")
_COLUMNS = ("dispute_id, lon, lat, level, status, opened_at, closed_at, category, parties, description, grid_id")


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


# --- checks at the boundary ----------------------------------------------------------------------

def check_level(level: str) -> str:
    value = str(level).strip().lower()
    if value not in LEVELS:
        raise BadInput(f"The dispute level '{level}' is not known; use one of {list(LEVELS)}.")
    return value


def check_status(status: str) -> str:
    value = str(status).strip().lower()
    if value not in STATUSES:
        raise BadInput(f"The dispute status '{status}' is not known; use one of {list(STATUSES)}.")
    return value


def check_party(party: str) -> str:
    """A party id, refused when it looks like a name, a phone number or an ID-card number."""
    value = str(party).strip()
    if _PHONE.match(value) or _ID_CARD.match(value) or not _PARTY.match(value):
        raise BadInput(
            f"The party '{party}' is not a pseudonymous id; record parties by an id such as P1024 "
            "(letters, digits, - _ . : #), never by name, phone or ID-card number."
        )
    return value


def check_transition(current: str, target: str) -> None:
    allowed = TRANSITIONS[current]
    if target not in allowed:
        where = f"one of {list(allowed)}" if allowed else "nothing (resolved is final; register a new dispute)"
        raise BadInput(f"A dispute that is {current} cannot move to {target}; from {current} it can move to {where}.")


# --- the domain -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewDispute:
    """A dispute to register. Give a place (``lon``/``lat``) or a police grid, or both when they agree."""

    level: str
    opened_at: datetime
    """When it was reported (naive UTC)."""
    parties: tuple[str, ...] = ()
    lon: float | None = None
    lat: float | None = None
    grid_id: str | None = None
    category: str | None = None
    description: str | None = None
    dispute_id: str | None = None

    def checked(self) -> NewDispute:
        """The same dispute with level and parties checked and cleaned, or BadInput."""
        if (self.lon is None) != (self.lat is None):
            raise BadInput("Give both the longitude and the latitude of the dispute, or neither (then a grid).")
        if self.lon is None and not self.grid_id:
            raise BadInput("Say where the dispute is: give --lon and --lat, or --grid with a police grid id.")
        if self.lon is not None and not valid_lon_lat(float(self.lon), float(self.lat)):  # type: ignore[arg-type]
            raise BadInput(f"The place ({self.lon}, {self.lat}) is not a WGS 84 longitude/latitude.")
        if self.dispute_id is not None and not str(self.dispute_id).strip():
            raise BadInput("The dispute id is empty; leave it out to have one assigned.")
        parties = tuple(dict.fromkeys(check_party(p) for p in self.parties))
        return NewDispute(level=check_level(self.level), opened_at=self.opened_at, parties=parties,
                          lon=self.lon, lat=self.lat, grid_id=self.grid_id, category=self.category or None,
                          description=self.description or None,
                          dispute_id=str(self.dispute_id).strip() if self.dispute_id else None)


@dataclass(frozen=True)
class DisputeEvent:
    seq: int
    at: datetime
    from_status: str | None
    to_status: str
    note: str | None = None
    user: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": iso_local(self.at), "from": self.from_status, "to": self.to_status,
                "note": self.note, "user": self.user}


@dataclass(frozen=True)
class Dispute:
    dispute_id: str
    lon: float
    lat: float
    level: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    category: str | None
    parties: tuple[str, ...]
    description: str | None
    grid_id: str | None
    events: tuple[DisputeEvent, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def to_json(self) -> dict[str, Any]:
        return {
            "dispute_id": self.dispute_id, "grid_id": self.grid_id, "lon": self.lon, "lat": self.lat,
            "level": self.level, "status": self.status, "opened_at": iso_local(self.opened_at),
            "closed_at": iso_local(self.closed_at), "category": self.category, "parties": list(self.parties),
            "description": self.description, "allowed_next": list(TRANSITIONS[self.status]),
            "events": [e.to_json() for e in self.events],
        }


def _dispute(row: Sequence[Any], events: tuple[DisputeEvent, ...] = ()) -> Dispute:
    return Dispute(dispute_id=row[0], lon=row[1], lat=row[2], level=row[3], status=row[4], opened_at=row[5],
                   closed_at=row[6], category=row[7], parties=tuple(row[8] or ()), description=row[9],
                   grid_id=row[10], events=events)


def _events(store: Store, dispute_id: str) -> tuple[DisputeEvent, ...]:
    rows = store.con.execute(
        "SELECT seq, at_utc, from_status, to_status, note, user_name FROM dispute_events "
        "WHERE dispute_id = ? ORDER BY seq", [dispute_id]).fetchall()
    return tuple(DisputeEvent(*r) for r in rows)


def get(store: Store, dispute_id: str) -> Dispute:
    """One dispute with its history, or NotFound."""
    row = store.con.execute(f"SELECT {_COLUMNS} FROM disputes WHERE dispute_id = ?", [dispute_id]).fetchone()
    if row is None:
        raise NotFound(f"There is no dispute '{dispute_id}'; list them with `pingan disputes list`.")
    return _dispute(row, _events(store, dispute_id))


def _next_id(store: Store) -> str:
    while True:
        (n,) = store.con.execute("SELECT nextval('dispute_seq')").fetchone()  # type: ignore[misc]
        candidate = f"D{n:06d}"
        if not store.con.execute("SELECT 1 FROM disputes WHERE dispute_id = ?", [candidate]).fetchone():
            return candidate


def _place(new: NewDispute, police: GridSet) -> tuple[float, float, str | None]:
    """The dispute's point and police grid, checking that a given grid and point agree."""
    if new.lon is None or new.lat is None:
        grid = police.grid(str(new.grid_id))
        point = shapely.point_on_surface(grid.geometry)
        return float(point.x), float(point.y), grid.grid_id
    found = police.locate([new.lon], [new.lat])[0]
    if new.grid_id and found != new.grid_id:
        police.grid(new.grid_id)  # NotFound first when the grid does not exist
        where = f"in grid {found}" if found else "outside every police grid"
        raise BadInput(f"The place ({new.lon}, {new.lat}) lies {where}, not in {new.grid_id}; "
                       "give the place or the grid, not both.")
    return float(new.lon), float(new.lat), found


def register(store: Store, new: NewDispute, *, user: str | None = None,
             police: GridSet | None = None) -> Dispute:
    """Register one dispute as open, placed in the police grid that holds it; returns it with its history."""
    new = new.checked()
    police = police if police is not None else load_grids(store, "police")
    lon, lat, grid_id = _place(new, police)
    with store.atomic() as con:
        dispute_id = new.dispute_id or _next_id(store)
        if con.execute("SELECT 1 FROM disputes WHERE dispute_id = ?", [dispute_id]).fetchone():
            raise Conflict(f"A dispute '{dispute_id}' is already registered; choose another id or leave it out.")
        con.execute(
            f"INSERT INTO disputes ({_COLUMNS}) VALUES (?, ?, ?, ?, 'open', ?, NULL, ?, ?, ?, ?)",
            [dispute_id, lon, lat, new.level, new.opened_at, new.category, list(new.parties), new.description,
             grid_id],
        )
        con.execute("INSERT INTO dispute_events VALUES (?, 1, ?, NULL, 'open', 'registered', ?, ?)",
                    [dispute_id, new.opened_at, user, now_utc()])
    return get(store, dispute_id)


def move(store: Store, dispute_id: str, to_status: str, *, at: datetime | None = None, note: str | None = None,
         user: str | None = None) -> Dispute:
    """Move a dispute to ``to_status`` at ``at`` (default now); BadInput names the moves allowed."""
    target = check_status(to_status)
    current = get(store, dispute_id)
    check_transition(current.status, target)
    when = at or now_utc()
    last = current.events[-1].at if current.events else current.opened_at
    if when < last:
        raise BadInput(f"The dispute {dispute_id} last changed at {iso_local(last)}; a move must come after that, "
                       f"not at {iso_local(when)}.")
    seq = (current.events[-1].seq if current.events else 0) + 1
    with store.atomic() as con:
        con.execute("UPDATE disputes SET status = ?, closed_at = ? WHERE dispute_id = ?",
                    [target, when if target == "resolved" else None, dispute_id])
        con.execute("INSERT INTO dispute_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [dispute_id, seq, when, current.status, target, note, user, now_utc()])
    return get(store, dispute_id)


def list_disputes(store: Store, *, status: str | None = None, grid_id: str | None = None,
                  level: str | None = None, limit: int | None = None) -> list[Dispute]:
    """Disputes, newest first; optionally one status (``unresolved`` for all but resolved), grid or level."""
    where, args = [], []
    if status == "unresolved":
        where.append("status <> 'resolved'")
    elif status:
        where.append("status = ?")
        args.append(check_status(status))
    if grid_id:
        where.append("grid_id = ?")
        args.append(grid_id)
    if level:
        where.append("level = ?")
        args.append(check_level(level))
    sql = f"SELECT {_COLUMNS} FROM disputes"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY opened_at DESC, dispute_id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_dispute(r) for r in store.con.execute(sql, args).fetchall()]


@dataclass(frozen=True)
class OpenDisputes:
    """Disputes not resolved at an instant, as columns (for grading)."""

    ids: list[str]
    lon: list[float]
    lat: list[float]
    level: list[str]
    status: list[str]


def open_at(store: Store, as_of: datetime) -> OpenDisputes:
    """Disputes opened before ``as_of`` and not resolved by then, with their status at that instant.

    The status comes from the event history. A dispute written without events (straight into the table
    by another importer) is open from ``opened_at``, and from ``closed_at`` on takes its stored status
    (resolved, or escalated — which still counts); without ``closed_at`` it takes its stored status.
    """
    rows = store.con.execute(
        """
        WITH ev AS (
            SELECT dispute_id, arg_max(to_status, seq) AS status
            FROM dispute_events WHERE at_utc <= $as_of GROUP BY dispute_id
        )
        SELECT * FROM (
            SELECT d.dispute_id, d.lon, d.lat, d.level,
                   CASE WHEN ev.status IS NOT NULL THEN ev.status
                        WHEN d.status IN ('resolved', 'escalated') AND d.closed_at > $as_of THEN 'open'
                        ELSE d.status END AS status_then
            FROM disputes d LEFT JOIN ev USING (dispute_id)
            WHERE d.opened_at <= $as_of
        ) WHERE status_then <> 'resolved'
        ORDER BY dispute_id
        """,
        {"as_of": as_of},
    ).fetchall()
    return OpenDisputes(ids=[r[0] for r in rows], lon=[r[1] for r in rows], lat=[r[2] for r in rows],
                        level=[r[3] for r in rows], status=[r[4] for r in rows])


def place_all(store: Store) -> int:
    """Re-place every dispute in the police grid that holds it (after grids were re-imported); how many moved."""
    police = load_grids(store, "police")
    rows = store.con.execute("SELECT dispute_id, lon, lat, grid_id FROM disputes ORDER BY dispute_id").fetchall()
    if not rows:
        return 0
    found = police.locate([r[1] for r in rows], [r[2] for r in rows])
    moved = [(r[0], g) for r, g in zip(rows, found, strict=True) if g != r[3]]
    if moved:
        table = pa.table({"dispute_id": [m[0] for m in moved], "grid_id": pa.array([m[1] for m in moved], pa.string())})
        with store.atomic() as con:
            con.register("_placed", table)
            try:
                con.execute("UPDATE disputes SET grid_id = _placed.grid_id FROM _placed "
                            "WHERE disputes.dispute_id = _placed.dispute_id")
            finally:
                con.unregister("_placed")
    return len(moved)


# --- import from a file ---------------------------------------------------------------------------

@dataclass
class DisputeImport:
    """What :func:`import_disputes` stored and set aside."""

    file: str
    batch_id: int
    rows_total: int = 0
    accepted: int = 0
    already_stored: int = 0
    outside_grids: int = 0
    set_aside: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"Imported {self.accepted} of {self.rows_total} disputes from {self.file}; "
                f"{len(self.set_aside)} set aside, {self.already_stored} already stored")
        if self.outside_grids:
            text += f", {self.outside_grids} outside every police grid"
        return text + "."

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "batch_id": self.batch_id, "rows_total": self.rows_total,
                "accepted": self.accepted, "set_aside": len(self.set_aside), "already_stored": self.already_stored,
                "outside_grids": self.outside_grids,
                "set_aside_rows": [{"row": n, "reason": r} for n, r in self.set_aside]}


def _read_rows(store: Store, path: Path) -> tuple[list[dict[str, Any]], str]:
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        fmt, reader = "parquet", "read_parquet(?)"
    elif suffix in (".csv", ".txt", ".tsv"):
        fmt, reader = "csv", "read_csv(?, header = true, all_varchar = true, auto_detect = true)"
    else:
        raise BadFile(f"The file {path} is neither CSV nor Parquet; give a .csv or .parquet file of disputes.")
    try:
        cur = store.con.execute(f"SELECT * FROM {reader}", [str(path)])
        names = [d[0].strip().lower() for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()], fmt
    except Exception as exc:  # DuckDB raises several types for unreadable files
        raise BadFile(f"Cannot read the disputes file {path}: {str(exc).splitlines()[0]}.") from exc


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _row_to_new(row: dict[str, Any]) -> tuple[NewDispute, str, datetime | None]:
    """One file row as a dispute, its status and the time of that status; BadInput says why not."""
    for required in ("level", "opened_at"):
        if _text(row.get(required)) is None:
            raise BadInput(f"{required} is empty")
    lon, lat = _text(row.get("lon")), _text(row.get("lat"))
    try:
        lon_f = float(lon) if lon is not None else None
        lat_f = float(lat) if lat is not None else None
    except ValueError:
        raise BadInput(f"the coordinates ({lon}, {lat}) are not numbers") from None
    opened = parse_time(row["opened_at"], name="opened_at")
    parties_raw = row.get("parties")
    if isinstance(parties_raw, list | tuple):
        parties = tuple(str(p) for p in parties_raw if str(p).strip())
    else:
        parties = tuple(p for p in (_text(parties_raw) or "").replace("；", ";").split(";") if p.strip())
    new = NewDispute(level=str(row["level"]), opened_at=opened, parties=parties, lon=lon_f, lat=lat_f,
                     grid_id=_text(row.get("grid_id")), category=_text(row.get("category")),
                     description=_text(row.get("description")), dispute_id=_text(row.get("dispute_id"))).checked()
    status = check_status(_text(row.get("status")) or "open")
    when_text = _text(row.get("status_at")) or _text(row.get("closed_at"))
    when = parse_time(when_text, name="status_at") if when_text else None
    if status == "resolved" and when is None:
        raise BadInput("a resolved dispute needs closed_at (or status_at)")
    if status != "open":
        when = when or opened
        if when < opened:
            raise BadInput(f"the {status} time is before opened_at")
    return new, status, when


def import_disputes(store: Store, path: str | Path, *, user: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> DisputeImport:
    """Load disputes from a CSV or Parquet file; bad rows are set aside with the reason.

    Columns: ``level``, ``opened_at`` and either ``lon``/``lat`` or ``grid_id``; optional ``dispute_id``
    (else one derived from the row, so re-importing stores nothing twice), ``status`` (default open) with
    ``status_at`` or ``closed_at``, ``category``, ``parties`` (pseudonymous ids separated by ``;``),
    ``description``. Unknown columns are ignored.
    """
    path = Path(path)
    if not path.is_file():
        raise BadFile(f"There is no file {path}; give the path of a CSV or Parquet file of disputes.")
    rows, fmt = _read_rows(store, path)
    police = load_grids(store, "police")
    started = now_utc()
    (batch_id,) = store.con.execute("SELECT nextval('batch_seq')").fetchone()  # type: ignore[misc]
    report = DisputeImport(file=str(path), batch_id=int(batch_id), rows_total=len(rows))
    stored = set(store.con.execute("SELECT dispute_id FROM disputes").fetchnumpy()["dispute_id"].tolist())
    records: list[list[Any]] = []
    events: list[list[Any]] = []
    aside: list[list[Any]] = []
    for number, row in enumerate(rows, start=1):
        try:
            new, status, when = _row_to_new(row)
            lon, lat, grid_id = _place(new, police)
        except (BadInput, NotFound) as exc:
            reason = exc.message.rstrip(".")
            report.set_aside.append((number, reason))
            aside.append([report.batch_id, "disputes", number, reason,
                          json.dumps({k: None if v is None else str(v) for k, v in row.items()}, ensure_ascii=False)])
            continue
        dispute_id = new.dispute_id or "D" + hashlib.sha1(
            json.dumps([new.opened_at.isoformat(), lon, lat, new.level, list(new.parties), new.category],
                       ensure_ascii=False).encode("utf-8")).hexdigest()[:10].upper()
        if dispute_id in stored:
            report.already_stored += 1
            continue
        stored.add(dispute_id)
        report.outside_grids += grid_id is None
        records.append([dispute_id, lon, lat, new.level, status, new.opened_at,
                        when if status == "resolved" else None, new.category, list(new.parties),
                        new.description, grid_id, report.batch_id])
        events.append([dispute_id, 1, new.opened_at, None, "open", f"imported from {path.name}", user, started])
        if status != "open":
            events.append([dispute_id, 2, when, "open", status, f"imported from {path.name}", user, started])
        if progress:
            progress(number, len(rows))
    report.accepted = len(records)
    with store.atomic() as con:
        con.execute(
            "INSERT INTO import_batches (batch_id, kind, file, file_format, user_name, started_at, finished_at, "
            "rows_total, accepted, set_aside, already_stored) VALUES (?, 'disputes', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [report.batch_id, str(path), fmt, user, started, now_utc(), report.rows_total, report.accepted,
             len(report.set_aside), report.already_stored])
        append_rows(con, "disputes", [*_COLUMNS.split(", "), "batch_id"], records)
        append_rows(con, "dispute_events", ["dispute_id", "seq", "at_utc", "from_status", "to_status", "note",
                                        "user_name", "recorded_at"], events)
        append_rows(con, "set_aside", ["batch_id", "kind", "row_number", "reason", "row_json"], aside)
    return report

