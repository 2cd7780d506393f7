"""The tactics commands: thin over the library, audited, JSON on --json, one sentence on a user error."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

try:
    from pingan.cli.common import make_context
    from pingan.cli.tactics_cmds import COMMANDS, register
except ImportError as exc:  # pingan.cli loads every capability's commands; one may be mid-build
    pytest.skip(f"pingan.cli does not load yet ({exc})", allow_module_level=True)
from pingan.governance.audit import Actor, entries
from pingan.governance.purpose import authorise
from pingan.governance.users import create_user
from pingan.store.db import Store, open_store
from tests.anpr.tactics_helpers import ReadBatch, make_camera


@click.group()
@click.option("--db", default=None)
@click.option("--user", default="analyst")
@click.option("--purpose", default=None)
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str, purpose: str | None) -> None:
    """The root group as pingan builds it, with only the tactics commands (other capabilities may be
    mid-build in the same tree)."""
    ctx.obj = make_context(db, user, purpose)


register(cli)


@pytest.fixture(autouse=True)
def no_purpose_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PINGAN_PURPOSE", raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "pingan.duckdb"
    with open_store(path) as store:
        fill(store)
        # the reads are older than 90 days: the commands need a supervisor's authorisation
        create_user(store, "zhang", "supervisor", "a long enough passphrase")
        ref = authorise(store, Actor("zhang", "supervisor"), "tactics tests")
    (tmp_path / "ref").write_text(ref)
    return path


def fill(store: Store) -> None:
    for i, cam in enumerate(["W1", "W2", "W3"]):
        make_camera(store, cam, km_east=2.0 * i)
    for i, cam in enumerate(["E1", "E2", "E3"]):
        make_camera(store, cam, km_east=40.0 + 2.0 * i)
    with ReadBatch(store) as b:
        for d in range(2, 9):
            b.drive("苏A12345", ["W1", "W2", "W3"], f"2026-03-{d:02d} 08:00")
            b.drive("苏E77777", ["W1", "W2", "W3"], f"2026-03-{d:02d} 08:00:20")
            b.drive("苏A12345", ["W3", "W2", "W1"], f"2026-03-{d:02d} 18:00")
            b.drive("苏N00001", ["E1", "E2"], f"2026-03-{d:02d} 23:10")
            b.drive("苏N00001", ["E2", "E1"], f"2026-03-{d:02d} 02:10")
        b.drive("苏A12345", ["E1", "E2", "E3"], "2026-03-05 08:02")  # the clone


def run(db: Path, *args: str, purpose: str | None = "case C1") -> click.testing.Result:
    base = ["--db", str(db)] + (["--purpose", purpose] if purpose else [])
    ref = ["--authorisation", (db.parent / "ref").read_text()] if args and args[0] != "time-index" else []
    return CliRunner().invoke(cli, [*base, *args, *ref], catch_exceptions=False)


@pytest.mark.parametrize("args", [
    ["companions", "苏A12345", "--min-score", "0"],
    ["cloned", "--start", "2026-03-01", "--end", "2026-03-09"],
    ["trajectory", "苏A12345"],
    ["stay-points", "苏A12345"],
    ["night-active", "--min-reads", "5"],
    ["first-seen", "--lookback", "1d"],
    ["loitering", "--camera", "E1", "--min-visits", "2"],
    ["plate-search", "苏A?2345"],
    ["time-index"],
])
def test_every_command_writes_one_json_document_and_is_audited(db: Path, args: list[str]) -> None:
    result = run(db, *args, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert isinstance(doc, dict)
    with open_store(db) as store:
        last = list(entries(store))[-1]
    assert last.operation == "anpr." + args[0].replace("-", "_")
    assert last.purpose == "case C1" and last.outcome == "ok"
    assert last.action == ("alteration" if args[0] == "time-index" else "consultation")


def test_contract_shapes(db: Path) -> None:
    comp = json.loads(run(db, "companions", "苏A12345", "--min-score", "0", "--json").output)
    assert comp["plate"] == "苏A12345" and comp["companions"][0]["plate"] == "苏E77777"
    clone = json.loads(run(db, "cloned", "--start", "2026-03-01", "--end", "2026-03-09", "--json").output)
    assert clone["plates"][0]["plate"] == "苏A12345"
    assert {"a", "b", "km", "minutes", "kmh"} <= set(clone["plates"][0]["evidence"][0])
    traj = json.loads(run(db, "trajectory", "苏A·12345", "--json").output)
    assert traj["plate"] == "苏A12345" and traj["trips"][0]["reads"] == 3
    night = json.loads(run(db, "night-active", "--min-reads", "5", "--json").output)
    assert night["vehicles"][0]["plate"] == "苏N00001"


def test_without_a_period_the_last_30_days_of_data_are_used_and_said(db: Path) -> None:
    doc = json.loads(run(db, "trajectory", "苏A12345", "--json").output)
    assert doc["period"]["defaulted"] is True
    assert "last 30 day(s) of data" in doc["period"]["note"]
    text = run(db, "trajectory", "苏A12345").output
    assert "no --start/--end given" in text


def test_without_a_purpose_the_command_is_refused(db: Path) -> None:
    from pingan.errors import PurposeRequired

    with pytest.raises(PurposeRequired, match="needs a purpose"):
        run(db, "companions", "苏A12345", purpose=None)
    with open_store(db) as store:
        assert list(entries(store))[-1].outcome == "refused"


def test_tables_are_rendered_without_json(db: Path) -> None:
    out = run(db, "cloned", "--start", "2026-03-01", "--end", "2026-03-09").output
    assert "苏A12345" in out and "impossible move" in out


def test_every_command_has_an_example() -> None:
    for command in COMMANDS:
        assert command.help and command.help.strip().splitlines()[-1].strip().startswith("Example: pingan "), command.name


def test_a_user_error_is_one_sentence_through_the_real_cli(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from pingan.cli import main

    status = main(["--db", str(db), "--purpose", "x", "companions", "苏A12345", "--within", "soon"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("pingan: The --within 'soon' is not a duration") and "Traceback" not in err


def test_companions_give_the_same_answer_with_the_time_index(db: Path) -> None:
    before = json.loads(run(db, "companions", "苏A12345", "--min-score", "0", "--json").output)
    built = json.loads(run(db, "time-index", "--json").output)
    assert len(built["built"]) == 7
    again = json.loads(run(db, "time-index", "--json").output)
    assert again["built"] == [] and again["already_fresh"] == 7
    after = json.loads(run(db, "companions", "苏A12345", "--min-score", "0", "--json").output)
    assert after["companions"] == before["companions"]
    with open_store(db) as store:  # a day with new reads is read from the reads table until rebuilt
        from pingan.anpr.time_index import fresh_days
        from datetime import date

        make_camera(store, "W9", km_east=1)
        with ReadBatch(store) as b:
            b.read("苏A99999", "W9", "2026-03-04 12:00")
        assert date(2026, 3, 4) not in fresh_days(store, date(2026, 3, 2), date(2026, 3, 8))
    assert json.loads(run(db, "time-index", "--drop", "--json").output)["dropped_days"] == 7


def test_the_purpose_is_asked_for_before_anything_else(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from pingan.cli import main

    empty = tmp_path / "empty.duckdb"
    status = main(["--db", str(empty), "trajectory", "苏A12345"])
    assert status == 2
    assert "needs a purpose" in capsys.readouterr().err
