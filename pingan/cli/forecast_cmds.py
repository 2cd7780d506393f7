"""``pingan forecast``: expected crime per square cell for a horizon, from earlier cases only."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.errors import BadInput
from pingan.forecast.core import forecast
from pingan.forecast.models import MODELS
from pingan.forecast.store_cases import cases_frame
from pingan.governance.audit import audited
from pingan.timeutil import parse_time


@click.command("forecast")
@click.option("--as-of", "as_of", required=True, help="Forecast from this time (ISO 8601; local time without offset).")
@click.option("--horizon", default="7d", show_default=True, help="How far ahead: 24h, 7d, 2w …")
@click.option("--cell-m", type=float, default=250.0, show_default=True, help="Cell side in metres.")
@click.option("--category", default=None, help="Only cases of this category.")
@click.option("--model", type=click.Choice(["default", *sorted(MODELS)]), default="default", show_default=True)
@click.option("--top", type=int, default=None, help="Only the N highest cells (default: every cell of the study area).")
@json_option
@pass_context
def forecast_command(ctx: Context, as_of: str, horizon: str, cell_m: float, category: str | None, model: str,
                     top: int | None, as_json: bool) -> None:
    """Expected crime per square cell for the horizon after --as-of, best first, using only earlier cases.

    Example: pingan forecast --as-of 2026-03-01 --horizon 7d --cell-m 250
    """
    if not cell_m > 0:
        raise BadInput(f"--cell-m must be more than 0, not {cell_m}.")
    when = parse_time(as_of, name="--as-of")
    with ctx.store() as store:
        with audited(store, ctx.actor(purpose="forecast", store=store), action="consultation",
                     operation="forecast", params={"as_of": as_of, "horizon": horizon, "cell_m": cell_m,
                                                   "category": category, "model": model},
                     needs_purpose=False) as audit:
            cases = cases_frame(store, category)
            if cases.empty:
                raise BadInput("There are no cases to forecast from; import cases first (pingan import cases FILE).")
            result = forecast(cases, when, horizon=horizon, cell_m=cell_m, category=None, model=model)
            audit.touched = int((cases["start"] < when).sum())
    document = result.to_dict()
    if top is not None:
        document["cells"] = document["cells"][:top]
    if as_json:
        emit_json(document)
        return
    click.echo(f"Forecast as of {document['as_of']} for {horizon}, {cell_m:g} m cells, model {document.get('model')}: "
               f"{len(result.cells)} cells in the study area.")
    table = Table("rank", "cell", "score", "bbox")
    for cell in document["cells"][: top or 20]:
        table.add_row(str(cell["rank"]), cell["cell_id"], f"{cell['score']:.4f}",
                      ", ".join(f"{v:.5f}" for v in cell["bbox"]))
    Console().print(table)


def register(cli: click.Group) -> None:
    cli.add_command(forecast_command)
