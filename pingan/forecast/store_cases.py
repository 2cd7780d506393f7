"""The cases a forecast learns from, read from the store."""

from __future__ import annotations

import pandas as pd

from pingan.store.db import Store


def cases_frame(store: Store, category: str | None = None) -> pd.DataFrame:
    """Cases as the forecasting models want them: case_id, lon, lat, start (naive UTC), category."""
    sql = "SELECT case_id, lon, lat, start_ts AS start, category FROM cases"
    params: list[object] = []
    if category:
        sql += " WHERE category = ?"
        params.append(category)
    frame = store.con.execute(sql, params).df()
    frame["start"] = pd.to_datetime(frame["start"])
    return frame
