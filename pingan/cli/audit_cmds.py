"""``pingan audit``: check the audit chain."""

from __future__ import annotations

import click

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.errors import PinganError
from pingan.governance.audit import verify


class AuditBroken(PinganError):
    status = 409
    code = "audit_broken"


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@json_option
@pass_context
def verify_command(ctx: Context, as_json: bool) -> None:
    """Check that no audit entry was edited, removed or reordered.

    Example: pingan audit verify
    """
    with ctx.store() as store:
        result = verify(store)
    if as_json:
        emit_json({"ok": result.ok, "entries": result.entries, "first_bad_seq": result.first_bad_seq,
                   "problem": result.problem})
    if not result.ok:
        raise AuditBroken(f"The audit chain is broken: {result.problem}.")
    if not as_json:
        click.echo(f"The audit chain is intact: {result.entries} entries.")


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
