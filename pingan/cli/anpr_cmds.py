"""``pingan suspects`` and ``pingan collide``: vehicle–case association."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from pingan.anpr.collide import CollideQuery, collide
from pingan.anpr.suspects import SuspectQuery, suspects
from datetime import timedelta

from pingan.anpr.cases import load_case
from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.governance.audit import audited
from pingan.governance.purpose import check_old_reads
from pingan.timeutil import parse_duration

authorisation_option = click.option(
    "--authorisation", default=None, metavar="REF",
    help="A supervisor's authorisation reference, needed for reads older than 90 days.")


def _watch_text(w: dict | None) -> str:
    if not w:
        return ""
    return f"{w['list']}:{w['person_id']} {'/'.join(w['categories'])}" + (" (fuzzy)" if w["match"] == "fuzzy" else "")


@click.command("suspects")
@click.argument("case_id")
@click.option("--radius-km", type=float, default=5.0, show_default=True, help="Cameras within this distance of the scene.")
@click.option("--pad", default="2h", show_default=True, help="Widen the case window by this much on both sides.")
@click.option("--top", type=int, default=None, help="Only the best N candidates.")
@click.option("--history-days", type=int, default=28, show_default=True,
              help="Weeks before the case used to learn normal traffic at these cameras.")
@click.option("--no-fuzzy", is_flag=True, help="Match the watchlist exactly only.")
@authorisation_option
@json_option
@pass_context
def suspects_command(ctx: Context, case_id: str, radius_km: float, pad: str, top: int | None,
                     history_days: int, no_fuzzy: bool, authorisation: str | None, as_json: bool) -> None:
    """Vehicles seen by cameras near the case during its window, best suspects first.

    Example: pingan suspects C0001 --radius-km 5 --pad 2h --top 10
    """
    from pingan.anpr.features import HistoryConfig

    query = SuspectQuery(case_id=case_id, radius_km=radius_km, pad=parse_duration(pad, name="--pad"), top=top,
                         history=HistoryConfig(days=history_days), fuzzy=not no_fuzzy)
    with ctx.store() as store:
        actor = ctx.actor(purpose=case_id, store=store)
        case = load_case(store, case_id)
        check_old_reads(store, actor, case.start - query.pad - timedelta(days=history_days), authorisation,
                        operation="anpr.suspects")
        params = {"case_id": case_id, "radius_km": radius_km, "pad": pad, "top": top, "authorisation": authorisation}
        with audited(store, actor, action="consultation", operation="anpr.suspects",
                     params=params) as audit:
            result = suspects(store, query)
            audit.touched = result.vehicles_seen
    if as_json:
        emit_json(result.to_json())
        return
    window = result.window.to_json()
    click.echo(f"Case {case_id} ({result.case.category}): {len(result.area.camera_ids)} cameras within "
               f"{radius_km} km, {window['start']} – {window['end']}, {result.vehicles_seen} vehicles seen.")
    table = Table("rank", "plate", "score", "watchlist", "reasons")
    for c in result.candidates[: top or 20]:
        table.add_row(str(c.rank), c.plate, f"{c.score:.3f}", _watch_text(c.watchlist.to_json() if c.watchlist else None),
                      "; ".join(c.reasons[:3]))
    Console().print(table)


@click.command("collide")
@click.argument("case_ids", nargs=-1, required=True)
@click.option("--min-cases", type=int, default=None, help="Seen around at least K of the cases (default: all).")
@click.option("--radius-km", type=float, default=5.0, show_default=True)
@click.option("--pad", default="2h", show_default=True)
@click.option("--top", type=int, default=None, help="Only the best N vehicles.")
@click.option("--no-progress", is_flag=True, help="Do not draw a progress bar.")
@authorisation_option
@json_option
@pass_context
def collide_command(ctx: Context, case_ids: tuple[str, ...], min_cases: int | None, radius_km: float, pad: str,
                    top: int | None, no_progress: bool, authorisation: str | None, as_json: bool) -> None:
    """Vehicles seen around at least K of the given cases (serial offences), best first.

    Example: pingan collide C0003 C0007 C0011 --min-cases 2
    """
    query = CollideQuery(case_ids=tuple(case_ids), min_cases=min_cases, radius_km=radius_km,
                         pad=parse_duration(pad, name="--pad"), top=top)
    with ctx.store() as store:
        actor = ctx.actor(purpose=",".join(case_ids), store=store)
        earliest = min(load_case(store, cid).start for cid in case_ids) - query.pad - timedelta(days=query.history.days)
        check_old_reads(store, actor, earliest, authorisation, operation="anpr.collide")
        with audited(store, actor, action="combination", operation="anpr.collide",
                     params={"case_ids": list(case_ids), "min_cases": query.k, "radius_km": radius_km,
                             "pad": pad}) as audit:
            bar = Console(stderr=True)
            if no_progress or not bar.is_terminal:
                result = collide(store, query)
            else:  # each case is scored in turn, about a second each in a busy area
                with Progress(TextColumn("scoring case {task.fields[case]}"), BarColumn(), MofNCompleteColumn(),
                              console=bar, transient=True) as shown:
                    task = shown.add_task("cases", total=len(case_ids), case=case_ids[0])

                    def scored(done: int, total: int, case_id: str) -> None:
                        shown.update(task, completed=done, case=case_ids[done] if done < total else "(combining)")

                    result = collide(store, query, progress=scored)
            audit.touched = len(result.vehicles)
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(f"{len(result.vehicles)} vehicles seen around at least {query.k} of {len(case_ids)} cases.")
    table = Table("rank", "plate", "cases", "score", "watchlist", "reasons")
    for v in result.vehicles[: top or 20]:
        table.add_row(str(v.rank), v.plate, ",".join(v.cases), f"{v.score:.3f}",
                      _watch_text(v.watchlist.to_json() if v.watchlist else None), "; ".join(v.reasons[1:]))
    Console().print(table)


def register(cli: click.Group) -> None:
    cli.add_command(suspects_command)
    cli.add_command(collide_command)
