"""Times at the edges: parse what users type, store UTC, show local time with its offset."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pingan.config import settings
from pingan.errors import BadInput

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
