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

#: Modules that add commands to the group, one capability each, and the commands each adds (a test checks
#: this against what the modules register). A command imports only its own module: loading all of them
#: (the simulator, the forecasting models, SciPy) cost 1.4 s before ``pingan suspects`` began its query.
COMMANDS_BY_MODULE: dict[str, tuple[str, ...]] = {
    "pingan.cli.store_cmds": ("import", "imports", "rejects"),
    "pingan.cli.sim_cmds": ("demo", "simulate"),
    "pingan.cli.serve_cmds": ("serve",),
    "pingan.cli.audit_cmds": ("audit",),
    "pingan.cli.users_cmds": ("users",),
    "pingan.cli.governance_cmds": ("authorise", "backup", "restore", "retention"),
    "pingan.cli.grids_cmds": ("disputes", "grids"),
    "pingan.cli.anpr_cmds": ("collide", "suspects"),
    "pingan.cli.tactics_cmds": ("cloned", "companions", "first-seen", "loitering", "night-active", "plate-search",
                                "stay-points", "summaries", "time-index", "trajectory"),
    "pingan.cli.forecast_cmds": ("forecast",),
}
COMMAND_MODULES = list(COMMANDS_BY_MODULE)
_MODULE_OF = {command: module for module, commands in COMMANDS_BY_MODULE.items() for command in commands}
_loaded: set[str] = set()


class _LazyGroup(click.Group):
    """The top-level group: a command's module is imported when that command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(_MODULE_OF))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _MODULE_OF:
            load_module(_MODULE_OF[cmd_name])
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def load_module(name: str) -> None:
    """Add the commands of one of COMMAND_MODULES to the group (once)."""
    if name not in _loaded:
        _loaded.add(name)
        importlib.import_module(name).register(cli)


def load_all() -> None:
    """Add every command (the tests and the documentation walk them all)."""
    for name in COMMAND_MODULES:
        load_module(name)


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
