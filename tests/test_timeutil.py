"""Local times many at once read exactly as one at a time, across a summer-time change too."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest

from pingan.config import settings
from pingan.timeutil import iso_local, iso_local_many, month_day_minute_many, to_local


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/London"])
def test_many_times_render_as_each_alone(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("PINGAN_TIMEZONE", zone)
    settings.cache_clear()
    try:
        # London changes its clock on 2026-03-29 01:00 UTC; sub-second times are cut, not rounded
        start = datetime(2026, 3, 28, 22, 59, 59, 999_000)
        times = [start + timedelta(minutes=17 * i, microseconds=250_000 * (i % 4)) for i in range(300)]
        assert iso_local_many(pd.Series(times)) == [iso_local(t) for t in times]
        assert month_day_minute_many(times) == [to_local(t).strftime("%m-%d %H:%M") for t in times]
        assert len({s[-6:] for s in iso_local_many(times)}) == (2 if zone == "Europe/London" else 1)
    finally:
        settings.cache_clear()
