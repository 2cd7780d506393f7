"""Meta-tests over the command line: every command is classified in one table, and every command that
touches data, run on a small county, leaves an audit entry naming the user, their role and what it did."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pingan.cli import cli
from pingan.governance.surface import COMMAND_TABLE, COMMANDS, CommandAccess
from pingan.store.db import open_store
from tests.api.county import LAST_DAY, OFFENDER, USERS, build_store, lonlat
from tests.cli.test_cli_docs import all_commands
from tests.security.conftest import entries_after, last_seq
from tests.store.helpers import CAMERAS, write_csv

PASSPHRASE = "a long enough passphrase\n"


def test_every_command_is_in_the_command_table() -> None:
    names = {path for path, _ in all_commands(cli)}
    assert names - set(COMMAND_TABLE) == set(), "classify the command in pingan.governance.surface.COMMANDS"
    assert set(COMMAND_TABLE) - names == set(), "the table names commands that do not exist"


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli-county")
    db = build_store(folder)
    cams = write_csv(folder, "cameras.csv", [{**c, "camera_id": "X" + c["camera_id"]} for c in CAMERAS])
    disputes = write_csv(folder, "disputes.csv", [{"dispute_id": "DX1", "lon": lonlat(-1, -1)[0],
                                                   "lat": lonlat(-1, -1)[1], "level": "low", "status": "open",
                                                   "opened_at": f"{LAST_DAY:%Y-%m-%d} 10:00"}])
    return {"db": db, "folder": folder, "cameras": cams, "disputes": disputes}


DAY = f"{LAST_DAY:%Y-%m-%d}"
NEXT_WEEK = f"{LAST_DAY + timedelta(days=7):%Y-%m-%d}"
LON, LAT = (f"{v:.5f}" for v in lonlat(-1, -1))

#: How to run each command that touches data: global options, then the command; optional stdin and the
#: store that receives the audit entry (``restore`` and ``demo`` write to a store of their own). In the
#: order they run (users are added before they are changed; a backup exists before it is restored).
RUNS: dict[str, dict[str, Any]] = {
    "import": {"args": ["import", "cameras", "{cameras}", "--json"]},
    "imports": {"args": ["imports", "--json"]},
    "rejects": {"args": ["rejects", "--json"]},
    "suspects": {"args": ["suspects", "C001", "--top", "3", "--json"]},
    "collide": {"args": ["collide", "C001", "C002", "--json"]},
    "companions": {"args": ["--purpose", "C001", "companions", OFFENDER, "--json"]},
    "cloned": {"args": ["--purpose", "C001", "cloned", "--json"]},
    "trajectory": {"args": ["--purpose", "C001", "trajectory", OFFENDER, "--json"]},
    "stay-points": {"args": ["--purpose", "C001", "stay-points", OFFENDER, "--json"]},
    "night-active": {"args": ["--purpose", "C001", "night-active", "--min-reads", "3", "--json"]},
    "first-seen": {"args": ["--purpose", "C001", "first-seen", "--json"]},
    "loitering": {"args": ["--purpose", "C001", "loitering", "--camera", "K22", "--json"]},
    "plate-search": {"args": ["--purpose", "C001", "plate-search", "苏A1*", "--json"]},
    "time-index": {"args": ["time-index", "--json"]},
    "summaries": {"args": ["summaries", "--json"]},
    "forecast": {"args": ["forecast", "--as-of", DAY, "--top", "3", "--json"]},
    "grids grade": {"args": ["grids", "grade", "--as-of", NEXT_WEEK, "--json"]},
    "grids show": {"args": ["grids", "show", "--json"]},
    "grids history": {"args": ["grids", "history", "G00", "--json"]},
    "grids fuse": {"args": ["grids", "fuse", "--json"]},
    "grids locate": {"args": ["grids", "locate", LON, LAT, "--json"]},
    "grids officers": {"args": ["grids", "officers", "--json"]},
    "grids assign": {"args": ["grids", "assign", "O1", "G00", "--json"]},
    "disputes add": {"args": ["disputes", "add", "--grid", "G00", "--level", "low", "--party", "P9", "--json"]},
    "disputes move": {"args": ["disputes", "move", "D001", "mediating", "--json"]},
    "disputes show": {"args": ["disputes", "show", "D001", "--json"]},
    "disputes list": {"args": ["--purpose", "weekly review", "disputes", "list", "--json"]},
    "disputes import": {"args": ["disputes", "import", "{disputes}", "--json"]},
    "disputes place": {"args": ["disputes", "place", "--json"]},
    "audit verify": {"args": ["audit", "verify"]},
    "audit export": {"args": ["--user", "aud", "audit", "export", "--recipient", "inspectorate"]},
    "users add": {"args": ["--user", "adm", "users", "add", "newbie", "--role", "officer", "--password-stdin"],
                  "input": PASSPHRASE},
    "users list": {"args": ["--user", "adm", "users", "list", "--json"]},
    "users role": {"args": ["--user", "adm", "users", "role", "newbie", "analyst"]},
    "users disable": {"args": ["--user", "adm", "users", "disable", "newbie"]},
    "users passwd": {"args": ["--user", "adm", "users", "passwd", "newbie", "--password-stdin"], "input": PASSPHRASE},
    "authorise": {"args": ["--user", "sup", "authorise", "--for", "C001 review", "--json"]},
    "retention run": {"args": ["--user", "adm", "retention", "run", "--dry-run", "--json"]},
    "retention hold": {"args": ["--user", "adm", "retention", "hold", "C001", "--reason", "in court"]},
    "backup": {"args": ["backup", "{folder}/backup"]},
    "restore": {"args": ["--db", "{folder}/restored.duckdb", "restore", "{folder}/backup"],
                "store": "{folder}/restored.duckdb"},
    "demo": {"args": ["demo", "--dir", "{folder}/demo", "--vehicles", "200", "--days", "2", "--no-serve"],
             "store": "{folder}/demo/pingan.duckdb"},
}


def test_every_command_that_touches_data_has_a_run() -> None:
    touching = {c.path for c in COMMANDS if c.touches != "none"}
    assert touching - set(RUNS) == set(), "add a run of the command to RUNS"
    assert set(RUNS) - touching == set()


def run(county: dict[str, Path], args: list[str], stdin: str | None = None) -> Any:
    fill = {k: str(v) for k, v in county.items()}
    argv = [a.format(**fill) for a in args]
    if "--db" not in argv:
        argv = ["--db", str(county["db"]), *argv]
    env = {"PINGAN_USER": "ana", "PINGAN_PURPOSE": None}
    return CliRunner().invoke(cli, argv, input=stdin, env=env, catch_exceptions=True)


@pytest.mark.parametrize("command", [c for c in sorted(COMMANDS, key=lambda c: list(RUNS).index(c.path)
                                                       if c.path in RUNS else -1) if c.touches != "none"],
                         ids=lambda c: c.path)
def test_every_command_that_touches_data_is_audited(county: dict[str, Path], command: CommandAccess) -> None:
    spec = RUNS[command.path]
    target = Path(spec.get("store", "{db}").format(**{k: str(v) for k, v in county.items()}))
    before = 0
    if target.exists():
        with open_store(target) as store:
            before = last_seq(store)
    result = run(county, spec["args"], spec.get("input"))
    assert result.exception is None and result.exit_code == 0, (result.output, result.exception)
    with open_store(target) as store:
        new = entries_after(store, before)
    wanted = (command.action, (command.operation or "").format(kind="cameras"), "ok")
    assert wanted in {(e["action"], e["operation"], e["outcome"]) for e in new}, (command.path, new)
    if command.path != "demo":  # the demo imports as the operator, who has no account in the new store
        args = spec["args"]
        user = args[args.index("--user") + 1] if "--user" in args else "ana"
        mine = [e for e in new if e["operation"] == wanted[1]][-1]
        assert (mine["user"], mine["role"]) == (user, USERS[user]), mine


def test_a_command_on_personal_data_without_a_purpose_fails_in_one_sentence_and_is_audited(
        county: dict[str, Path]) -> None:
    with open_store(county["db"]) as store:
        before = last_seq(store)
    result = run(county, ["trajectory", OFFENDER])
    assert result.exit_code != 0 and "purpose" in str(result.exception)
    with open_store(county["db"]) as store:
        assert [(e["operation"], e["outcome"]) for e in entries_after(store, before)] == [("anpr.trajectory",
                                                                                           "refused")]


def test_the_audit_export_is_for_auditors_only_and_a_refusal_is_recorded(county: dict[str, Path]) -> None:
    with open_store(county["db"]) as store:
        before = last_seq(store)
    result = run(county, ["--user", "ana", "audit", "export", "--recipient", "someone"])
    assert result.exit_code != 0 and "audit.read" in str(result.exception)
    with open_store(county["db"]) as store:
        got = [(e["user"], e["operation"], e["outcome"]) for e in entries_after(store, before)]
    assert got == [("ana", "audit.export", "refused")]


def test_old_reads_need_a_supervisors_authorisation(county: dict[str, Path]) -> None:
    """A query reaching past 90 days is refused (and audited) without a live authorisation reference."""
    start = (LAST_DAY - timedelta(days=200)).date().isoformat()
    args = ["--purpose", "C001", "trajectory", OFFENDER, "--start", start]
    with open_store(county["db"]) as store:
        before = last_seq(store)
    refused = run(county, args)
    assert refused.exit_code != 0 and "authorisation" in str(refused.exception)
    with open_store(county["db"]) as store:
        assert entries_after(store, before)[-1]["outcome"] == "refused"
    granted = run(county, ["--user", "sup", "authorise", "--for", "C001 old movements", "--json"])
    ref = __import__("json").loads(granted.output)["ref"]
    allowed = run(county, [*args, "--authorisation", ref])
    assert allowed.exit_code == 0, allowed.output

