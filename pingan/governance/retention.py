"""Retention: reads are kept no longer than allowed, unless held for a case; watchlist entries expire.

A hold on a case keeps the reads that the case's queries look at: those by cameras within the hold's
radius of the scene during the case window widened by the pad. Everything else older than the retention
period is purged, in one transaction, and the purge is audited as an erasure with its counts. Copies of
the reads go with them: the time index (:mod:`pingan.anpr.time_index`) and the per-day summaries
(:mod:`pingan.anpr.summaries`) lose the same days, whole (a day with held reads left is answered from them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from pingan.anpr.area import area_around
from pingan.errors import BadInput, NotFound
from pingan.governance.audit import Actor, record
from pingan.store.db import Store, bulk_work
from pingan.timeutil import to_local

HOLD_RADIUS_KM = 5.0
HOLD_PAD = timedelta(hours=2)


@dataclass(frozen=True)
class RetentionPlan:
    cutoff_day: date
    reads_purged: int
    reads_held: int
    watchlist_expired: int
    holds: int
    dry_run: bool
    index_days_pruned: int = 0
    summary_days_pruned: int = 0

    def to_json(self) -> dict[str, object]:
        return {"cutoff_day": self.cutoff_day.isoformat(), "reads_purged": self.reads_purged,
                "reads_held": self.reads_held, "watchlist_expired": self.watchlist_expired,
                "holds": self.holds, "dry_run": self.dry_run, "index_days_pruned": self.index_days_pruned,
                "summary_days_pruned": self.summary_days_pruned}


def hold_case(store: Store, actor: Actor, case_id: str, reason: str) -> None:
    """Keep a case's reads past the retention period (e.g. while it is in court)."""
    if not reason.strip():
        raise BadInput("A hold needs a reason; say why the case's reads must be kept.")
    if not store.con.execute("SELECT 1 FROM cases WHERE case_id = ?", [case_id]).fetchone():
        raise NotFound(f"There is no case {case_id!r} to hold.")
    store.con.execute("INSERT OR REPLACE INTO case_holds VALUES (?, ?, ?, ?)",
                      [case_id, actor.user, reason, datetime.now(UTC).replace(tzinfo=None)])
    record(store, actor, action="alteration", operation="retention.hold", params={"case_id": case_id, "reason": reason})


def _held_predicate(store: Store) -> tuple[str, int]:
    holds = store.con.execute(
        "SELECT c.lon, c.lat, c.start_ts, c.end_ts FROM case_holds h JOIN cases c USING (case_id)").fetchall()
    clauses = []
    for lon, lat, start, end in holds:
        cams = area_around(store, lon, lat, HOLD_RADIUS_KM).camera_ids
        if not cams:
            continue
        ids = ", ".join("'" + c.replace("'", "''") + "'" for c in cams)
        clauses.append(f"(camera_id IN ({ids}) AND ts BETWEEN TIMESTAMP '{start - HOLD_PAD}' "
                       f"AND TIMESTAMP '{end + HOLD_PAD}')")
    return (" OR ".join(clauses) if clauses else "FALSE"), len(holds)


def _prune_copies(con: object, cutoff: date) -> tuple[int, int]:
    """Days removed from derived copies of the reads (the time index, the summaries), inside the purge's
    transaction."""
    from pingan.anpr.summaries import prune_summaries
    from pingan.anpr.time_index import prune_time_index

    return int(prune_time_index(con, cutoff)), int(prune_summaries(con, cutoff))  # type: ignore[arg-type]


@bulk_work
def run_retention(store: Store, actor: Actor, *, retention_days: int, today: date | None = None,
                  dry_run: bool = False) -> RetentionPlan:
    """Purge reads older than ``retention_days`` (except held ones) and expired watchlist entries."""
    if retention_days < 1:
        raise BadInput(f"The retention period must be at least 1 day, not {retention_days}.")
    today = today or to_local(datetime.now(UTC).replace(tzinfo=None)).date()
    cutoff = today - timedelta(days=retention_days)
    held, holds = _held_predicate(store)
    now = datetime.now(UTC).replace(tzinfo=None)
    with store.atomic() as con:
        old = f"day < DATE '{cutoff}'"
        purge = con.execute(f"SELECT count(*) FROM reads WHERE {old} AND NOT ({held})").fetchone()[0]
        kept = con.execute(f"SELECT count(*) FROM reads WHERE {old} AND ({held})").fetchone()[0]
        expired = con.execute("SELECT count(*) FROM watchlist WHERE valid_until < ?", [now]).fetchone()[0]
        plan = RetentionPlan(cutoff, int(purge), int(kept), int(expired), holds, dry_run)
        if not dry_run:
            con.execute(f"DELETE FROM reads WHERE {old} AND NOT ({held})")
            con.execute("DELETE FROM watchlist WHERE valid_until < ?", [now])
            index_days, summary_days = _prune_copies(con, cutoff)
            plan = replace(plan, index_days_pruned=index_days, summary_days_pruned=summary_days)
        record(store, actor, action="erasure", operation="retention.run", params=plan.to_json(),
               touched=0 if dry_run else plan.reads_purged + plan.watchlist_expired)
    if not dry_run:  # the summaries' file copies of the purged days (files are not in the transaction)
        from pingan.anpr.vehicle_day_files import remove_files

        remove_files(store, cutoff)
    return plan
