"""The force's indicators: exact figures on a tiny store, and each number's cases over the API."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from pingan.errors import BadInput
from pingan.kpi import KpiQuery, indicators, records
from pingan.store.db import Store
from pingan.timeutil import to_utc_naive
from tests.api.conftest import assert_error


def add_case(store: Store, case_id: str, category: str, reported: str, solved: str | None = None,
             status: str | None = None) -> None:
    when = to_utc_naive(datetime.fromisoformat(reported))
    store.con.execute(
        "INSERT INTO cases (case_id, category, lon, lat, start_ts, end_ts, status, reported_at, solved_at) "
        "VALUES (?, ?, 118.8, 32.0, ?, ?, ?, ?, ?)",
        [case_id, category, when - timedelta(hours=2), when - timedelta(hours=1), status, when,
         to_utc_naive(datetime.fromisoformat(solved)) if solved else None])


@pytest.fixture
def small(store: Store) -> Store:
    # this period (the 28 days to 2026-03-10): 4 cases, 2 solved (in 2 and 6 days), 1 solved by status only
    add_case(store, "A1", "burglary", "2026-03-02 10:00", solved="2026-03-04 10:00")
    add_case(store, "A2", "burglary", "2026-03-03 10:00", solved="2026-03-09 10:00")
    add_case(store, "A3", "theft", "2026-03-09 10:00", status="solved")
    add_case(store, "A4", "theft", "2026-02-20 10:00")
    # the same 28 days a year (52 weeks) earlier: 2 cases
    add_case(store, "B1", "burglary", "2025-03-04 10:00")
    add_case(store, "B2", "theft", "2025-02-25 10:00")
    for i in range(8):
        store.con.execute("INSERT INTO officers (officer_id, name) VALUES (?, ?)", [f"O{i}", f"officer {i}"])
    return store


QUERY = KpiQuery(as_of=to_utc_naive(datetime(2026, 3, 10, 12, 0)), period=timedelta(days=28), weeks=3)


def test_indicators_on_a_small_force(small: Store) -> None:
    doc = indicators(small, QUERY).to_json()
    yoy = {y["category"]: y for y in doc["year_on_year"]}
    assert yoy["all"]["current"]["value"] == 4 and yoy["all"]["previous"]["value"] == 2
    assert yoy["all"]["change_pct"] == 100.0
    assert yoy["burglary"]["change_pct"] == 100.0 and yoy["theft"]["change_pct"] == 100.0
    assert doc["clearance_rate"]["all"]["value"] == 0.75  # A1, A2 by time, A3 by status
    assert doc["median_days_to_solve"]["all"]["value"] == 4.0  # 2 and 6 days; A3 has no time
    assert doc["officers"] == 8 and doc["cases_per_100_officers"]["value"] == 50.0
    weeks = {w["week"]: w for w in doc["cases_by_week"]}
    assert list(weeks) == ["2026-02-23", "2026-03-02", "2026-03-09"]
    assert weeks["2026-03-02"]["by_category"]["burglary"]["value"] == 2
    assert weeks["2026-03-09"]["total"]["value"] == 1


def test_every_number_links_to_its_cases(small: Store) -> None:
    doc = indicators(small, QUERY).to_json()
    yoy = {y["category"]: y for y in doc["year_on_year"]}
    assert records(small, yoy["all"]["current"]["ref"], QUERY) == ["A4", "A1", "A2", "A3"]
    assert records(small, yoy["all"]["previous"]["ref"], QUERY) == ["B2", "B1"]
    assert records(small, doc["clearance_rate"]["all"]["ref"], QUERY) == ["A1", "A2", "A3"]
    assert records(small, doc["median_days_to_solve"]["all"]["ref"], QUERY) == ["A1", "A2"]
    weeks = {w["week"]: w for w in doc["cases_by_week"]}
    assert records(small, weeks["2026-03-02"]["by_category"]["burglary"]["ref"], QUERY) == ["A1", "A2"]
    for figure in (yoy["theft"]["current"], doc["clearance_rate"]["burglary"], weeks["2026-03-09"]["total"]):
        assert len(records(small, figure["ref"], QUERY)) == figure["cases"]


def test_no_officers_and_no_cases_say_none(store: Store) -> None:
    doc = indicators(store, QUERY).to_json()
    assert doc["cases_per_100_officers"]["value"] is None
    assert doc["clearance_rate"]["all"]["value"] is None and doc["year_on_year"][0]["change_pct"] is None


@pytest.mark.parametrize("ref", ["", "week=", "color=red", "week=2026-03-02|period=current", "period=later",
                                 "week=someday"])
def test_a_bad_ref_is_one_sentence(small: Store, ref: str) -> None:
    with pytest.raises(BadInput):
        records(small, ref, QUERY)


def test_kpi_route_and_its_records(client: TestClient, auditor: dict[str, str], analyst: dict[str, str]) -> None:
    doc = client.get("/api/kpi?period=365d&weeks=13", headers=auditor).json()
    assert len(doc["cases_by_week"]) == 13 and doc["officers"] == 12
    assert set(doc["categories"]) == {"burglary", "theft", "fraud", "assault", "vehicle_crime"}
    figure = doc["clearance_rate"]["all"]
    page = client.get("/api/kpi/records", headers=analyst,
                      params={"ref": figure["ref"], "as_of": doc["as_of"], "period": "365d", "limit": 5}).json()
    assert page["total"] == figure["cases"] and len(page["cases"]) == 5
    assert all(c["solved_at"] or c["status"] == "solved" for c in page["cases"])
    # an auditor sees the figures but not the cases behind them (cases.read)
    assert_error(client.get("/api/kpi/records", headers=auditor, params={"ref": figure["ref"]}), 403, "forbidden")


def test_kpi_bad_input(client: TestClient, analyst: dict[str, str]) -> None:
    assert "period" in assert_error(client.get("/api/kpi?period=forever", headers=analyst), 422, "bad_input")
    assert_error(client.get("/api/kpi?weeks=0", headers=analyst), 422, "bad_input")
    assert_error(client.get("/api/kpi/records?ref=nonsense", headers=analyst), 422, "bad_input")
    assert_error(client.get("/api/kpi/records", headers=analyst), 422, "bad_input")
