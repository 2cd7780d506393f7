"""Meta-tests: every command is documented with an example, and the CLI loads every capability."""

from __future__ import annotations

import click

from pingan.cli import COMMAND_MODULES, COMMANDS_BY_MODULE, cli, load_all


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += all_commands(command, path + " ")
        else:
            found.append((path, command))
    return found


def test_every_command_module_loads() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(name)


def test_each_module_adds_the_commands_the_lazy_group_expects_of_it() -> None:
    import importlib

    for name, expected in COMMANDS_BY_MODULE.items():
        group = click.Group()
        importlib.import_module(name).register(group)
        assert tuple(sorted(group.commands)) == tuple(sorted(expected)), name


def test_a_command_loads_only_its_own_module() -> None:
    import subprocess
    import sys

    probe = ("import sys; from pingan.cli import main; main(['suspects', '--help']); "
             "print(sorted(m for m in sys.modules if m.startswith('pingan.cli.') and m.endswith('_cmds')))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "['pingan.cli.anpr_cmds']"


def test_every_command_has_help_ending_with_an_example() -> None:
    load_all()
    undocumented = [path for path, command in all_commands(cli)
                    if not command.help or "Example:" not in command.help.strip().splitlines()[-1]]
    assert undocumented == []


def test_the_contract_commands_exist() -> None:
    load_all()
    names = {path for path, _ in all_commands(cli)}
    assert {"import", "suspects", "collide", "companions", "cloned", "trajectory", "stay-points",
            "night-active", "forecast"} <= names
