"""What every command shares: the store, the actor, JSON output, and errors as one sentence."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from pingan.governance.audit import Actor
from pingan.store.db import Store, default_db_path, open_store

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    """The global options, as the group parsed them."""

    db: Path
    user: str
    purpose: str | None
    #: The store a command has open (see :meth:`store`), so that every actor carries the user's role.
    _open: Store | None = field(default=None, init=False, repr=False, compare=False)

    def actor(self, *, purpose: str | None = None, store: Store | None = None) -> Actor:
        """The actor for a command; a case command passes its case id as the fallback purpose.

        The role is the user's role in the store (given, or the one the command has open); None for an
        operator without an account, or before the store is open.
        """
        role = None
        store = store or self._open
        if store is not None:
            row = store.con.execute("SELECT role FROM users WHERE user_name = ? AND NOT disabled",
                                    [self.user]).fetchone()
            role = row[0] if row else None
        return Actor(user=self.user, role=role, purpose=self.purpose or purpose)

    @contextmanager
    def store(self, *, read_only: bool = False) -> Iterator[Store]:
        store = open_store(self.db, read_only=read_only)
        self._open = store
        try:
            yield store
        finally:
            self._open = None
            store.close()


def make_context(db: str | None, user: str | None, purpose: str | None) -> Context:
    return Context(
        db=Path(db) if db else default_db_path(),
        user=user or os.environ.get("PINGAN_USER") or getpass.getuser(),
        purpose=purpose or os.environ.get("PINGAN_PURPOSE") or None,
    )


pass_context = click.make_pass_decorator(Context)


def json_option(func: F) -> F:
    """``--json``: write exactly one JSON document to standard output."""
    return click.option("--json", "as_json", is_flag=True, help="Write one JSON document to stdout.")(func)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, default=_default, indent=1))
    sys.stdout.write("\n")
