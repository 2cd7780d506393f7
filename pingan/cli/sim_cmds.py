"""``pingan simulate`` and ``pingan demo``: a synthetic county, and the one-command demo."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import click

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.governance.audit import Actor, audited, audited_import, record
from pingan.store.db import Store, open_store

#: Files of a simulated county in the order they must be imported (reads need cameras first).
DEMO_FILES = [
    ("cameras", "cameras.csv"),
    ("grids", "grids.geojson"),
    ("officers", "officers.csv"),
    ("watchlist", "watchlist.csv"),
    ("cases", "cases.csv"),
    ("disputes", "disputes.csv"),
    ("reads", "reads.parquet"),
]


@click.command("simulate")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--vehicles", type=int, default=20_000, show_default=True, help="Vehicles registered in the county.")
@click.option("--days", type=int, default=14, show_default=True, help="Days of traffic.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: the same seed makes the same county.")
@click.option("--misread-rate", type=float, default=0.03, show_default=True, help="Share of reads with one character misread.")
@click.option("--reads-format", type=click.Choice(["parquet", "csv", "both"]), default="parquet", show_default=True)
@click.option("--core-network", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="An OSMnx GraphML street network to use as the dense urban core.")
@json_option
def simulate_command(out_dir: Path, vehicles: int, days: int, seed: int, misread_rate: float,
                     reads_format: str, core_network: Path | None, as_json: bool) -> None:
    """Write a synthetic county to OUT_DIR in the contract formats, with its answer key.

    Example: pingan simulate county --vehicles 20000 --days 14 --seed 1
    """
    from pingan.sim import SimConfig, simulate

    config = SimConfig(vehicles=vehicles, days=days, seed=seed, misread_rate=misread_rate,
                       reads_format=reads_format, core_network=core_network)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = simulate(out_dir, config)
    summary = result.to_dict() if hasattr(result, "to_dict") else {"out_dir": str(out_dir)}
    if as_json:
        emit_json(summary)
    else:
        click.echo(f"Simulated county written to {out_dir}: " + ", ".join(f"{k} {v}" for k, v in summary.items()
                                                                        if isinstance(v, int | float)))


def load_county(ctx: Context, county: Path, db: Path) -> None:
    """Import every file of a simulated county into the store at ``db``."""
    with open_store(db) as store:
        actor = ctx.actor(purpose="demo county")
        for kind, name in DEMO_FILES:
            path = county / name
            if not path.exists():
                continue
            report = audited_import(store, actor, kind, path, user=actor.user)
            click.echo(report.summary())
            if kind == "reads":
                from pingan.cli.store_cmds import after_reads_import

                derived = after_reads_import(store, actor, report)
                if derived is not None:
                    click.echo(derived.summary())
        prepare_grids(store, actor)


def prepare_grids(store: Store, actor: Actor) -> None:
    """Place disputes in police grids and grade the grids weekly over the county's cases."""
    from pingan.grids.disputes import place_all
    from pingan.grids.grading import grade_series, series_dates

    if not store.con.execute("SELECT count(*) FROM grids WHERE level = 'police'").fetchone()[0]:
        return
    place_all(store)
    first, last = store.con.execute("SELECT min(start_ts), max(start_ts) FROM cases").fetchone()
    if first is None:
        return
    start = max(first + timedelta(days=28), last - timedelta(days=84))
    with audited(store, actor, action="alteration", operation="grids.grade", params={"series": "weekly"},
                 needs_purpose=False) as audit:
        gradings = grade_series(store, series_dates(start, last, timedelta(days=7)), user=actor.user)
        audit.touched = len(gradings)
    click.echo(f"Graded the police grids {len(gradings)} times, weekly up to {last:%Y-%m-%d}.")


@click.command("demo")
@click.option("--dir", "demo_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("demo"),
              show_default=True, help="Where the demo county and its store are kept.")
@click.option("--vehicles", type=int, default=20_000, show_default=True)
@click.option("--days", type=int, default=14, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--no-serve", is_flag=True, help="Build the demo store and stop.")
@pass_context
def demo_command(ctx: Context, demo_dir: Path, vehicles: int, days: int, seed: int, host: str, port: int,
                 no_serve: bool) -> None:
    """Build a demo county (simulate, import) and serve the workbench on it.

    Example: pingan demo --port 8000
    """
    from pingan.anpr.vehicle_day_files import rename_store
    from pingan.sim import SimConfig, simulate

    county, db = demo_dir / "county", demo_dir / "pingan.duckdb"
    if not db.exists():
        started = time.perf_counter()
        click.echo(f"Simulating a demo county ({vehicles} vehicles, {days} days) in {county} …")
        county.mkdir(parents=True, exist_ok=True)
        # The demo county ends yesterday, so its reads are recent enough to query without an authorisation.
        start = date.today() - timedelta(days=days)
        simulate(county, SimConfig(vehicles=vehicles, days=days, seed=seed, start_date=start))
        partial = db.with_suffix(".partial.duckdb")
        partial.unlink(missing_ok=True)
        load_county(ctx, county, partial)
        rename_store(partial, db)  # a half-built demo store is never mistaken for a finished one
        click.echo(f"Demo store ready in {time.perf_counter() - started:.0f} s: {db}")
    user, password = demo_account(db, demo_dir / "credentials.txt")
    click.echo(f"Log in to the workbench as {user} with password {password} (kept in {demo_dir}/credentials.txt).")
    if no_serve:
        return
    from pingan.api.server import serve

    serve(db, host=host, port=port)


def demo_account(db: Path, credentials: Path) -> tuple[str, str]:
    """The demo's analyst account: created once with a random password (no default passwords)."""
    import secrets

    from pingan.governance.users import create_user, set_password

    user = "demo"
    password = credentials.read_text(encoding="utf-8").split()[1] if credentials.exists() else None
    with open_store(db) as store:
        exists = store.con.execute("SELECT 1 FROM users WHERE user_name = ?", [user]).fetchone()
        if exists and password:
            return user, password
        password = secrets.token_urlsafe(12)
        if exists:
            set_password(store, user, password)
        else:
            create_user(store, user, "analyst", password)
        record(store, Actor("pingan demo"), action="permission", operation="users.passwd" if exists else "users.add",
               params={"user": user, "role": "analyst"})
    credentials.write_text(f"{user} {password}\n", encoding="utf-8")
    credentials.chmod(0o600)
    return user, password


def register(cli: click.Group) -> None:
    cli.add_command(simulate_command)
    cli.add_command(demo_command)
