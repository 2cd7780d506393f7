"""``pingan users``: accounts and roles (run on the server by an administrator)."""

from __future__ import annotations

import sys

import click

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.governance.audit import record
from pingan.governance.roles import Role
from pingan.governance.users import create_user, list_users, set_disabled, set_password, set_role


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@click.group("users")
def users_group() -> None:
    """Manage accounts and roles. There are no default accounts."""


@users_group.command("add")
@click.argument("user_name")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def add_command(ctx: Context, user_name: str, role: str, password_stdin: bool) -> None:
    """Create an account with a role.

    Example: pingan users add li.wei --role analyst
    """
    password = _read_password(password_stdin)
    with ctx.store() as store:
        with store.atomic():
            user = create_user(store, user_name, role, password)
            record(store, ctx.actor(), action="permission", operation="users.add",
                   params={"user": user.user_name, "role": user.role.value})
    click.echo(f"Created {user.user_name} ({user.role.value}).")


@users_group.command("list")
@json_option
@pass_context
def list_command(ctx: Context, as_json: bool) -> None:
    """List accounts and their roles.

    Example: pingan users list
    """
    with ctx.store() as store:
        users = list_users(store)
        record(store, ctx.actor(purpose="account review"), action="consultation", operation="users.list",
               touched=len(users))
    if as_json:
        emit_json({"users": [{"user": u.user_name, "role": u.role.value, "disabled": u.disabled} for u in users]})
        return
    for u in users:
        click.echo(f"{u.user_name}\t{u.role.value}" + ("\tdisabled" if u.disabled else ""))


@users_group.command("role")
@click.argument("user_name")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@pass_context
def role_command(ctx: Context, user_name: str, role: str) -> None:
    """Change an account's role.

    Example: pingan users role li.wei supervisor
    """
    with ctx.store() as store:
        with store.atomic():
            user = set_role(store, user_name, role)
            record(store, ctx.actor(), action="permission", operation="users.role",
                   params={"user": user_name, "role": role})
    click.echo(f"{user.user_name} is now {user.role.value}.")


@users_group.command("disable")
@click.argument("user_name")
@click.option("--enable", is_flag=True, help="Enable the account again.")
@pass_context
def disable_command(ctx: Context, user_name: str, enable: bool) -> None:
    """Disable (or enable) an account; its sessions end at once.

    Example: pingan users disable li.wei
    """
    with ctx.store() as store:
        with store.atomic():
            set_disabled(store, user_name, not enable)
            record(store, ctx.actor(), action="permission", operation="users.disable",
                   params={"user": user_name, "disabled": not enable})
    click.echo(f"{user_name} is {'enabled' if enable else 'disabled'}.")


@users_group.command("passwd")
@click.argument("user_name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def passwd_command(ctx: Context, user_name: str, password_stdin: bool) -> None:
    """Set an account's password; its sessions end at once.

    Example: pingan users passwd li.wei
    """
    password = _read_password(password_stdin)
    with ctx.store() as store:
        with store.atomic():
            set_password(store, user_name, password)
            record(store, ctx.actor(), action="permission", operation="users.passwd", params={"user": user_name})
    click.echo(f"Password changed for {user_name}.")


def register(cli: click.Group) -> None:
    cli.add_command(users_group)
