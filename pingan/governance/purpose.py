"""Purpose-bound queries: reads older than 90 days need a supervisor's authorisation reference.

Recent movements answer today's cases; old ones mostly describe people suspected of nothing. A query
whose window reaches further back than :data:`OLD_READS_DAYS` runs only with the reference of a live
authorisation that a supervisor granted for a stated purpose; a refusal is audited like any other.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from pingan.errors import BadInput, Forbidden
from pingan.governance.audit import Actor, record
from pingan.governance.roles import require
from pingan.store.db import Store

OLD_READS_DAYS = 90


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def authorise(store: Store, supervisor: Actor, purpose: str, days: int = 30) -> str:
    """Grant an authorisation for queries over old reads; returns its reference."""
    require(supervisor.role, "authorise.old_reads", user=supervisor.user)
    if not purpose.strip():
        raise BadInput("An authorisation needs a purpose: say which case or inquiry it is for.")
    if not 1 <= days <= 365:
        raise BadInput(f"An authorisation lasts 1 to 365 days, not {days}.")
    ref = "AUTH-" + secrets.token_hex(4).upper()
    now = _now()
    store.con.execute("INSERT INTO authorisations VALUES (?, ?, ?, ?, ?)",
                      [ref, supervisor.user, purpose, now, now + timedelta(days=days)])
    record(store, supervisor, action="permission", operation="authorise.old_reads",
           params={"ref": ref, "purpose": purpose, "days": days})
    return ref


def check_old_reads(store: Store, actor: Actor, earliest: datetime, ref: str | None, *, operation: str,
                    now: datetime | None = None) -> None:
    """Refuse (and audit the refusal) a query reaching back past 90 days without a live authorisation."""
    now = now or _now()
    if earliest >= now - timedelta(days=OLD_READS_DAYS):
        return
    if ref:
        row = store.con.execute("SELECT valid_until FROM authorisations WHERE ref = ?", [ref]).fetchone()
        if row is not None and row[0] >= now:
            return
        problem = f"the authorisation {ref} is unknown or has expired"
    else:
        problem = "no authorisation reference was given"
    record(store, actor, action="consultation", operation=operation,
           params={"earliest": earliest.isoformat(), "authorisation": ref}, outcome="refused")
    raise Forbidden(f"This query reaches reads older than {OLD_READS_DAYS} days and {problem}; ask a supervisor "
                    "to run `pingan authorise` and pass its reference with --authorisation.")
