"""``pingan grids …`` and ``pingan disputes …``: police grids, three-colour grading, officers, disputes.

Thin commands: parse, open the store, call :mod:`pingan.grids` under audit, render. Grading and listing
grids is not personal data (no purpose needed); disputes name their parties (pseudonymously), so reading
them needs a purpose — a command about one dispute takes its id as the purpose when none is given.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.governance.audit import audited
from pingan.grids import disputes as disputes_mod
from pingan.grids.disputes import LEVELS, STATUSES, NewDispute
from pingan.grids.fusion import fuse
from pingan.grids.geometry import LEVELS as GRID_LEVELS
from pingan.grids.geometry import load_grids
from pingan.grids.grading import grade, grade_series, history, series_dates, stored_grading
from pingan.grids.officers import assign, workload
from pingan.grids.policy import COLOURS, GradingPolicy, colour_rule, load_policy
from pingan.timeutil import iso_local, parse_duration, parse_time

_COLOUR_STYLE = {"red": "bold red", "yellow": "yellow", "green": "green"}


def _painted(colour: str | None) -> str:
    return f"[{_COLOUR_STYLE[colour]}]{colour}[/]" if colour else ""


def _policy(policy_file: Path | None, rule: str | None, red: float | None, yellow: float | None) -> GradingPolicy:
    policy = load_policy(policy_file) if policy_file else GradingPolicy()
    if rule or red is not None or yellow is not None:
        name = rule or policy.rule.name
        params = {k: v for k, v in (("red", red), ("yellow", yellow)) if v is not None}
        if name == policy.rule.name:
            params = {**{k: getattr(policy.rule, k) for k in ("red", "yellow")}, **params}
        policy = GradingPolicy(rule=colour_rule(name, **params), weights=policy.weights,
                               hysteresis=policy.hysteresis)
    return policy


@click.group("grids")
def grids_group() -> None:
    """Police and governance grids, three-colour grading, and officers' workload.

    Example: pingan grids grade --as-of 2026-03-16
    """


@grids_group.command("grade")
@click.option("--as-of", "as_of", required=True, metavar="DATE",
              help="Grade as of this date or time (cases before it count); local time unless an offset is given.")
@click.option("--from", "start", default=None, metavar="DATE",
              help="Grade a series from this date to --as-of (replacing gradings from it on).")
@click.option("--every", default="7d", show_default=True, help="Step between the gradings of a series.")
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A grading policy file (JSON or TOML): rule, weights, hysteresis.")
@click.option("--rule", type=click.Choice(["quotas", "thresholds"]), default=None,
              help="How scores become colours (default: quotas, 5.6 % red and 18.4 % yellow).")
@click.option("--red", type=float, default=None, help="Red quota (share, e.g. 0.056) or threshold (score).")
@click.option("--yellow", type=float, default=None, help="Yellow quota (share, e.g. 0.184) or threshold (score).")
@click.option("--top", type=int, default=20, show_default=True, help="Grids shown in the table (not in --json).")
@json_option
@pass_context
def grade_command(ctx: Context, as_of: str, start: str | None, every: str, policy_file: Path | None,
                  rule: str | None, red: float | None, yellow: float | None, top: int, as_json: bool) -> None:
    """Grade every police grid red, yellow or green as of a date, and keep it in the history.

    A grid changes colour only on a sustained change (see docs/grids.md); grading the same date again
    replaces that grading.

    Example: pingan grids grade --as-of 2026-03-16 --from 2026-01-05 --every 7d
    """
    when = parse_time(as_of, name="--as-of")
    policy = _policy(policy_file, rule, red, yellow)
    with ctx.store() as store:
        actor = ctx.actor(store=store)
        params = {"as_of": as_of, "from": start, "every": every if start else None, "rule": policy.rule.to_json()}
        with audited(store, actor, action="consultation", operation="grids.grade", params=params,
                     needs_purpose=False) as audit:
            if start:
                dates = series_dates(parse_time(start, name="--from"), when, parse_duration(every, name="--every"))
                gradings = grade_series(store, dates, policy, user=actor.user)
            else:
                gradings = [grade(store, when, policy, user=actor.user)]
            audit.touched = sum(len(g.grades) for g in gradings)
    final = gradings[-1]
    if as_json:
        doc = final.to_json()
        if start:
            doc["series"] = [{"as_of": iso_local(g.as_of), "counts": {c: g.count(c) for c in COLOURS[::-1]},
                              "changed": len(g.changes)} for g in gradings]
        emit_json(doc)
        return
    if len(gradings) > 1:
        click.echo(f"Graded {len(gradings)} dates from {iso_local(gradings[0].as_of)}.")
    click.echo(final.summary())
    _grade_table(final.grades[:top], title="highest first")
    if final.changes:
        _grade_table(final.changes[:top], title="changed colour")


def _grade_table(grades: list, *, title: str) -> None:  # type: ignore[type-arg]
    table = Table("grid", "name", "colour", "was", "score", "officer", "why", title=title)
    for g in grades:
        table.add_row(g.grid_id, g.name or "", _painted(g.colour), _painted(g.previous_colour), f"{g.score:.1f}",
                      g.officer_id or "", "; ".join(g.reasons[:2]))
    Console().print(table)


@grids_group.command("show")
@click.option("--colour", "--color", "colour", type=click.Choice(COLOURS), default=None,
              help="Only grids of this colour.")
@click.option("--as-of", "as_of", default=None, metavar="DATE",
              help="The grading in force at this date (default: the latest).")
@click.option("--top", type=int, default=None, help="Only the first N grids.")
@json_option
@pass_context
def show_command(ctx: Context, colour: str | None, as_of: str | None, top: int | None, as_json: bool) -> None:
    """The police grids with their colour at the latest grading, red first, highest score first.

    Example: pingan grids show --colour red
    """
    when = parse_time(as_of, name="--as-of") if as_of else None
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="consultation", operation="grids.show",
                     params={"colour": colour, "as_of": as_of}, needs_purpose=False) as audit:
            grading = stored_grading(store, when)
            audit.touched = len(grading.grades)
    if as_json:
        doc = grading.to_json(colour=colour)
        doc["grids"] = doc["grids"][:top] if top else doc["grids"]
        emit_json(doc)
        return
    click.echo(grading.summary().replace("Graded", "Grading of", 1))
    shown = [g for g in grading.grades if colour is None or g.colour == colour]
    _grade_table(shown[:top] if top else shown, title=f"{colour or 'all'} grids")


@grids_group.command("history")
@click.argument("grid_id")
@click.option("--changes", is_flag=True, help="Only the first grading and the changes of colour.")
@json_option
@pass_context
def history_command(ctx: Context, grid_id: str, changes: bool, as_json: bool) -> None:
    """A police grid's gradings, oldest first, with the reasons that moved or held its colour.

    Example: pingan grids history P0042 --changes
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="consultation", operation="grids.history",
                     params={"grid_id": grid_id, "changes": changes}, needs_purpose=False) as audit:
            grades = history(store, grid_id, changes_only=changes)
            audit.touched = len(grades)
    if as_json:
        emit_json({"grid_id": grid_id, "gradings": [g.to_json() for g in grades]})
        return
    table = Table("as of", "colour", "was", "score", "qualifies", "why", title=f"grid {grid_id}")
    for g in grades:
        table.add_row(iso_local(g.as_of), _painted(g.colour), _painted(g.previous_colour), f"{g.score:.1f}",
                      g.raw_colour, "\n".join(g.reasons))
    Console().print(table)


@grids_group.command("fuse")
@click.option("--keep-given", is_flag=True, help="Keep a parent police grid the import gave (report disagreements).")
@json_option
@pass_context
def fuse_command(ctx: Context, keep_given: bool, as_json: bool) -> None:
    """Fuse each governance grid into the police grid that holds most of its area (sets its parent).

    Example: pingan grids fuse
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="alteration", operation="grids.fuse",
                     params={"keep_given": keep_given}, needs_purpose=False) as audit:
            report = fuse(store, keep_given=keep_given)
            audit.touched = len(report.fusions)
            audit.params.update(orphans=len(report.orphans))
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(report.summary())


@grids_group.command("locate")
@click.argument("lon", type=float)
@click.argument("lat", type=float)
@click.option("--level", type=click.Choice(GRID_LEVELS), default="police", show_default=True)
@json_option
@pass_context
def locate_command(ctx: Context, lon: float, lat: float, level: str, as_json: bool) -> None:
    """The grid that holds a point (longitude, latitude in WGS 84).

    Example: pingan grids locate 118.7712 34.0905
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="consultation", operation="grids.locate",
                     params={"lon": lon, "lat": lat, "level": level}, needs_purpose=False):
            (grid_id,) = load_grids(store, level).locate([lon], [lat])
    if as_json:
        emit_json({"lon": lon, "lat": lat, "level": level, "grid_id": grid_id})
    else:
        click.echo(grid_id if grid_id else f"({lon}, {lat}) lies outside every {level} grid.")


@grids_group.command("officers")
@click.option("--start", default=None, metavar="TIME",
              help="Count cases from this time (default: 30 days before --end).")
@click.option("--end", default=None, metavar="TIME",
              help="Count cases up to this time (default: the latest grading, else now).")
@json_option
@pass_context
def officers_command(ctx: Context, start: str | None, end: str | None, as_json: bool) -> None:
    """Each community officer's workload: grids, residents, cases in the period, unresolved disputes.

    Example: pingan grids officers --start 2026-03-01 --end 2026-04-01
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="consultation", operation="grids.officers",
                     params={"start": start, "end": end}, needs_purpose=False) as audit:
            report = workload(store, start=parse_time(start, name="--start") if start else None,
                              end=parse_time(end, name="--end") if end else None)
            audit.touched = len(report.officers)
    if as_json:
        emit_json(report.to_json())
        return
    click.echo(f"{len(report.officers)} officers; cases from {iso_local(report.start)} to {iso_local(report.end)}; "
               f"{len(report.unassigned)} police grids without an officer.")
    table = Table("officer", "name", "grids", "gov. grids", "residents", "km²", "cases", "disputes", "red/yellow")
    for w in report.officers:
        table.add_row(w.officer_id, w.name or "", str(len(w.police_grids)), str(w.governance_grids),
                      "" if w.population is None else f"{w.population:,.0f}", f"{w.area_km2:.2f}", str(w.cases),
                      str(w.open_disputes), f"{w.colours.get('red', 0)}/{w.colours.get('yellow', 0)}")
    Console().print(table)


@grids_group.command("assign")
@click.argument("officer_id")
@click.argument("grid_ids", nargs=-1, required=True)
@click.option("--name", default=None, help="The officer's name (needed the first time; default: the id).")
@json_option
@pass_context
def assign_command(ctx: Context, officer_id: str, grid_ids: tuple[str, ...], name: str | None, as_json: bool) -> None:
    """Give police grids to a community officer (taking them from whoever had them).

    Example: pingan grids assign O0017 P0042 P0043 --name "Wang Lei"
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="alteration", operation="grids.assign",
                     params={"officer_id": officer_id, "grid_ids": list(grid_ids)}, needs_purpose=False) as audit:
            officer = assign(store, officer_id, list(grid_ids), name=name)
            audit.touched = len(grid_ids)
    if as_json:
        emit_json(officer.to_json())
    else:
        click.echo(f"{officer.officer_id} ({officer.name}) now owns {len(officer.grid_ids)} police grids: "
                   f"{', '.join(officer.grid_ids)}.")


# --- disputes -------------------------------------------------------------------------------------

@click.group("disputes")
def disputes_group() -> None:
    """Difficult disputes (矛盾纠纷): register, move through mediation, list.

    Example: pingan disputes list --status unresolved --purpose "weekly review"
    """


def _echo_dispute(d: disputes_mod.Dispute) -> None:
    click.echo(f"{d.dispute_id}: {d.status}, {d.level} level, grid {d.grid_id or '(outside every police grid)'}, "
               f"opened {iso_local(d.opened_at)}" + (f", closed {iso_local(d.closed_at)}" if d.closed_at else "")
               + (f"; next: {', '.join(disputes_mod.TRANSITIONS[d.status])}" if d.is_open else "") + ".")
    for e in d.events:
        click.echo(f"  {e.seq}. {iso_local(e.at)} {e.from_status or '—'} → {e.to_status}"
                   + (f" ({e.note})" if e.note else "") + (f" by {e.user}" if e.user else ""))


@disputes_group.command("add")
@click.option("--lon", type=float, default=None, help="Where: longitude (WGS 84).")
@click.option("--lat", type=float, default=None, help="Where: latitude (WGS 84).")
@click.option("--grid", "grid_id", default=None, help="Or where: a police grid id.")
@click.option("--level", type=click.Choice(LEVELS), required=True, help="How serious it is.")
@click.option("--party", "parties", multiple=True, metavar="ID",
              help="A party by pseudonymous id (repeat for each party); never a name or phone number.")
@click.option("--category", default=None, help="What it is about: land, debt, neighbours, family, labour …")
@click.option("--opened-at", default=None, metavar="TIME", help="When it was reported (default: now).")
@click.option("--description", default=None, help="A short description (no names).")
@click.option("--id", "dispute_id", default=None, help="The dispute's id (default: assigned, like D000123).")
@json_option
@pass_context
def add_command(ctx: Context, lon: float | None, lat: float | None, grid_id: str | None, level: str,
                parties: tuple[str, ...], category: str | None, opened_at: str | None, description: str | None,
                dispute_id: str | None, as_json: bool) -> None:
    """Register a dispute as open, in the police grid that holds it.

    Example: pingan disputes add --lon 118.771 --lat 34.091 --level high --party P1024 --party P2048 --category land
    """
    new = NewDispute(level=level, opened_at=parse_time(opened_at, name="--opened-at") if opened_at
                     else disputes_mod.now_utc(), parties=parties, lon=lon, lat=lat, grid_id=grid_id,
                     category=category, description=description, dispute_id=dispute_id)
    with ctx.store() as store:
        actor = ctx.actor(purpose="dispute registration", store=store)
        with audited(store, actor, action="collection", operation="disputes.add",
                     params={"grid_id": grid_id, "level": level, "parties": len(parties)}) as audit:
            dispute = disputes_mod.register(store, new, user=actor.user)
            audit.touched = 1
            audit.params["dispute_id"] = dispute.dispute_id
    if as_json:
        emit_json(dispute.to_json())
    else:
        _echo_dispute(dispute)


@disputes_group.command("move")
@click.argument("dispute_id")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--at", "at", default=None, metavar="TIME", help="When it changed (default: now).")
@click.option("--note", default=None, help="What happened (no names).")
@json_option
@pass_context
def move_command(ctx: Context, dispute_id: str, status: str, at: str | None, note: str | None, as_json: bool) -> None:
    """Move a dispute on: open → mediating → resolved or escalated (escalated may come back to mediating).

    Example: pingan disputes move D000123 mediating --note "first meeting at the village office"
    """
    with ctx.store() as store:
        actor = ctx.actor(purpose=f"dispute {dispute_id}", store=store)
        with audited(store, actor, action="alteration", operation="disputes.move",
                     params={"dispute_id": dispute_id, "status": status, "at": at}) as audit:
            dispute = disputes_mod.move(store, dispute_id, status, at=parse_time(at, name="--at") if at else None,
                                        note=note, user=actor.user)
            audit.touched = 1
    if as_json:
        emit_json(dispute.to_json())
    else:
        _echo_dispute(dispute)


@disputes_group.command("show")
@click.argument("dispute_id")
@json_option
@pass_context
def show_dispute_command(ctx: Context, dispute_id: str, as_json: bool) -> None:
    """One dispute with its whole history.

    Example: pingan disputes show D000123
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(purpose=f"dispute {dispute_id}", store=store), action="consultation",
                     operation="disputes.show", params={"dispute_id": dispute_id}) as audit:
            dispute = disputes_mod.get(store, dispute_id)
            audit.touched = 1
    if as_json:
        emit_json(dispute.to_json())
    else:
        _echo_dispute(dispute)


@disputes_group.command("list")
@click.option("--status", type=click.Choice([*STATUSES, "unresolved"]), default=None,
              help="Only this status (unresolved: open, mediating or escalated).")
@click.option("--grid", "grid_id", default=None, help="Only disputes in this police grid.")
@click.option("--level", type=click.Choice(LEVELS), default=None)
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many (0 for all).")
@json_option
@pass_context
def list_command(ctx: Context, status: str | None, grid_id: str | None, level: str | None, limit: int,
                 as_json: bool) -> None:
    """Disputes, newest first (their parties are personal data: give a --purpose).

    Example: pingan --purpose "weekly dispute review" disputes list --status unresolved --grid P0042
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="consultation", operation="disputes.list",
                     params={"status": status, "grid_id": grid_id, "level": level, "limit": limit}) as audit:
            found = disputes_mod.list_disputes(store, status=status, grid_id=grid_id, level=level, limit=limit or None)
            audit.touched = len(found)
    if as_json:
        emit_json({"disputes": [d.to_json() for d in found]})
        return
    table = Table("id", "grid", "level", "status", "opened", "closed", "category", "parties")
    for d in found:
        table.add_row(d.dispute_id, d.grid_id or "", d.level, d.status, iso_local(d.opened_at) or "",
                      iso_local(d.closed_at) or "", d.category or "", ", ".join(d.parties))
    Console().print(table)


@disputes_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_context
def import_command(ctx: Context, file: Path, as_json: bool) -> None:
    """Load disputes from a CSV or Parquet file; bad rows are set aside with the reason.

    Columns: level, opened_at, lon and lat (or grid_id); optional dispute_id, status, status_at,
    closed_at, category, parties (ids separated by ;), description.

    Example: pingan disputes import county/disputes.csv
    """
    with ctx.store() as store:
        actor = ctx.actor(purpose="import disputes", store=store)
        with audited(store, actor, action="collection", operation="import.disputes", params={"file": str(file)},
                     needs_purpose=False) as audit:
            report = disputes_mod.import_disputes(store, file, user=actor.user)
            audit.touched = report.accepted
            audit.params.update(batch_id=report.batch_id, set_aside=len(report.set_aside))
    if as_json:
        emit_json(report.to_json())
        return
    click.echo(report.summary())
    if report.set_aside:
        click.echo(f"See the rows set aside with: pingan rejects --batch {report.batch_id}")


@disputes_group.command("place")
@json_option
@pass_context
def place_command(ctx: Context, as_json: bool) -> None:
    """Place every dispute again in the police grid that holds it (after the grids were re-drawn).

    Example: pingan disputes place
    """
    with ctx.store() as store:
        with audited(store, ctx.actor(store=store), action="alteration", operation="disputes.place",
                     needs_purpose=False) as audit:
            moved = disputes_mod.place_all(store)
            audit.touched = moved
    if as_json:
        emit_json({"moved": moved})
    else:
        click.echo(f"{moved} disputes changed grid.")


def register(cli: click.Group) -> None:
    cli.add_command(grids_group)
    cli.add_command(disputes_group)
