"""The audit log: one append-only, hash-chained record of every data-touching operation.

Every entry holds who (user, role), when (UTC, milliseconds), what (action, operation, parameters),
why (purpose), the outcome and how many records were touched, plus the hash of the previous entry.
Editing, removing or reordering any entry breaks the chain, which :func:`verify` detects.

Actions follow data-protection vocabulary: ``collection`` (import), ``consultation`` (query),
``disclosure`` (export), ``combination`` (joining datasets), ``alteration``, ``erasure``,
``login`` and ``permission``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pingan.errors import PinganError, PurposeRequired
from pingan.store.db import Store

Action = Literal[
    "collection", "consultation", "disclosure", "combination", "alteration", "erasure", "login", "permission"
]
GENESIS = "0" * 64


class AuditUnavailable(PinganError):
    """The audit log could not be written: the operation it was to record must not go ahead."""

    status = 503
    code = "audit_unavailable"

# Choosing the next sequence number and appending must not interleave between threads of one process
# (the API serves requests on several threads; DuckDB lets only one process write a store).
_APPEND_LOCK = threading.Lock()


@dataclass(frozen=True)
class Actor:
    """Who is asking, in which role, and why."""

    user: str
    role: str | None = None
    purpose: str | None = None


@dataclass
class AuditEntry:
    seq: int
    at_utc: datetime
    user_name: str
    role: str | None
    action: str
    operation: str
    purpose: str | None
    params: dict[str, Any]
    outcome: str
    touched: int
    prev_hash: str
    hash: str = ""

    def digest(self) -> str:
        """The entry's hash: SHA-256 over the previous hash and the entry's canonical JSON."""
        body = {
            "seq": self.seq,
            "at_utc": self.at_utc.isoformat(timespec="milliseconds"),
            "user_name": self.user_name,
            "role": self.role,
            "action": self.action,
            "operation": self.operation,
            "purpose": self.purpose,
            "params": self.params,
            "outcome": self.outcome,
            "touched": self.touched,
        }
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256((self.prev_hash + canonical).encode("utf-8")).hexdigest()


def _params_json(params: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through JSON so that what is hashed is exactly what is stored and read back.
    return json.loads(json.dumps(params, sort_keys=True, ensure_ascii=False, default=str))


def record(
    store: Store,
    actor: Actor,
    *,
    action: Action,
    operation: str,
    params: dict[str, Any] | None = None,
    outcome: str = "ok",
    touched: int = 0,
) -> AuditEntry:
    """Append one entry to the audit chain.

    Raises :class:`AuditUnavailable` if it cannot be written: then the operation fails, and hands out nothing.
    """
    try:
        with _APPEND_LOCK:
            return _append(store, actor, action=action, operation=operation, params=params, outcome=outcome,
                           touched=touched)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise AuditUnavailable(
            f"The audit log cannot be written ({type(exc).__name__}: {first}), so {operation} was not carried "
            "out; check that the store is writable and not damaged (`pingan audit verify`), then try again."
        ) from exc


def _append(store: Store, actor: Actor, *, action: str, operation: str, params: dict[str, Any] | None,
            outcome: str, touched: int) -> AuditEntry:
    con = store.con
    last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    now = datetime.now(UTC).replace(tzinfo=None)
    now = now.replace(microsecond=(now.microsecond // 1000) * 1000)
    entry = AuditEntry(
        seq=seq,
        at_utc=now,
        user_name=actor.user,
        role=actor.role,
        action=action,
        operation=operation,
        purpose=actor.purpose,
        params=_params_json(params or {}),
        outcome=outcome,
        touched=int(touched),
        prev_hash=prev_hash,
    )
    entry.hash = entry.digest()
    con.execute(
        "INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry.seq,
            entry.at_utc,
            entry.user_name,
            entry.role,
            entry.action,
            entry.operation,
            entry.purpose,
            json.dumps(entry.params, sort_keys=True, ensure_ascii=False),
            entry.outcome,
            entry.touched,
            entry.prev_hash,
            entry.hash,
        ],
    )
    return entry


@dataclass
class Audited:
    """Filled in by the operation inside :func:`audited`: how many records it touched."""

    touched: int = 0
    params: dict[str, Any] = field(default_factory=dict)


@contextmanager
def audited(
    store: Store,
    actor: Actor,
    *,
    action: Action,
    operation: str,
    params: dict[str, Any] | None = None,
    needs_purpose: bool = True,
) -> Iterator[Audited]:
    """Run an operation under audit: refused without a purpose, recorded whatever its outcome.

    The entry is written after the operation; if writing it fails, the exception propagates and the
    caller must not hand out the result.
    """
    state = Audited(params=dict(params or {}))
    if needs_purpose and not (actor.purpose and actor.purpose.strip()):
        record(store, actor, action=action, operation=operation, params=state.params, outcome="refused")
        raise PurposeRequired(
            f"{operation} reads personal data and needs a purpose: pass --purpose 'why' "
            "(or a case id) or set $PINGAN_PURPOSE."
        )
    try:
        yield state
    except PinganError as exc:
        record(
            store, actor, action=action, operation=operation,
            params={**state.params, "error": exc.message}, outcome="failed",
        )
        raise
    except BaseException as exc:
        record(
            store, actor, action=action, operation=operation,
            params={**state.params, "error": type(exc).__name__}, outcome="failed",
        )
        raise
    record(store, actor, action=action, operation=operation, params=state.params, touched=state.touched)


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None


def entries(store: Store) -> Iterator[AuditEntry]:
    """The audit entries in chain order."""
    rows = store.con.execute(
        "SELECT seq, at_utc, user_name, role, action, operation, purpose, params, outcome, touched, "
        "prev_hash, hash FROM audit_log ORDER BY seq"
    ).fetchall()
    for row in rows:
        yield AuditEntry(
            seq=row[0], at_utc=row[1], user_name=row[2], role=row[3], action=row[4], operation=row[5],
            purpose=row[6], params=json.loads(row[7]) if row[7] else {}, outcome=row[8],
            touched=row[9], prev_hash=row[10], hash=row[11],
        )


def verify(store: Store) -> Verification:
    """Is the audit chain intact? Names the first entry that was edited, removed or reordered."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for entry in entries(store):
        count += 1
        if entry.seq != expected_seq:
            return Verification(False, count, entry.seq, f"entry {expected_seq} is missing or out of order")
        if entry.prev_hash != expected_prev:
            return Verification(False, count, entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}")
        if entry.digest() != entry.hash:
            return Verification(False, count, entry.seq, f"entry {entry.seq} was altered after it was written")
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    return Verification(True, count)


def audited_import(store: Store, actor: Actor, kind: str, path: Any, **kwargs: Any) -> Any:
    """Import a file with its collection entry written in the import's own transaction.

    The entry and the data are stored together or not at all; a failed import is recorded as failed.
    """
    from pingan.store.importers import import_file  # the store's importers need nothing from here

    params = {"file": str(path), "kind": kind}

    def entry(report: Any) -> None:
        record(store, actor, action="collection", operation=f"import.{kind}",
               params={**params, "batch_id": report.batch_id, "set_aside": report.set_aside,
                       "already_stored": report.already_stored}, touched=report.accepted)

    try:
        return import_file(store, kind, path, on_stored=entry, **kwargs)
    except AuditUnavailable:
        raise  # nothing was stored, and there is nowhere to record that
    except PinganError as exc:
        record(store, actor, action="collection", operation=f"import.{kind}",
               params={**params, "error": exc.message}, outcome="failed")
        raise
