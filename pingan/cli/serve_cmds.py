"""``pingan serve``: the REST API and the workbench."""

from __future__ import annotations

import click

from pingan.cli.common import Context, pass_context


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@pass_context
def serve_command(ctx: Context, host: str, port: int) -> None:
    """Serve the REST API and the workbench on the store.

    Example: pingan --db demo/pingan.duckdb serve --port 8000
    """
    from pingan.api.server import serve

    serve(ctx.db, host=host, port=port)


def register(cli: click.Group) -> None:
    cli.add_command(serve_command)
