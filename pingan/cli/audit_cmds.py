"""``pingan audit``: check the audit chain."""

from __future__ import annotations

import click

from pingan.cli.common import Context, emit_json, json_option, pass_context
from pingan.errors import PinganError
from pingan.governance.audit import entries, record, verify
from pingan.governance.roles import require


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
    """Check that no audit entry was edited, removed or reordered (the check itself is recorded).

    Example: pingan audit verify
    """
    with ctx.store() as store:
        result = verify(store)
        record(store, ctx.actor(purpose="audit verification"), action="consultation", operation="audit.verify",
               params={"intact": result.ok, "first_bad_seq": result.first_bad_seq},
               outcome="ok" if result.ok else "failed", touched=result.entries)
    if as_json:
        emit_json({"ok": result.ok, "entries": result.entries, "first_bad_seq": result.first_bad_seq,
                   "problem": result.problem})
    if not result.ok:
        raise AuditBroken(f"The audit chain is broken: {result.problem}.")
    if not as_json:
        click.echo(f"The audit chain is intact: {result.entries} entries.")


@audit_group.command("export")
@click.option("--recipient", required=True, help="Who receives the export (recorded).")
@pass_context
def export_command(ctx: Context, recipient: str) -> None:
    """Write the whole audit log as JSON lines to standard output (auditors only; itself audited).

    Example: pingan --user wang.auditor audit export --recipient "inspectorate" > audit.jsonl
    """
    import json

    with ctx.store() as store:
        actor = ctx.actor(purpose=f"audit export for {recipient}", store=store)
        try:
            require(actor.role, "audit.read", user=actor.user)
        except PinganError:
            record(store, actor, action="disclosure", operation="audit.export", params={"recipient": recipient},
                   outcome="refused")
            raise
        rows = list(entries(store))
        record(store, actor, action="disclosure", operation="audit.export", params={"recipient": recipient},
               touched=len(rows))
    for e in rows:
        click.echo(json.dumps({"seq": e.seq, "at_utc": e.at_utc.isoformat(timespec="milliseconds"), "user": e.user_name,
                               "role": e.role, "action": e.action, "operation": e.operation, "purpose": e.purpose,
                               "params": e.params, "outcome": e.outcome, "touched": e.touched,
                               "prev_hash": e.prev_hash, "hash": e.hash}, ensure_ascii=False))


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
