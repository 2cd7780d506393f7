"""Limits on what one request or one user may ask of the server: body sizes and plate queries per minute.

Bulk plate queries are how a surveillance system is misused: a user who runs thousands of trajectories
is mapping a population, not working a case. Each user gets a token bucket of plate queries (suspects,
collide and every vehicle tactic); an empty bucket answers 429 and the refusal is audited. Request bodies
are capped so a client cannot fill the disk or the memory: uploads at ``max_upload_bytes``, every other
body (small JSON) at ``max_body_bytes``.

The limits come from ``PINGAN_PLATE_QUERIES_PER_MINUTE``, ``PINGAN_MAX_UPLOAD_BYTES`` and
``PINGAN_MAX_BODY_BYTES``; a test or a deployment may also pass a :class:`Limits` to ``create_app``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pingan.errors import PinganError

GiB = 1024**3
MiB = 1024**2


class Limits(BaseSettings):
    """What one user and one request may ask of the API."""

    model_config = SettingsConfigDict(env_prefix="PINGAN_", extra="ignore", frozen=True)

    plate_queries_per_minute: int = Field(
        default=60, ge=0, description="plate queries (suspects, collide, tactics) per user per minute; 0 = no limit")
    plate_query_burst: int | None = Field(
        default=None, ge=1, description="queries a user may run at once before the rate applies (default: one minute's)")
    max_upload_bytes: int = Field(default=2 * GiB, ge=1, description="largest file upload (POST /api/imports)")
    max_body_bytes: int = Field(default=1 * MiB, ge=1, description="largest body of any other request")


class RateLimited(PinganError):
    """Too many requests of one kind from one user in too short a time."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooLarge(PinganError):
    status = 413
    code = "too_large"


def too_large_message(limit: int, upload: bool) -> str:
    if upload:
        return (f"The upload is larger than this server accepts ({_size(limit)}); import a file this large with "
                "`pingan import` on the server, or raise PINGAN_MAX_UPLOAD_BYTES.")
    return (f"The request body is larger than {_size(limit)}; send only the fields the route takes "
            "(file uploads go to POST /api/imports).")


def _size(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets:
    """One token bucket per key: ``rate`` tokens a minute, holding at most ``burst``."""

    per_minute: int
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when granted, else the seconds until one is free."""
        if self.per_minute <= 0:
            return 0.0
        rate = self.per_minute / 60.0
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / rate


def plate_query_buckets(limits: Limits, clock: Callable[[], float] = time.monotonic) -> TokenBuckets:
    burst = limits.plate_query_burst or max(1, limits.plate_queries_per_minute)
    return TokenBuckets(per_minute=limits.plate_queries_per_minute, burst=burst, clock=clock)


def rate_limited(user: str, per_minute: int, wait: float) -> RateLimited:
    seconds = max(1, int(wait + 0.999))
    return RateLimited(f"{user} has run more than {per_minute} plate queries a minute; wait {seconds} s and try "
                       "again (bulk plate queries are limited so that nobody maps a population).", wait)
