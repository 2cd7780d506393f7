"""The ``pingan`` command line: thin commands over the library.

Each command parses its options, opens the store, calls the library and renders the answer. A user
error (:class:`pingan.errors.PinganError`) becomes one sentence on standard error and exit status 2;
never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from pingan import __version__
from pingan.cli.common import make_context
from pingan.errors import PinganError

#: Modules that add commands to the group, one capability each.
COMMAND_MODULES = [
    "pingan.cli.store_cmds",
    "pingan.cli.sim_cmds",
    "pingan.cli.serve_cmds",
    "pingan.cli.audit_cmds",
    "pingan.cli.users_cmds",
    "pingan.cli.governance_cmds",
    "pingan.cli.grids_cmds",
    "pingan.cli.anpr_cmds",
    "pingan.cli.tactics_cmds",
    "pingan.cli.forecast_cmds",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="pingan")
@click.option("--db", envvar="PINGAN_DB", default=None, metavar="PATH",
              help="The store (a DuckDB file). Default: $PINGAN_DB, else ./pingan.duckdb.")
@click.option("--user", envvar="PINGAN_USER", default=None, help="Who is asking (recorded in the audit log).")
@click.option("--purpose", envvar="PINGAN_PURPOSE", default=None,
              help="Why: a case id or a written purpose (recorded in the audit log).")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None, purpose: str | None) -> None:
    """平安 pingan: crime analysis for a city police force, on its own machines.

    Example: pingan import reads reads.parquet
    """
    ctx.obj = make_context(db, user, purpose)


def _load_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(cli)


_load_commands()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors become one sentence and a non-zero exit status."""
    try:
        cli.main(args=argv, prog_name="pingan", standalone_mode=False)
    except PinganError as exc:
        click.echo(f"pingan: {exc.message}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("pingan: aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("pingan: interrupted; nothing half-stored (imports are atomic).", err=True)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
