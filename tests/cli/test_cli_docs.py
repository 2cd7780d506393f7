"""Meta-tests: every command is documented with an example, and the CLI loads every capability."""

from __future__ import annotations

import click

from pingan.cli import COMMAND_MODULES, cli


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


def test_every_command_has_help_ending_with_an_example() -> None:
    undocumented = [path for path, command in all_commands(cli)
                    if not command.help or "Example:" not in command.help.strip().splitlines()[-1]]
    assert undocumented == []


def test_the_contract_commands_exist() -> None:
    names = {path for path, _ in all_commands(cli)}
    assert {"import", "suspects", "collide", "companions", "cloned", "trajectory", "stay-points",
            "night-active", "forecast"} <= names
