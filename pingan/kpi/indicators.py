"""The force's indicators, computed from the cases table and the officers, each number with its records.

Indicators (local time, weeks start on Monday):

- **cases by week and category**: cases reported in each of the last ``weeks`` weeks, per category;
- **year-on-year change**: cases reported in the period against the same period 52 weeks earlier
  (52 weeks, not 365 days, so that weekdays line up), per category and in all;
- **clearance rate**: the share of the period's cases that are solved (``solved_at`` set, or a status
  that says solved) by ``as_of``;
- **time to solve**: median days from report to solution of the period's solved cases;
- **cases per 100 officers**: the period's cases for every hundred officers on the force.

A case's report time is ``reported_at`` when given, else the start of its offence window. Every number
carries a ``ref``: :func:`records` turns a ref back into the case ids behind the number, so each figure
on the dashboard links to its cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from pingan.errors import BadInput
from pingan.store.db import Store
from pingan.timeutil import iso_local, to_local, to_utc_naive

#: Statuses that mean solved when ``solved_at`` is missing (English and Chinese vocabularies).
SOLVED_STATUSES = frozenset({"solved", "cleared", "closed", "detected", "破案", "已破", "已侦破", "结案", "已结案"})
YEAR = timedelta(weeks=52)
MAX_WEEKS = 520


@dataclass(frozen=True)
class KpiQuery:
    """Which period the indicators describe."""

    as_of: datetime | None = None  # naive UTC; None: the latest report time in the store
    period: timedelta = timedelta(days=365)
    weeks: int = 26
    category: str | None = None

    def __post_init__(self) -> None:
        if not timedelta(days=1) <= self.period <= timedelta(days=3660):
            raise BadInput(f"The period was {self.period} but must be between 1 day and 10 years.")
        if not 1 <= self.weeks <= MAX_WEEKS:
            raise BadInput(f"weeks was {self.weeks} but must be between 1 and {MAX_WEEKS}.")


@dataclass
class Figure:
    """One number on the dashboard and the ref of the cases behind it."""

    value: float | int | None
    ref: str
    count: int

    def to_json(self) -> dict[str, Any]:
        value = round(self.value, 4) if isinstance(self.value, float) else self.value
        return {"value": value, "ref": self.ref, "cases": self.count}


@dataclass
class Indicators:
    as_of: datetime
    period: timedelta
    categories: list[str]
    weeks: list[dict[str, Any]]
    year_on_year: list[dict[str, Any]]
    clearance: dict[str, Figure]
    time_to_solve_days: dict[str, Figure]
    per_100_officers: Figure
    officers: int
    totals: dict[str, Figure] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "as_of": iso_local(self.as_of),
            "period_days": self.period.total_seconds() / 86400,
            "period": {"start": iso_local(self.as_of - self.period), "end": iso_local(self.as_of)},
            "categories": self.categories,
            "cases_by_week": self.weeks,
            "year_on_year": self.year_on_year,
            "clearance_rate": {k: v.to_json() for k, v in self.clearance.items()},
            "median_days_to_solve": {k: v.to_json() for k, v in self.time_to_solve_days.items()},
            "officers": self.officers,
            "cases_per_100_officers": self.per_100_officers.to_json(),
            "totals": {k: v.to_json() for k, v in self.totals.items()},
        }


def load_cases(store: Store, category: str | None = None) -> pd.DataFrame:
    """case_id, category, status, reported (naive UTC), solved (naive UTC or NaT), solved_flag."""
    sql = ("SELECT case_id, category, status, coalesce(reported_at, start_ts) AS reported, solved_at AS solved "
           "FROM cases")
    params: list[Any] = []
    if category is not None:
        sql += " WHERE category = ?"
        params.append(category)
    frame = store.con.execute(sql + " ORDER BY reported, case_id", params).df()
    frame["reported"] = pd.to_datetime(frame["reported"])
    frame["solved"] = pd.to_datetime(frame["solved"])
    return frame


def latest_report(store: Store) -> datetime | None:
    row = store.con.execute("SELECT max(coalesce(reported_at, start_ts)) FROM cases").fetchone()
    return row[0] if row and row[0] is not None else None


def _resolve_as_of(store: Store, query: KpiQuery) -> datetime:
    if query.as_of is not None:
        return query.as_of
    latest = latest_report(store)
    if latest is None:
        return datetime.now().replace(microsecond=0)
    return latest + timedelta(seconds=1)


def _week_start(local_day: date) -> date:
    return local_day - timedelta(days=local_day.weekday())


def _is_solved(cases: pd.DataFrame, as_of: datetime) -> pd.Series:
    by_time = cases["solved"].notna() & (cases["solved"] <= pd.Timestamp(as_of))
    by_status = cases["solved"].isna() & cases["status"].fillna("").str.strip().str.lower().isin(SOLVED_STATUSES)
    return by_time | by_status


def _in(cases: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """Cases reported in (start, end]."""
    return cases[(cases["reported"] > pd.Timestamp(start)) & (cases["reported"] <= pd.Timestamp(end))]


def _ids(frame: pd.DataFrame) -> list[str]:
    return frame["case_id"].tolist()


def officer_count(store: Store) -> int:
    row = store.con.execute("SELECT count(*) FROM officers").fetchone()
    return int(row[0]) if row else 0


def indicators(store: Store, query: KpiQuery | None = None) -> Indicators:
    """The force's indicators for the period ending ``as_of``, each number with the ref of its cases."""
    query = query or KpiQuery()
    as_of = _resolve_as_of(store, query)
    cases = load_cases(store, query.category)
    categories = sorted(cases["category"].dropna().unique().tolist())
    cat_suffix = f"|cat={query.category}" if query.category else ""

    # Cases per local week, per category.
    local_as_of = to_local(as_of).date()
    last_week = _week_start(local_as_of)
    weeks = []
    for i in range(query.weeks - 1, -1, -1):
        monday = last_week - timedelta(weeks=i)
        start = to_utc_naive(datetime.combine(monday, datetime.min.time())) - timedelta(microseconds=1)
        end = min(to_utc_naive(datetime.combine(monday + timedelta(days=7), datetime.min.time()))
                  - timedelta(microseconds=1), as_of)
        in_week = _in(cases, start, end)
        counts = in_week["category"].value_counts()
        weeks.append({
            "week": monday.isoformat(),
            "total": Figure(int(len(in_week)), f"week={monday.isoformat()}{cat_suffix}", int(len(in_week))).to_json(),
            "by_category": {c: Figure(int(counts.get(c, 0)), f"week={monday.isoformat()}|cat={c}",
                                      int(counts.get(c, 0))).to_json() for c in categories},
        })

    start = as_of - query.period
    current = _in(cases, start, as_of)
    previous = _in(cases, start - YEAR, as_of - YEAR)
    yoy = []
    for cat in [None, *categories]:
        cur = current if cat is None else current[current["category"] == cat]
        prev = previous if cat is None else previous[previous["category"] == cat]
        suffix = f"|cat={cat}" if cat else cat_suffix
        change = (len(cur) - len(prev)) / len(prev) * 100 if len(prev) else None
        yoy.append({
            "category": cat or "all",
            "current": Figure(len(cur), f"period=current{suffix}", len(cur)).to_json(),
            "previous": Figure(len(prev), f"period=previous{suffix}", len(prev)).to_json(),
            "change_pct": round(change, 1) if change is not None else None,
        })

    solved = current[_is_solved(current, as_of)]
    clearance: dict[str, Figure] = {}
    to_solve: dict[str, Figure] = {}
    for cat in [None, *categories]:
        key = cat or "all"
        suffix = f"|cat={cat}" if cat else cat_suffix
        cur = current if cat is None else current[current["category"] == cat]
        sol = solved if cat is None else solved[solved["category"] == cat]
        rate = len(sol) / len(cur) if len(cur) else None
        clearance[key] = Figure(rate, f"period=current|solved=1{suffix}", len(sol))
        timed = sol[sol["solved"].notna()]
        days = ((timed["solved"] - timed["reported"]).dt.total_seconds() / 86400).clip(lower=0)
        median = float(days.median()) if len(days) else None
        to_solve[key] = Figure(median, f"period=current|solved=1|timed=1{suffix}", int(len(days)))

    officers = officer_count(store)
    per_100 = Figure(len(current) / officers * 100 if officers else None, f"period=current{cat_suffix}", len(current))
    totals = {"cases": Figure(len(current), f"period=current{cat_suffix}", len(current)),
              "solved": Figure(len(solved), f"period=current|solved=1{cat_suffix}", len(solved))}
    return Indicators(as_of, query.period, categories, weeks, yoy, clearance, to_solve, per_100, officers, totals)


def parse_ref(ref: str) -> dict[str, str]:
    """A ref like ``week=2026-03-02|cat=burglary`` as its parts; one clear sentence when it is not one."""
    allowed = {"week", "cat", "period", "solved", "timed"}
    parts: dict[str, str] = {}
    for item in ref.split("|"):
        key, sep, value = item.partition("=")
        if not sep or key not in allowed or not value:
            raise BadInput(f"The ref '{ref}' is not an indicator reference; use one given by the indicators, "
                           "like 'week=2026-03-02|cat=burglary' or 'period=current|solved=1'.")
        parts[key] = value
    if ("week" in parts) == ("period" in parts):
        raise BadInput(f"The ref '{ref}' must name either a week or a period (current or previous).")
    if parts.get("period", "current") not in ("current", "previous"):
        raise BadInput(f"The period in ref '{ref}' was {parts['period']!r} but must be 'current' or 'previous'.")
    return parts


def records(store: Store, ref: str, query: KpiQuery | None = None) -> list[str]:
    """The case ids behind one number of :func:`indicators` (same query), in report order."""
    query = query or KpiQuery()
    parts = parse_ref(ref)
    as_of = _resolve_as_of(store, query)
    cases = load_cases(store, parts.get("cat") or query.category)
    if "week" in parts:
        try:
            monday = date.fromisoformat(parts["week"])
        except ValueError:
            raise BadInput(f"The week in ref '{ref}' is not a date like 2026-03-02.") from None
        start = to_utc_naive(datetime.combine(monday, datetime.min.time())) - timedelta(microseconds=1)
        end = min(to_utc_naive(datetime.combine(monday + timedelta(days=7), datetime.min.time()))
                  - timedelta(microseconds=1), as_of)
        return _ids(_in(cases, start, end))
    shift = YEAR if parts["period"] == "previous" else timedelta(0)
    chosen = _in(cases, as_of - query.period - shift, as_of - shift)
    if parts.get("solved") == "1":
        chosen = chosen[_is_solved(chosen, as_of)]
    if parts.get("timed") == "1":
        chosen = chosen[chosen["solved"].notna()]
    return _ids(chosen)
