"""Vehicle tactics on the command line: companions, cloned plates, trajectory, stay points, night activity,
first appearance, loitering and partial-plate search.

Each command parses its options, opens the store, runs the tactic under audit (these read personal
data: a purpose is required) and renders the result — a table, or one JSON document with ``--json``.
Without --start/--end a command looks at the last days of data and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.errors import BadInput
from pingan.governance.audit import audited
from pingan.store.db import Store
from pingan.timeutil import parse_duration

F = TypeVar("F", bound=Callable[..., Any])


def _keep_authorisation(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
    ctx.meta["pingan.authorisation"] = value


def guard_old_reads(store: Any, ctx: Context, start: str | None, end: str | None, *, operation: str,
                    default_days: int = 30, lookback: timedelta = timedelta(0)) -> None:
    """Refuse (and audit) a period reaching past 90 days without a supervisor's authorisation."""
    from pingan.anpr.tactic_common import resolve_period
    from pingan.governance.purpose import check_old_reads

    if not ctx.actor().purpose:
        return  # the purpose is asked for first, by the audited call that follows
    period = resolve_period(store, start, end, default_days=default_days)
    ref = click.get_current_context().meta.get("pingan.authorisation")
    check_old_reads(store, ctx.actor(store=store), period.window.start - lookback, ref, operation=operation)


def period_options(func: F) -> F:
    """``--start`` / ``--end``: ISO 8601 times, local time of the deployment unless an offset is given;
    ``--authorisation`` for periods reaching past 90 days."""
    func = click.option("--authorisation", default=None, metavar="REF", expose_value=False,
                        callback=_keep_authorisation,
                        help="A supervisor's authorisation reference, needed for reads older than 90 days.")(func)
    func = click.option("--end", default=None, metavar="T", help="End of the period (default: end of the data).")(func)
    return click.option("--start", default=None, metavar="T",
                        help="Start of the period, e.g. 2026-03-01T00:00 (local time unless an offset is given).")(func)


def top_option(default: int | None) -> Callable[[F], F]:
    return click.option("--top", type=int, default=default, show_default=default is not None,
                        help="Only the best N.")


def area_options(func: F) -> F:
    func = click.option("--camera", "cameras", multiple=True, metavar="ID",
                        help="A camera of the area (repeat for several).")(func)
    func = click.option("--radius-km", type=float, default=1.0, show_default=True,
                        help="With --near: cameras within this distance.")(func)
    return click.option("--near", default=None, metavar="LON,LAT",
                        help="The area: cameras within --radius-km of this point.")(func)


def resolve_area(store: Store, near: str | None, radius_km: float, cameras: tuple[str, ...]) -> tuple[str, ...] | None:
    """The area's cameras from --near/--radius-km and --camera; None when neither is given."""
    if near is None and not cameras:
        return None
    chosen = list(cameras)
    if near is not None:
        from pingan.anpr.area import area_around

        try:
            lon, lat = (float(x) for x in near.split(","))
        except ValueError:
            raise BadInput(f"--near '{near}' is not a point; write it as LON,LAT like 118.80,32.05.") from None
        chosen += area_around(store, lon, lat, radius_km).camera_ids
    known = {r[0] for r in store.con.execute("SELECT camera_id FROM cameras").fetchall()}
    unknown = [c for c in cameras if c not in known]
    if unknown:
        raise BadInput(f"Unknown camera(s) {', '.join(unknown)}; list cameras with their ids as imported.")
    if not chosen:
        raise BadInput(f"No camera lies within {radius_km} km of {near}; widen --radius-km.")
    return tuple(dict.fromkeys(chosen))


def _say_period(period: Any) -> None:
    w = period.window.to_json()
    click.echo(f"Period {w['start']} – {w['end']}" + (f" ({period.note})" if period.note else "") + ".")


def _table(*columns: str) -> Table:
    return Table(*columns, show_lines=False)


def _print(table: Table) -> None:
    Console().print(table)


# --- companions ---------------------------------------------------------------------------------------


@click.command("companions")
@click.argument("plate")
@period_options
@click.option("--within", default="60s", show_default=True, help="Same camera within this interval of the plate.")
@click.option("--min-trips", type=int, default=2, show_default=True, help="Together on at least this many trips.")
@click.option("--min-cameras", type=int, default=2, show_default=True, help="At at least this many cameras.")
@click.option("--min-score", type=float, default=2.0, show_default=True,
              help="Only companions this surprising (−log10 chance of happening by accident).")
@top_option(None)
@json_option
@pass_context
def companions_command(ctx: Context, plate: str, start: str | None, end: str | None, within: str, min_trips: int,
                       min_cameras: int, min_score: float, top: int | None, as_json: bool) -> None:
    """Vehicles that repeatedly travel with PLATE (same cameras within the interval), best first.

    Scored by surprise against background traffic: a bus on its route or a neighbour on the same
    commute is there without the plate too, and is not a companion.

    Example: pingan companions 苏N12345 --start 2026-03-01 --end 2026-03-31 --within 60s
    """
    from pingan.anpr.companions import CompanionQuery, companions
    from pingan.anpr.tactic_common import plate_arg, resolve_period

    norm = plate_arg(plate)
    span = parse_duration(within, name="--within")
    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.companions")
        with audited(store, ctx.actor(), action="consultation", operation="anpr.companions",
                     params={"plate": norm, "start": start, "end": end, "within": within}) as audit:
            period = resolve_period(store, start, end)
            audit.params.update(period.window.to_json())
            query = CompanionQuery(plate=norm, period=period, within=span, min_trips=min_trips,
                                   min_cameras=min_cameras, min_score=min_score, top=top)
            result = companions(store, query)
            audit.touched = result.target_reads + sum(c.co_reads for c in result.companions)
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(result.reasons[0] if result.reasons else "")
    table = _table("rank", "plate", "trips", "cameras", "co-reads", "score", "lead/lag", "first together", "last together")
    for c in result.companions:
        doc = c.to_json()
        table.add_row(str(c.rank), c.plate, str(c.trips), str(c.cameras), str(c.co_reads), f"{c.score:.1f}",
                      f"{c.lead_lag_s:+.0f} s", doc["first_together"], doc["last_together"])
    _print(table)


# --- cloned plates ------------------------------------------------------------------------------------


@click.command("cloned")
@period_options
@click.option("--max-kmh", type=float, default=150.0, show_default=True, help="Fastest believable road speed.")
@click.option("--road-factor", type=float, default=1.3, show_default=True,
              help="Road distance over straight-line distance.")
@click.option("--min-km", type=float, default=2.0, show_default=True,
              help="Cameras nearer than this never make an impossible move.")
@click.option("--min-evidence", type=int, default=2, show_default=True,
              help="Reads of a second vehicle needed (one stray read is a misread, not a clone).")
@click.option("--plate", "plates", multiple=True, help="Only these plates (repeat for several).")
@top_option(None)
@json_option
@pass_context
def cloned_command(ctx: Context, start: str | None, end: str | None, max_kmh: float, road_factor: float,
                   min_km: float, min_evidence: int, plates: tuple[str, ...], top: int | None, as_json: bool) -> None:
    """Plates that appear to be on two vehicles (seen at places too far apart for the time between),
    most certain first. Swept a day at a time with the first hour of the next day; misreads of a plate
    one character away and double reads are set aside. Default period: the last 7 days of data.

    Example: pingan cloned --start 2026-03-01 --end 2026-03-31 --max-kmh 150
    """
    from pingan.anpr.cloned import CloneQuery, cloned
    from pingan.anpr.tactic_common import plate_arg, resolve_period
    from pingan.anpr.travel import TravelRule

    rule = TravelRule(max_kmh=max_kmh, road_factor=road_factor, min_km=min_km)
    only = tuple(plate_arg(p) for p in plates) or None
    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.cloned", default_days=7)
        with audited(store, ctx.actor(), action="consultation", operation="anpr.cloned",
                     params={"start": start, "end": end, **rule.to_json(), "min_evidence": min_evidence,
                             "plates": list(only or [])}) as audit:
            period = resolve_period(store, start, end, default_days=7)
            audit.params.update(period.window.to_json())
            query = CloneQuery(period=period, rule=rule, min_evidence=min_evidence, plates=only, top=top)
            result = cloned(store, query)
            audit.touched = sum(len(p.second_vehicle) + 2 * len(p.evidence) for p in result.plates)
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(f"{len(result.plates)} plate(s) on two vehicles; {result.single_outliers} plate(s) with one stray "
               "read set aside as misreads.")
    table = _table("rank", "plate", "score", "days", "moves", "why")
    for p in result.plates:
        table.add_row(str(p.rank), p.plate, f"{p.score:.2f}", str(len(p.days)), str(len(p.evidence)),
                      "; ".join(p.reasons[:2]))
    _print(table)


# --- trajectory and stay points ----------------------------------------------------------------------


@click.command("trajectory")
@click.argument("plate")
@period_options
@click.option("--trip-gap", default="30m", show_default=True, help="A longer gap between reads starts a new trip.")
@click.option("--variants/--no-variants", default=None,
              help="Look up plates one misread away (default: only when the reads look misread).")
@json_option
@pass_context
def trajectory_command(ctx: Context, plate: str, start: str | None, end: str | None, trip_gap: str,
                       variants: bool | None, as_json: bool) -> None:
    """The plate's reads in time order, split into trips, with gaps and implied speeds.

    Example: pingan trajectory 苏N12345 --start 2026-03-01 --end 2026-03-07
    """
    from pingan.anpr.tactic_common import plate_arg, resolve_period
    from pingan.anpr.trajectory import TrajectoryQuery, trajectory

    norm = plate_arg(plate)
    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.trajectory")
        with audited(store, ctx.actor(), action="consultation", operation="anpr.trajectory",
                     params={"plate": norm, "start": start, "end": end}) as audit:
            period = resolve_period(store, start, end)
            audit.params.update(period.window.to_json())
            query = TrajectoryQuery(plate=norm, period=period, trip_gap=parse_duration(trip_gap, name="--trip-gap"),
                                    variants=variants)
            result = trajectory(store, query)
            audit.touched = len(result.reads)
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    for reason in result.reasons:
        click.echo(reason)
    doc = result.to_json()
    table = _table("trip", "time", "camera", "gap min", "km", "km/h", "")
    for r in doc["reads"]:
        table.add_row(str(r["trip"]), r["ts"], r["camera_id"], _fmt(r["gap_min"]), _fmt(r["km"], 2),
                      _fmt(r["kmh"]), "IMPOSSIBLE" if r["impossible"] else "")
    _print(table)


def _fmt(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@click.command("stay-points")
@click.argument("plate")
@period_options
@click.option("--min-dwell", default="1h", show_default=True, help="A stay is at least this long between trips.")
@click.option("--radius-km", type=float, default=1.0, show_default=True, help="Stays this close are one place.")
@top_option(None)
@json_option
@pass_context
def stay_points_command(ctx: Context, plate: str, start: str | None, end: str | None, min_dwell: str,
                        radius_km: float, top: int | None, as_json: bool) -> None:
    """Where the vehicle stays (trip ends with long dwells, overnight): likely home, workplace, hideouts,
    most important first.

    Example: pingan stay-points 苏N12345 --start 2026-03-01 --end 2026-03-31
    """
    from pingan.anpr.staypoints import StayQuery, stay_points
    from pingan.anpr.tactic_common import plate_arg, resolve_period

    norm = plate_arg(plate)
    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.stay_points")
        with audited(store, ctx.actor(), action="consultation", operation="anpr.stay_points",
                     params={"plate": norm, "start": start, "end": end}) as audit:
            period = resolve_period(store, start, end)
            audit.params.update(period.window.to_json())
            query = StayQuery(plate=norm, period=period, min_dwell=parse_duration(min_dwell, name="--min-dwell"),
                              radius_km=radius_km, top=top)
            result = stay_points(store, query)
            audit.touched = result.reads
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(result.reasons[0])
    table = _table("rank", "label", "lon", "lat", "visits", "hours", "nights", "arrives", "leaves", "cameras")
    for p in result.points:
        table.add_row(str(p.rank), p.label, f"{p.lon:.5f}", f"{p.lat:.5f}", str(p.visits), f"{p.dwell_hours:.1f}",
                      str(p.overnights), p.arrive_hhmm, p.leave_hhmm, ", ".join(p.cameras[:4]))
    _print(table)


# --- fleet patterns -----------------------------------------------------------------------------------


def _night_hours(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise BadInput(f"--night '{text}' is not a range of hours; write it like 22-5.") from None
    return a, b


@click.command("night-active")
@period_options
@click.option("--night", default="22-6", show_default=True, help="Night hours, local: START-END.")
@click.option("--min-reads", type=int, default=10, show_default=True, help="Vehicles with fewer reads are left out.")
@click.option("--min-nights", type=int, default=3, show_default=True, help="Active on at least this many nights.")
@click.option("--min-share", type=float, default=0.5, show_default=True,
              help="At least this share of the vehicle's reads at night.")
@click.option("--include-misreads", is_flag=True,
              help="Keep plates that look like misreads of a plate read far more often (left out by default).")
@top_option(50)
@json_option
@pass_context
def night_active_command(ctx: Context, start: str | None, end: str | None, night: str, min_reads: int,
                         min_nights: int, min_share: float, include_misreads: bool, top: int | None,
                         as_json: bool) -> None:
    """Vehicles whose activity concentrates at night (昼伏夜出), most marked first, scored against the
    city's normal night share.

    Example: pingan night-active --start 2026-03-01 --end 2026-03-31 --top 20
    """
    from pingan.anpr.patterns import NightQuery, night_active
    from pingan.anpr.tactic_common import resolve_period

    night_start, night_end = _night_hours(night)
    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.night_active")
        with audited(store, ctx.actor(), action="consultation", operation="anpr.night_active",
                     params={"start": start, "end": end, "night": night, "top": top}) as audit:
            period = resolve_period(store, start, end)
            audit.params.update(period.window.to_json())
            query = NightQuery(period=period, night_start=night_start, night_end=night_end, min_reads=min_reads,
                               min_nights=min_nights, min_share=min_share, include_misreads=include_misreads,
                               top=top)
            result = night_active(store, query)
            audit.touched = sum(v.reads for v in result.vehicles)
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(f"City night share ({query.label}): {result.city_night_share:.1%}; "
               f"{result.misreads_left_out} plate(s) left out as likely misreads of busier plates.")
    table = _table("rank", "plate", "night share", "reads", "nights", "score", "pattern")
    for v in result.vehicles:
        table.add_row(str(v.rank), v.plate, f"{v.night_share:.0%}", str(v.reads), str(v.nights), f"{v.score:.1f}",
                      v.pattern)
    _print(table)


@click.command("first-seen")
@period_options
@click.option("--lookback", default="30d", show_default=True, help="Never seen in this long before the period.")
@area_options
@click.option("--min-passes", type=int, default=2, show_default=True,
              help="Passes needed in the period (one stray read is usually a misread).")
@click.option("--min-days", type=int, default=1, show_default=True,
              help="Days seen in the period (2+ keeps newcomers who stay, not vehicles passing through).")
@top_option(100)
@json_option
@pass_context
def first_seen_command(ctx: Context, start: str | None, end: str | None, lookback: str, near: str | None,
                       radius_km: float, cameras: tuple[str, ...], min_passes: int, min_days: int, top: int | None,
                       as_json: bool) -> None:
    """Vehicles seen in the period that were never seen anywhere in the look-back before it (首次入城),
    optionally only those seen in an area; watchlisted ones first. Default period: the last day of data.

    Example: pingan first-seen --start 2026-03-10 --end 2026-03-11 --lookback 30d --near 118.80,32.05 --radius-km 2
    """
    from pingan.anpr.patterns import FirstSeenQuery, first_seen
    from pingan.anpr.tactic_common import resolve_period

    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.first_seen", default_days=1, lookback=parse_duration(lookback, name="--lookback"))
        with audited(store, ctx.actor(), action="consultation", operation="anpr.first_seen",
                     params={"start": start, "end": end, "lookback": lookback, "near": near}) as audit:
            period = resolve_period(store, start, end, default_days=1)
            area = resolve_area(store, near, radius_km, cameras)
            audit.params.update(period.window.to_json(), cameras=list(area or []))
            query = FirstSeenQuery(period=period, lookback=parse_duration(lookback, name="--lookback"), cameras=area,
                                   min_passes=min_passes, min_days=min_days, top=top)
            result = first_seen(store, query)
            audit.touched = result.vehicles_in_period
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(f"{len(result.vehicles)} newcomer(s) among {result.vehicles_in_period} vehicles seen.")
    table = _table("rank", "plate", "first seen", "passes", "cameras", "watchlist", "note")
    for v in result.vehicles:
        doc = v.to_json()
        w = doc["watchlist"]
        table.add_row(str(v.rank), v.plate, doc["first_seen"], str(v.passes), str(v.cameras),
                      f"{w['list']}:{w['person_id']} ({w['match']})" if w else "",
                      f"misread of {v.misread_of[0]}?" if v.misread_of else "")
    _print(table)


@click.command("loitering")
@period_options
@area_options
@click.option("--min-visits", type=int, default=3, show_default=True, help="Visits needed to be listed.")
@click.option("--visit-gap", default="30m", show_default=True, help="A longer absence ends a visit.")
@top_option(50)
@json_option
@pass_context
def loitering_command(ctx: Context, start: str | None, end: str | None, near: str | None, radius_km: float,
                      cameras: tuple[str, ...], min_visits: int, visit_gap: str, top: int | None,
                      as_json: bool) -> None:
    """Vehicles that keep coming back to an area (a school, a bank, a village) or circle within it.

    Example: pingan loitering --near 118.80,32.05 --radius-km 0.5 --start 2026-03-01 --end 2026-03-31
    """
    from pingan.anpr.patterns import LoiterQuery, loitering
    from pingan.anpr.tactic_common import resolve_period

    with ctx.store() as store:
        if near is None and not cameras:
            raise BadInput("loitering needs an area: give --near LON,LAT (with --radius-km) or --camera ID.")
        guard_old_reads(store, ctx, start, end, operation="anpr.loitering")
        with audited(store, ctx.actor(), action="consultation", operation="anpr.loitering",
                     params={"start": start, "end": end, "near": near}) as audit:
            period = resolve_period(store, start, end)
            area = resolve_area(store, near, radius_km, cameras) or ()
            audit.params.update(period.window.to_json(), cameras=list(area))
            query = LoiterQuery(period=period, cameras=area, min_visits=min_visits,
                                visit_gap=parse_duration(visit_gap, name="--visit-gap"), top=top)
            result = loitering(store, query)
            audit.touched = result.vehicles_seen
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(f"{result.vehicles_seen} vehicles seen by {len(area)} camera(s) of the area.")
    table = _table("rank", "plate", "visits", "days", "circling", "score", "why")
    for v in result.vehicles:
        table.add_row(str(v.rank), v.plate, str(v.visits), str(v.days), str(v.circling_visits), f"{v.score:.1f}",
                      "; ".join(v.reasons[1:]) or v.reasons[0])
    _print(table)


@click.command("plate-search")
@click.argument("pattern")
@period_options
@area_options
@click.option("--fuzzy", is_flag=True, help="Also match characters cameras confuse (8/B, 0/D, 2/Z …).")
@click.option("--max-cost", type=float, default=1.0, show_default=True, help="With --fuzzy: most misread cost.")
@top_option(100)
@json_option
@pass_context
def plate_search_command(ctx: Context, pattern: str, start: str | None, end: str | None, near: str | None,
                         radius_km: float, cameras: tuple[str, ...], fuzzy: bool, max_cost: float, top: int | None,
                         as_json: bool) -> None:
    """Plates seen in the period that fit a partial plate: ? (or _) is one unknown character, * (or %) any
    number. Quote the pattern so the shell leaves it alone.

    Example: pingan plate-search '苏N?23*' --start 2026-03-01 --end 2026-03-31 --fuzzy
    """
    from pingan.anpr.search import PlateSearchQuery, plate_search
    from pingan.anpr.tactic_common import resolve_period

    with ctx.store() as store:
        guard_old_reads(store, ctx, start, end, operation="anpr.plate_search")
        with audited(store, ctx.actor(), action="consultation", operation="anpr.plate_search",
                     params={"pattern": pattern, "start": start, "end": end, "fuzzy": fuzzy, "near": near}) as audit:
            period = resolve_period(store, start, end)
            area = resolve_area(store, near, radius_km, cameras)
            audit.params.update(period.window.to_json(), cameras=list(area or []))
            query = PlateSearchQuery(pattern=pattern, period=period, cameras=area, fuzzy=fuzzy, max_cost=max_cost,
                                     top=top)
            result = plate_search(store, query)
            audit.touched = sum(m.reads for m in result.matches)
    if as_json:
        emit_json(result.to_json())
        return
    _say_period(period)
    click.echo(f"{result.total} plate(s) fit {pattern}.")
    table = _table("rank", "plate", "match", "cost", "reads", "cameras", "first seen", "last seen")
    for m in result.matches:
        doc = m.to_json()
        table.add_row(str(m.rank), m.plate, doc["match"], f"{m.cost:g}", str(m.reads), str(m.cameras),
                      doc["first_seen"], doc["last_seen"])
    _print(table)


def day_range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """--start and --end as days (either may be absent); one sentence when they are not days or swapped."""
    def day_of(text: str | None, name: str) -> date | None:
        if text is None:
            return None
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise BadInput(f"{name} '{text}' is not a day; write it like 2026-03-01.") from None

    first, last = day_of(start, "--start"), day_of(end, "--end")
    if first and last and last < first:
        raise BadInput(f"--end {end} is before --start {start}; swap them.")
    return first, last


@click.command("time-index")
@click.option("--start", default=None, metavar="DAY", help="First day to index (default: the first day of data).")
@click.option("--end", default=None, metavar="DAY", help="Last day to index (default: the last day of data).")
@click.option("--rebuild", is_flag=True, help="Rebuild days that are already up to date too.")
@click.option("--drop", is_flag=True, help="Remove the index instead (all of it, or the days before --start).")
@json_option
@pass_context
def time_index_command(ctx: Context, start: str | None, end: str | None, rebuild: bool, drop: bool,
                       as_json: bool) -> None:
    """Build the time-ordered copy of the reads that makes companion searches fast (a day at a time;
    days already up to date are skipped). It holds the same personal data as the reads: retention must
    prune it too (--drop --start DAY removes the days before DAY).

    Example: pingan time-index --start 2026-03-01 --end 2026-03-31
    """
    from pingan.anpr.time_index import build_time_index, drop_time_index

    first, last = day_range(start, end)
    with ctx.store() as store:
        with audited(store, ctx.actor(), action="alteration", operation="anpr.time_index",
                     params={"start": start, "end": end, "rebuild": rebuild, "drop": drop},
                     needs_purpose=False) as audit:
            if drop:
                removed = drop_time_index(store, before=first)
                doc: dict[str, Any] = {"dropped_days": removed}
            else:
                report = build_time_index(store, first, last, rebuild=rebuild)
                audit.touched = report.reads
                doc = report.to_json()
    if as_json:
        emit_json(doc)
    elif drop:
        click.echo(f"Removed the time index for {doc['dropped_days']} day(s).")
    else:
        click.echo(f"Indexed {len(doc['built'])} day(s) ({doc['reads']:,} reads) in {doc['seconds']} s; "
                   f"{doc['already_fresh']} day(s) were already up to date.")


@click.command("summaries")
@click.option("--start", default=None, metavar="DAY", help="First day to summarise (default: the first day of data).")
@click.option("--end", default=None, metavar="DAY", help="Last day to summarise (default: the last day of data).")
@click.option("--rebuild", is_flag=True, help="Rebuild days that are already up to date too.")
@click.option("--drop", is_flag=True, help="Remove them instead (all of them, or the days before --start).")
@json_option
@pass_context
def summaries_command(ctx: Context, start: str | None, end: str | None, rebuild: bool, drop: bool,
                      as_json: bool) -> None:
    """Build the per-day summaries and the time index that make suspects fast (a day at a time; days
    already up to date are skipped). A reads import builds them for the days it touched; this rebuilds
    them, e.g. after an interrupted build. They hold personal data like the reads: retention prunes them
    too (--drop --start DAY removes the days before DAY).

    Example: pingan summaries --start 2026-03-01 --end 2026-03-31
    """
    from pingan.anpr.summaries import build_derived, drop_derived

    first, last = day_range(start, end)
    with ctx.store() as store:
        with audited(store, ctx.actor(), action="alteration", operation="anpr.summaries",
                     params={"start": start, "end": end, "rebuild": rebuild, "drop": drop},
                     needs_purpose=False) as audit:
            if drop:
                doc: dict[str, Any] = {"dropped": drop_derived(store, before=first)}
            else:
                report = build_derived(store, first, last, rebuild=rebuild)
                audit.touched = report.reads
                doc = report.to_json()
                text = report.summary()
    if as_json:
        emit_json(doc)
    elif drop:
        click.echo(f"Removed the summaries of {doc['dropped']['summary_days']} day(s) and the time index of "
                   f"{doc['dropped']['index_days']} day(s).")
    else:
        click.echo(text)


COMMANDS = [
    companions_command, cloned_command, trajectory_command, stay_points_command, night_active_command,
    first_seen_command, loitering_command, plate_search_command, time_index_command, summaries_command,
]


def register(cli: click.Group) -> None:
    for command in COMMANDS:
        cli.add_command(command)
