"""The dispute workflow: registration in a grid, valid and invalid moves, the event history, and open
disputes raising their grid's score."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pingan.errors import BadInput, Conflict, NotFound
from pingan.grids import disputes
from pingan.grids.disputes import NewDispute, import_disputes, move, open_at, register
from pingan.grids.grading import grade
from pingan.grids.policy import GradingPolicy, Thresholds
from pingan.store.db import Store
from tests.grids.helpers import add_police_row, centre_of, local, point_km


@pytest.fixture
def two_grids(store: Store) -> Store:
    add_police_row(store, 2)
    return store


def new(grid: int = 0, level: str = "high", when: str = "2026-03-01 09:00", **kw: object) -> NewDispute:
    lon, lat = centre_of(grid)
    return NewDispute(level=level, opened_at=local(when), parties=("P1", "P2"), lon=lon, lat=lat,
                      category="neighbours", **kw)  # type: ignore[arg-type]


def test_a_registered_dispute_is_open_in_the_grid_that_holds_it(two_grids: Store) -> None:
    d = register(two_grids, new(grid=1), user="officer7")
    assert (d.dispute_id, d.status, d.grid_id, d.parties) == ("D000001", "open", "P02", ("P1", "P2"))
    assert [(e.seq, e.from_status, e.to_status, e.user) for e in d.events] == [(1, None, "open", "officer7")]
    assert register(two_grids, new()).dispute_id == "D000002"


def test_a_dispute_can_be_registered_by_grid_alone_but_not_in_a_grid_that_disagrees(two_grids: Store) -> None:
    d = register(two_grids, NewDispute(level="low", opened_at=local("2026-03-01"), grid_id="P02"))
    assert d.grid_id == "P02"
    with pytest.raises(BadInput, match="lies in grid P01, not in P02"):
        register(two_grids, new(grid=0, grid_id="P02"))
    with pytest.raises(NotFound, match="no police grid 'P07'"):
        register(two_grids, NewDispute(level="low", opened_at=local("2026-03-01"), grid_id="P07"))


def test_the_workflow_moves_and_keeps_every_event(two_grids: Store) -> None:
    d = register(two_grids, new())
    move(two_grids, d.dispute_id, "mediating", at=local("2026-03-02 10:00"), note="first meeting", user="o7")
    move(two_grids, d.dispute_id, "escalated", at=local("2026-03-05 10:00"), note="to the township")
    move(two_grids, d.dispute_id, "mediating", at=local("2026-03-09 10:00"), note="handed back")
    done = move(two_grids, d.dispute_id, "resolved", at=local("2026-03-12 10:00"))
    assert done.status == "resolved" and done.closed_at == local("2026-03-12 10:00")
    assert [(e.from_status, e.to_status) for e in done.events] == [
        (None, "open"), ("open", "mediating"), ("mediating", "escalated"), ("escalated", "mediating"),
        ("mediating", "resolved")]
    assert done.events[1].note == "first meeting" and done.events[1].user == "o7"
    assert done.to_json()["allowed_next"] == []


def test_an_invalid_move_names_the_moves_allowed(two_grids: Store) -> None:
    d = register(two_grids, new())
    with pytest.raises(BadInput, match=r"cannot move to open; from open it can move to one of "
                                       r"\['mediating', 'resolved', 'escalated'\]"):
        move(two_grids, d.dispute_id, "open")
    move(two_grids, d.dispute_id, "resolved", at=local("2026-03-02"))
    with pytest.raises(BadInput, match="resolved is final; register a new dispute"):
        move(two_grids, d.dispute_id, "mediating")
    with pytest.raises(BadInput, match="use one of"):
        move(two_grids, d.dispute_id, "closed")
    with pytest.raises(NotFound, match="no dispute 'D9'"):
        move(two_grids, "D9", "resolved")


def test_a_move_cannot_go_back_in_time(two_grids: Store) -> None:
    d = register(two_grids, new(when="2026-03-05 09:00"))
    with pytest.raises(BadInput, match="a move must come after that"):
        move(two_grids, d.dispute_id, "mediating", at=local("2026-03-04"))


def test_parties_are_pseudonymous_and_inputs_are_checked(two_grids: Store) -> None:
    for party in ("张三", "13812345678", "32010219800101123X", "Li Wei"):
        with pytest.raises(BadInput, match="not a pseudonymous id"):
            register(two_grids, replace(new(), parties=(party,)))
    with pytest.raises(BadInput, match=r"use one of \['low', 'medium', 'high'\]"):
        register(two_grids, new(level="urgent"))
    register(two_grids, new(dispute_id="X1"))
    with pytest.raises(Conflict, match="already registered"):
        register(two_grids, new(dispute_id="X1"))


def test_open_disputes_follow_their_status_at_the_date(two_grids: Store) -> None:
    d = register(two_grids, new(when="2026-03-01 09:00"))
    move(two_grids, d.dispute_id, "resolved", at=local("2026-03-10 09:00"))
    assert open_at(two_grids, local("2026-02-28")).ids == []
    assert open_at(two_grids, local("2026-03-05")).ids == [d.dispute_id]
    assert open_at(two_grids, local("2026-03-11")).ids == []


def test_open_disputes_raise_the_grid_score(two_grids: Store) -> None:
    policy = GradingPolicy(rule=Thresholds(red=10, yellow=3))
    before = {g.grid_id: g for g in grade(two_grids, local("2026-03-02"), policy).grades}
    assert before["P01"].score == 0
    register(two_grids, new(grid=0, level="high", when="2026-03-03"))
    esc = register(two_grids, new(grid=0, level="medium", when="2026-03-03"))
    move(two_grids, esc.dispute_id, "escalated", at=local("2026-03-04"))
    after = {g.grid_id: g for g in grade(two_grids, local("2026-03-09"), policy).grades}
    assert after["P01"].components["disputes"] == {"points": 7.0, "count": 2, "by_level": {"high": 1, "medium": 1},
                                                   "escalated": 1}
    assert after["P01"].score == 7.0 and after["P02"].score == 0
    assert "2 unresolved disputes: 1 high-level, 1 medium-level (1 escalated)" in after["P01"].reasons


def test_a_file_of_disputes_is_imported_once_with_bad_rows_set_aside(two_grids: Store, tmp_path: Path) -> None:
    lon, lat = centre_of(1)
    far = point_km(30, 30)
    path = tmp_path / "disputes.csv"
    path.write_text(
        "dispute_id,lon,lat,level,opened_at,status,closed_at,parties,category,extra\n"
        f"J1,{lon},{lat},high,2026-03-01T09:00,open,,P1;P2,land,x\n"
        f"J2,{lon},{lat},low,2026-03-01T09:00,resolved,2026-03-04T10:00,P3,debt,\n"
        f"J3,{lon},{lat},severe,2026-03-01T09:00,open,,P4,debt,\n"
        f"J4,{lon},{lat},low,2026-03-01T09:00,resolved,,P5,debt,\n"
        f"J5,{lon},{lat},low,yesterday,open,,P5,debt,\n"
        f"J6,{far[0]},{far[1]},medium,2026-03-02T09:00,mediating,2026-03-03T09:00,P6,debt,\n"
        f",{lon},{lat},medium,2026-03-02T09:00,open,,张三,debt,\n",
        encoding="utf-8")
    report = import_disputes(two_grids, path, user="clerk")
    assert (report.rows_total, report.accepted, len(report.set_aside), report.outside_grids) == (7, 3, 4, 1)
    assert [n for n, _ in report.set_aside] == [3, 4, 5, 7]
    assert "dispute level 'severe' is not known" in report.set_aside[0][1]
    again = import_disputes(two_grids, path)
    assert (again.accepted, again.already_stored) == (0, 3)
    j2 = disputes.get(two_grids, "J2")
    assert j2.status == "resolved" and [e.to_status for e in j2.events] == ["open", "resolved"]
    assert disputes.get(two_grids, "J1").grid_id == "P02" and disputes.get(two_grids, "J6").grid_id is None
    stored = two_grids.con.execute("SELECT count(*) FROM set_aside WHERE batch_id = ?", [report.batch_id]).fetchone()
    assert stored == (4,)
    assert [d.dispute_id for d in disputes.list_disputes(two_grids, status="unresolved")] == ["J6", "J1"]


def test_disputes_written_without_events_take_their_dates_from_the_row(two_grids: Store) -> None:
    lon, lat = centre_of(0)
    rows = [("R1", "resolved", "2026-03-05"), ("E1", "escalated", "2026-03-05"), ("M1", "mediating", None),
            ("R2", "resolved", None)]
    for dispute_id, status, closed in rows:
        two_grids.con.execute(
            "INSERT INTO disputes (dispute_id, lon, lat, level, status, opened_at, closed_at) "
            "VALUES (?, ?, ?, 'low', ?, ?, ?)",
            [dispute_id, lon, lat, status, local("2026-03-01"), local(closed) if closed else None])
    early, late = open_at(two_grids, local("2026-03-03")), open_at(two_grids, local("2026-03-08"))
    assert dict(zip(early.ids, early.status, strict=True)) == {"R1": "open", "E1": "open", "M1": "mediating"}
    assert dict(zip(late.ids, late.status, strict=True)) == {"E1": "escalated", "M1": "mediating"}
