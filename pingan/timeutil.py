"""Times at the edges: parse what users type, store UTC, show local time with its offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pingan.config import settings
from pingan.errors import BadInput

if TYPE_CHECKING:
    import numpy as np

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings().timezone)


def parse_duration(text: str | timedelta, *, name: str = "duration") -> timedelta:
    """``"2h"``, ``"90m"``, ``"60s"``, ``"7d"``, ``"2w"`` as a timedelta."""
    if isinstance(text, timedelta):
        return text
    match = _DURATION.match(str(text))
    if not match:
        raise BadInput(f"The {name} '{text}' is not a duration; write it like 60s, 30m, 2h, 7d or 2w.")
    value, unit = float(match.group(1)), match.group(2).lower()
    if value * _UNIT_SECONDS[unit] > 100 * 365 * 86400:  # longer would overflow the times it widens
        raise BadInput(f"The {name} '{text}' is longer than 100 years; give a shorter duration.")
    return timedelta(seconds=value * _UNIT_SECONDS[unit])


def parse_time(text: str | datetime, *, name: str = "time") -> datetime:
    """An ISO 8601 time (local time of the deployment when no offset is given) as naive UTC."""
    if isinstance(text, datetime):
        value = text
    else:
        try:
            value = datetime.fromisoformat(str(text).strip())
        except ValueError:
            raise BadInput(
                f"The {name} '{text}' is not an ISO 8601 time; write it like 2026-03-05T22:00 "
                "or 2026-03-05T22:00+08:00."
            ) from None
    if not 1900 <= value.year <= 2999:  # outside, windows widened around it overflow
        raise BadInput(f"The {name} '{text}' is not between the years 1900 and 2999; check the date.")
    return to_utc_naive(value)


def to_utc_naive(value: datetime) -> datetime:
    """A datetime as naive UTC; a naive input is taken as local time of the deployment."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_tz())
    return value.astimezone(UTC).replace(tzinfo=None)


def to_local(value: datetime) -> datetime:
    """Naive UTC (as stored) to an aware local datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(local_tz())


def iso_local(value: datetime | None) -> str | None:
    """Naive UTC (as stored) to ISO 8601 local time with offset, to the second."""
    if value is None:
        return None
    return to_local(value).isoformat(timespec="seconds")


def _local_naive(values: object) -> tuple[np.ndarray, np.ndarray]:
    """Naive UTC times (as stored) as local wall-clock datetime64[s], and each one's UTC offset in seconds."""
    import numpy as np  # here: most commands that show a time never need these
    import pandas as pd

    utc = pd.DatetimeIndex(pd.to_datetime(values)).as_unit("s")
    wall = utc.tz_localize("UTC").tz_convert(str(local_tz())).tz_localize(None)
    offsets = (wall.asi8 - utc.asi8).astype(np.int64)
    return wall.to_numpy().astype("datetime64[s]"), offsets


def iso_local_many(values: object) -> list[str]:
    """:func:`iso_local` of many naive UTC times at once (a busy area's reads are a hundred thousand)."""
    import numpy as np

    wall, offsets = _local_naive(values)
    text = np.datetime_as_string(wall, unit="s").tolist()
    suffix = {}
    for seconds in set(offsets.tolist()):
        sign = "-" if seconds < 0 else "+"
        hours, minutes = divmod(abs(seconds) // 60, 60)
        suffix[seconds] = f"{sign}{hours:02d}:{minutes:02d}"
    return [t + suffix[o] for t, o in zip(text, offsets.tolist(), strict=True)]


def month_day_minute_many(values: object) -> list[str]:
    """Naive UTC times as local ``MM-DD HH:MM``, many at once."""
    import numpy as np

    wall, _ = _local_naive(values)
    return [t[5:].replace("T", " ") for t in np.datetime_as_string(wall, unit="m").tolist()]
