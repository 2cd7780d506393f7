"""Dependencies every route shares: the store (one cursor per request), the current user, permissions.

Routes declare what they need with the ``Annotated`` aliases below (``StoreDep``, ``CurrentUser``) and
check a permission with :func:`need`. Personal-data routes also take a purpose from the request body and
run inside :func:`pingan.governance.audit.audited`. Routers of plate queries also depend on
:func:`plate_query_limit`, each user's token bucket of plate queries (``create_app`` wires it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from pingan.errors import Forbidden, Unauthenticated
from pingan.governance.audit import Actor, record
from pingan.governance.limits import TokenBuckets, rate_limited
from pingan.governance.roles import Role, allowed, require
from pingan.governance.surface import ROUTE_TABLE
from pingan.governance.users import session_user
from pingan.store.db import Store, open_store


class StoreHolder:
    """One open store per app; each request gets its own cursor (DuckDB cursors are per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None
        self._lock = threading.Lock()
        # DuckDB allows one writer; audit writes and imports from concurrent requests take turns.
        self.write_lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.path)
            return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def request_store(request: Request) -> Iterator[Store]:
    holder: StoreHolder = request.app.state.store_holder
    base = holder.get()
    cursor = base.con.cursor()
    try:
        yield Store(path=base.path, con=cursor, timezone=base.timezone)
    finally:
        cursor.close()


StoreDep = Annotated[Store, Depends(request_store)]


@dataclass(frozen=True)
class Principal:
    """The logged-in user behind a request (and the request's store and route, to audit refusals)."""

    user: str
    role: Role
    store: Store | None = field(default=None, compare=False, repr=False)
    route: tuple[str, str] | None = None

    def actor(self, purpose: str | None = None) -> Actor:
        return Actor(user=self.user, role=self.role.value, purpose=purpose)

    def need(self, permission: str) -> None:
        """Go on only if the user's role holds ``permission``; a refusal (403) is audited."""
        try:
            require(self.role, permission, user=self.user)
        except Forbidden:
            if self.store is not None:
                access = ROUTE_TABLE.get(self.route) if self.route else None
                action, operation = access.audit if access and access.audit else (
                    "consultation", " ".join(self.route) if self.route else "api")
                record(self.store, self.actor(), action=action, operation=operation,  # type: ignore[arg-type]
                       params={"permission": permission}, outcome="refused")
            raise


def _route_key(request: Request) -> tuple[str, str]:
    return request.method, getattr(request.scope.get("route"), "path", request.url.path)


def current_user(request: Request, store: StoreDep) -> Principal:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get("pingan_session", "")
    if not token:
        raise Unauthenticated("Log in first: POST /api/login, then send 'Authorization: Bearer TOKEN'.")
    user = session_user(store, token)
    return Principal(user.user_name, user.role, store=store, route=_route_key(request))


CurrentUser = Annotated[Principal, Depends(current_user)]


def plate_query_limit(request: Request, store: StoreDep, principal: CurrentUser) -> None:
    """Count one plate query against the user's bucket; an empty bucket is refused (429) and audited.

    A caller whose role may not run the route at all is left to the route's own 403 and costs nothing.
    """
    buckets: TokenBuckets | None = getattr(request.app.state, "plate_queries", None)
    if buckets is None:
        return
    key = _route_key(request)
    access = ROUTE_TABLE.get(key)
    if access is not None and not all(allowed(principal.role, p) for p in access.needs):
        return
    wait = buckets.take(principal.user)
    if wait <= 0:
        return
    action, operation = access.audit if access is not None and access.audit else ("consultation", " ".join(key))
    record(store, principal.actor(), action=action, operation=operation,  # type: ignore[arg-type]
           params={"limit_per_minute": buckets.per_minute, "retry_after_s": round(wait, 1)}, outcome="refused")
    raise rate_limited(principal.user, buckets.per_minute, wait)


PlateQueryLimit = Depends(plate_query_limit)
