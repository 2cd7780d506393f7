"""``pingan retention``, ``pingan backup``, ``pingan restore``: keeping data no longer than allowed, and safe."""

from __future__ import annotations

from pathlib import Path

import click

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.config import settings
from pingan.governance.audit import record
from pingan.governance.backup import backup, restore
from pingan.governance.purpose import authorise
from pingan.governance.retention import hold_case, run_retention


@click.group("retention")
def retention_group() -> None:
    """Purge data past its retention period; hold cases whose reads must be kept."""


@retention_group.command("run")
@click.option("--days", type=int, default=None, help="Retention period in days (default: $PINGAN_RETENTION_DAYS or 365).")
@click.option("--dry-run", is_flag=True, help="Count what would be purged; purge nothing.")
@json_option
@pass_context
def retention_run(ctx: Context, days: int | None, dry_run: bool, as_json: bool) -> None:
    """Purge reads older than the retention period (unless held for a case) and expired watchlist entries.

    Example: pingan retention run --dry-run
    """
    with ctx.store() as store:
        plan = run_retention(store, ctx.actor(purpose="retention"), retention_days=days or settings().retention_days,
                             dry_run=dry_run)
    if as_json:
        emit_json(plan.to_json())
        return
    verb = "Would purge" if dry_run else "Purged"
    click.echo(f"{verb} {plan.reads_purged} reads from before {plan.cutoff_day} and {plan.watchlist_expired} "
               f"expired watchlist entries; {plan.reads_held} old reads kept for {plan.holds} held case(s).")


@retention_group.command("hold")
@click.argument("case_id")
@click.option("--reason", required=True, help="Why the case's reads must be kept.")
@pass_context
def retention_hold(ctx: Context, case_id: str, reason: str) -> None:
    """Keep a case's reads past the retention period.

    Example: pingan retention hold C0001 --reason "in court"
    """
    with ctx.store() as store:
        hold_case(store, ctx.actor(purpose=case_id), case_id, reason)
    click.echo(f"Holding the reads of {case_id}.")


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@pass_context
def backup_command(ctx: Context, folder: Path) -> None:
    """Write a backup of the whole store into a new FOLDER.

    Example: pingan backup /backups/pingan-2026-11-29
    """
    with ctx.store() as store:
        tables = backup(store, folder)
        record(store, ctx.actor(purpose="backup"), action="disclosure", operation="store.backup",
               params={"folder": str(folder), "recipient": "backup"}, touched=sum(int(t["rows"]) for t in tables.values()))
    click.echo(f"Backed up {len(tables)} tables to {folder}.")


@click.command("restore")
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace an existing store.")
@pass_context
def restore_command(ctx: Context, folder: Path, overwrite: bool) -> None:
    """Restore a backup FOLDER into the store (--db), checking every table.

    Example: pingan --db restored.duckdb restore /backups/pingan-2026-11-29
    """
    tables = restore(folder, ctx.db, overwrite=overwrite)
    with ctx.store() as store:
        record(store, ctx.actor(purpose="restore"), action="alteration", operation="store.restore",
               params={"folder": str(folder)}, touched=sum(int(t["rows"]) for t in tables.values()))
    click.echo(f"Restored {len(tables)} tables into {ctx.db}; every table matches the backup.")


@click.command("authorise")
@click.option("--for", "purpose", required=True, help="The case or inquiry the authorisation is for.")
@click.option("--days", type=int, default=30, show_default=True, help="How long it stays valid.")
@json_option
@pass_context
def authorise_command(ctx: Context, purpose: str, days: int, as_json: bool) -> None:
    """Grant (as a supervisor) an authorisation to query reads older than 90 days.

    Example: pingan --user zhang.supervisor authorise --for "C0001 fraud ring" --days 30
    """
    with ctx.store() as store:
        ref = authorise(store, ctx.actor(purpose=purpose, store=store), purpose, days)
    if as_json:
        emit_json({"ref": ref, "purpose": purpose, "days": days})
    else:
        click.echo(f"Authorisation {ref} for '{purpose}', valid {days} days. Pass it with --authorisation {ref}.")


def register(cli: click.Group) -> None:
    for command in (retention_group, backup_command, restore_command, authorise_command):
        cli.add_command(command)
