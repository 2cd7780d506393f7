"""The importers' fast paths give exactly what the slow, obvious ones give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pingan.plates import SEPARATORS, normalise, normalise_sql
from pingan.store.importers import clock
from pingan.store.importers.plate_map import normalise_arrow

PLATE_CHARS = st.sampled_from(
    list("苏皖鲁京沪浙粤ABCDEFGHJKLMNPQRSTUVWXYZabcdefghxyz0123456789IO")
    + list(SEPARATORS)
    + [chr(c) for c in range(0xFF01, 0xFF5F)]
    + list("ßéΩж㐀丽挂学警")
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(PLATE_CHARS, max_size=12), st.text(max_size=8)), min_size=1, max_size=30))
def test_arrow_normalisation_is_pingan_normalisation(raws: list[str]) -> None:
    assert normalise_arrow(pa.array(raws, pa.string())).to_pylist() == [normalise(r) for r in raws]


def test_arrow_normalisation_agrees_with_the_sql_expression() -> None:
    raws = ["苏N12345", "苏N·12345", "苏 N 12345", "苏Ｎ１２３４５", "苏n12345", "苏ND12345", " · ", "",
            "ß苏ｎ"]
    con = duckdb.connect()
    sql = [con.execute(f"SELECT {normalise_sql('?')}", [r]).fetchone()[0] for r in raws]  # type: ignore[index]
    assert normalise_arrow(pa.array(raws)).to_pylist() == sql


INSTANTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2150, 1, 1), timezones=st.just(UTC))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/London", "America/New_York", "UTC", "Asia/Kolkata"])
@settings(max_examples=25, deadline=None)
@given(instants=st.lists(INSTANTS, min_size=1, max_size=40))
def test_the_time_macros_give_what_icu_gives(zone: str, instants: list[datetime]) -> None:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    clock.install(con, zone)
    around_now = datetime.now(UTC).replace(microsecond=0)
    instants = instants + [around_now + timedelta(hours=h) for h in range(-30, 30, 7)]
    rows = con.execute(
        "SELECT _pa_utc(t) = timezone('UTC', t), _pa_local_date(t) = CAST(t AS DATE) "
        "FROM (SELECT unnest(?::TIMESTAMPTZ[]) AS t)", [instants]).fetchall()
    assert all(a and b for a, b in rows)


def test_only_the_span_of_one_offset_takes_the_fast_path() -> None:
    london = clock.constant_offset_window("Europe/London")  # one season at most: the rest goes through ICU
    assert london is None or london[1] - london[0] < 366 * 86400 * 1_000_000
    lo, hi, offset = clock.constant_offset_window("Asia/Shanghai")  # type: ignore[misc]
    assert offset == 8 * 3600 * 1_000_000
    assert lo <= datetime(1992, 1, 1, tzinfo=UTC).timestamp() * 1e6
    assert hi >= datetime(2099, 1, 1, tzinfo=UTC).timestamp() * 1e6
