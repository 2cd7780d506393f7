"""The grids and disputes commands: thin over the library, audited, one JSON document on --json, one
sentence on a user error, an example in every help."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

try:
    from pingan.cli.common import make_context
    from pingan.cli.grids_cmds import disputes_group, grids_group, register
except ImportError as exc:  # pingan.cli loads every capability's commands; one may be mid-build
    pytest.skip(f"pingan.cli does not load yet ({exc})", allow_module_level=True)
from pingan.errors import BadInput, PurposeRequired
from pingan.governance.audit import entries
from pingan.store.db import open_store
from tests.grids.helpers import add_cases, add_grid, add_police_row, box_km, centre_of


@click.group()
@click.option("--db", default=None)
@click.option("--user", default="officer7")
@click.option("--purpose", default=None)
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str, purpose: str | None) -> None:
    """The root group as pingan builds it, with only the grids commands (other capabilities may be
    mid-build in the same tree)."""
    ctx.obj = make_context(db, user, purpose)


register(cli)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "pingan.duckdb"
    with open_store(path) as store:
        add_police_row(store, 10)
        add_grid(store, "G1", box_km(0.6, 0.1, 1.9, 0.9), "governance", population=900)
        add_cases(store, 3, "robbery", "2026-03-05 10:00", n=4)
        add_cases(store, 6, "theft", "2026-03-05 10:00", n=2)
    return path


def run(db: Path, *args: str, purpose: str | None = None) -> Result:
    argv = ["--db", str(db), *(["--purpose", purpose] if purpose else []), *args]
    result = CliRunner().invoke(cli, argv, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_grade_show_and_history_as_json(db: Path) -> None:
    graded = json.loads(run(db, "grids", "grade", "--as-of", "2026-03-10", "--json").output)
    assert graded["counts"] == {"red": 1, "yellow": 1, "green": 8}
    assert graded["grids"][0]["grid_id"] == "P04" and graded["grids"][0]["colour"] == "red"
    assert graded["as_of"] == "2026-03-10T00:00:00+08:00"
    shown = json.loads(run(db, "grids", "show", "--colour", "red", "--json").output)
    assert [g["grid_id"] for g in shown["grids"]] == ["P04"]
    hist = json.loads(run(db, "grids", "history", "P04", "--json").output)
    assert hist["gradings"][0]["reasons"][0] == "first grading: red"
    with open_store(db) as store:
        ops = [(e.operation, e.outcome, e.touched) for e in entries(store)]
    assert ops == [("grids.grade", "ok", 10), ("grids.show", "ok", 10), ("grids.history", "ok", 1)]


def test_a_series_is_graded_in_one_command(db: Path) -> None:
    doc = json.loads(run(db, "grids", "grade", "--from", "2026-02-16", "--as-of", "2026-03-16", "--every", "7d",
                         "--rule", "thresholds", "--red", "20", "--yellow", "5", "--json").output)
    assert [s["as_of"][:10] for s in doc["series"]] == ["2026-02-16", "2026-02-23", "2026-03-02", "2026-03-09",
                                                         "2026-03-16"]
    assert doc["policy"]["rule"] == {"name": "thresholds", "red": 20.0, "yellow": 5.0}
    text = run(db, "grids", "history", "P04", "--changes").output
    assert "first grading" in text


def test_tables_are_rendered_without_json(db: Path) -> None:
    out = run(db, "grids", "grade", "--as-of", "2026-03-10").output
    assert out.startswith("Graded 10 police grids") and "P04" in out
    assert "Fused 1 of 1 governance grids" in run(db, "grids", "fuse").output
    assert "P02" in run(db, "grids", "locate", *map(str, centre_of(1))).output
    assert "now owns 2 police grids" in run(db, "grids", "assign", "O1", "P01", "P02", "--name", "Wang").output
    assert "O1" in run(db, "grids", "officers").output


def test_disputes_workflow_through_the_cli(db: Path) -> None:
    lon, lat = centre_of(2)
    added = json.loads(run(db, "disputes", "add", "--lon", str(lon), "--lat", str(lat), "--level", "high",
                           "--party", "P1", "--party", "P2", "--opened-at", "2026-03-01T09:00", "--json").output)
    assert (added["dispute_id"], added["grid_id"], added["status"]) == ("D000001", "P03", "open")
    moved = run(db, "disputes", "move", "D000001", "mediating", "--at", "2026-03-02T09:00", "--note", "met").output
    assert "mediating" in moved and "open → mediating (met) by officer7" in moved
    listed = json.loads(run(db, "disputes", "list", "--status", "unresolved", "--json", purpose="review").output)
    assert [d["dispute_id"] for d in listed["disputes"]] == ["D000001"]
    with open_store(db) as store:
        last = [(e.operation, e.purpose) for e in entries(store)]
    assert last == [("disputes.add", "dispute registration"), ("disputes.move", "dispute D000001"),
                    ("disputes.list", "review")]


def test_reading_disputes_needs_a_purpose(db: Path) -> None:
    with pytest.raises(PurposeRequired, match="needs a purpose"):
        CliRunner().invoke(cli, ["--db", str(db), "disputes", "list"], catch_exceptions=False)


def test_a_bad_move_is_one_sentence(db: Path) -> None:
    run(db, "disputes", "add", "--grid", "P01", "--level", "low", "--opened-at", "2026-03-01")
    run(db, "disputes", "move", "D000001", "resolved", "--at", "2026-03-02")
    with pytest.raises(BadInput, match="resolved is final"):
        CliRunner().invoke(cli, ["--db", str(db), "disputes", "move", "D000001", "mediating"], catch_exceptions=False)


def test_every_command_has_an_example() -> None:
    commands = [grids_group, disputes_group, *grids_group.commands.values(), *disputes_group.commands.values()]
    for command in commands:
        assert command.help and command.help.strip().splitlines()[-1].strip().startswith("Example: pingan "), \
            command.name


def test_a_user_error_is_one_sentence_through_the_real_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pingan.cli import main

    status = main(["--db", str(db), "grids", "grade", "--as-of", "next tuesday"])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err
    assert err.startswith("pingan: The --as-of 'next tuesday' is not an ISO 8601 time")
    status = main(["--db", str(db), "grids", "history", "P99"])
    assert status == 2 and capsys.readouterr().err.startswith("pingan: There is no grid 'P99'")
