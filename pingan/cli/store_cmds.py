"""``pingan import``, ``pingan rejects``, ``pingan imports``: getting data in, and what was set aside."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from pingan.errors import BadFile
from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.governance.audit import Actor, audited_import, record
from pingan.store.db import Store
from pingan.store.importers import KINDS
from pingan.store.importers.report import ImportReport
from pingan.store.rejects import list_batches, list_set_aside

if TYPE_CHECKING:
    from pingan.anpr.summaries import DerivedReport


@click.command("import")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--encoding", default=None, help="Text encoding of a CSV file (default: detect UTF-8 or GBK/GB18030).")
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
@json_option
@pass_context
def import_command(ctx: Context, kind: str, file: Path, encoding: str | None, no_progress: bool, as_json: bool) -> None:
    """Load a file of one KIND (CSV or Parquet; grids as GeoJSON) into the store.

    Bad rows are set aside with a reason (see `pingan rejects`); re-importing stores nothing twice; a
    failed import stores nothing.

    Example: pingan import reads county/reads.parquet
    """
    if not file.exists():
        raise BadFile(f"There is no file {file}; give the path of a {kind} file.")
    console = Console(stderr=True)
    show_bar = not no_progress and not as_json and console.is_terminal
    with ctx.store() as store:
        actor = ctx.actor(purpose=f"import {kind}")
        with Progress(
            TextColumn(f"importing {kind}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
            console=console, disable=not show_bar, transient=True,
        ) as bar:
            task = bar.add_task("import", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = audited_import(store, actor, kind, file, encoding=encoding, user=actor.user, progress=progress)
        if not as_json:
            click.echo(report.summary())
            if report.set_aside:
                click.echo(f"See the rows set aside with: pingan rejects --batch {report.batch_id}")
        derived = after_reads_import(store, actor, report, show_bar=show_bar, console=console) \
            if kind == "reads" else None
    if as_json:
        emit_json(report.to_dict() | ({"derived": derived.to_json()} if derived else {}))
    elif derived is not None:
        click.echo(derived.summary())


def after_reads_import(store: Store, actor: Actor, report: ImportReport, *, show_bar: bool = False,
                       console: Console | None = None) -> DerivedReport | None:
    """Build the summaries and the time index for the days a reads import touched, in their own
    transactions after the import committed (its speed figure stays the import's own). Audited as an
    alteration; an interrupted build leaves those days stale, answered from the raw reads until rebuilt."""
    from pingan.anpr.summaries import days_of_batch, summarise_import

    if not report.accepted:
        return None
    days = days_of_batch(store, report.batch_id)
    with Progress(TextColumn("building {task.fields[what]} {task.fields[day]}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} days"), console=console or Console(stderr=True),
                  disable=not show_bar, transient=True) as bar:
        task = bar.add_task("derived", total=len(days), what="summaries", day="")

        def progress(what: str, day: date, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, what=what, day=str(day))

        return summarise_import(store, actor, report.batch_id, days=days, progress=progress)


@click.command("rejects")
@click.option("--batch", "batch_id", type=int, default=None, help="Only rows set aside by this import batch.")
@click.option("--kind", type=click.Choice(sorted(KINDS)), default=None, help="Only rows of this kind.")
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many rows (0 for all).")
@json_option
@pass_context
def rejects_command(ctx: Context, batch_id: int | None, kind: str | None, limit: int, as_json: bool) -> None:
    """List the rows imports set aside, with the reason for each.

    Example: pingan rejects --batch 3
    """
    with ctx.store() as store:
        rows = list_set_aside(store, batch_id=batch_id, kind=kind, limit=limit or None)
        record(store, ctx.actor(), action="consultation", operation="imports.set_aside",
               params={"batch_id": batch_id, "kind": kind}, touched=len(rows))
    if as_json:
        emit_json({"rows": rows})
        return
    if not rows:
        click.echo("No rows set aside.")
        return
    table = Table("batch", "kind", "row", "reason", "row as it arrived")
    for row in rows:
        table.add_row(str(row["batch_id"]), row["kind"], str(row["row_number"]), row["reason"], str(row["row"]))
    Console().print(table)


@click.command("imports")
@json_option
@pass_context
def imports_command(ctx: Context, as_json: bool) -> None:
    """List the import batches: file, kind, rows accepted, set aside and already stored.

    Example: pingan imports
    """
    with ctx.store() as store:
        batches = list_batches(store)
        record(store, ctx.actor(), action="consultation", operation="imports.list", touched=len(batches))
    if as_json:
        emit_json({"batches": batches})
        return
    table = Table("batch", "kind", "file", "accepted", "set aside", "already stored", "finished")
    for b in batches:
        table.add_row(str(b["batch_id"]), b["kind"], b["file"], str(b["accepted"]), str(b["set_aside"]),
                      str(b["already_stored"]), str(b["finished_at"]))
    Console().print(table)


def register(cli: click.Group) -> None:
    for command in (import_command, rejects_command, imports_command):
        cli.add_command(command)
