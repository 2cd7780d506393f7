"""Dependencies every route shares: the store (one cursor per request), the current user, permissions.

Routes declare what they need with the ``Annotated`` aliases below (``StoreDep``, ``CurrentUser``) and
check a permission with :func:`need`. Personal-data routes also take a purpose from the request body and
run inside :func:`pingan.governance.audit.audited`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from pingan.errors import Unauthenticated
from pingan.governance.audit import Actor
from pingan.governance.roles import Role, require
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
    """The logged-in user behind a request."""

    user: str
    role: Role

    def actor(self, purpose: str | None = None) -> Actor:
        return Actor(user=self.user, role=self.role.value, purpose=purpose)

    def need(self, permission: str) -> None:
        require(self.role, permission, user=self.user)


def current_user(request: Request, store: StoreDep) -> Principal:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get("pingan_session", "")
    if not token:
        raise Unauthenticated("Log in first: POST /api/login, then send 'Authorization: Bearer TOKEN'.")
    user = session_user(store, token)
    return Principal(user.user_name, user.role)


CurrentUser = Annotated[Principal, Depends(current_user)]
