"""Accounts: hashed passwords, no weak ones, lockout after 5 failures, sessions that expire when idle."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pingan.errors import BadInput, Conflict, Forbidden, Unauthenticated
from pingan.governance.roles import PERMISSIONS, ROLE_PERMISSIONS, Role, allowed, require
from pingan.governance.users import create_user, login, session_user, set_disabled, _now
from pingan.store.db import Store

GOOD = "correct horse battery"


def test_passwords_are_stored_hashed(store: Store) -> None:
    create_user(store, "li.wei", "analyst", GOOD)
    stored = store.con.execute("SELECT password_hash FROM users").fetchone()[0]
    assert GOOD not in stored and stored.startswith("scrypt$")


@pytest.mark.parametrize("password", ["short", "changeme", "password123", "li.wei-is-me-12345"])
def test_weak_or_placeholder_passwords_are_refused(store: Store, password: str) -> None:
    with pytest.raises(BadInput):
        create_user(store, "li.wei", "analyst", password)


def test_a_user_name_is_taken_once(store: Store) -> None:
    create_user(store, "li.wei", "analyst", GOOD)
    with pytest.raises(Conflict):
        create_user(store, "li.wei", "officer", GOOD)


def test_login_gives_a_session_token_that_names_the_user(store: Store) -> None:
    create_user(store, "li.wei", "analyst", GOOD)
    user, token = login(store, "li.wei", GOOD)
    assert len(token) >= 40 and session_user(store, token).user_name == "li.wei"
    assert token not in str(store.con.execute("SELECT * FROM sessions").fetchall())


def test_five_failures_in_fifteen_minutes_lock_the_account(store: Store) -> None:
    create_user(store, "li.wei", "analyst", GOOD)
    now = _now()
    for i in range(5):
        with pytest.raises(Unauthenticated):
            login(store, "li.wei", "wrong password!", now=now + timedelta(seconds=i))
    with pytest.raises(Unauthenticated):
        login(store, "li.wei", GOOD, now=now + timedelta(minutes=1))  # locked, even with the right password
    user, _ = login(store, "li.wei", GOOD, now=now + timedelta(minutes=16))
    assert user.user_name == "li.wei"


def test_an_idle_session_expires_after_thirty_minutes(store: Store) -> None:
    create_user(store, "li.wei", "analyst", GOOD)
    now = _now()
    _, token = login(store, "li.wei", GOOD, now=now)
    session_user(store, token, now=now + timedelta(minutes=29))
    session_user(store, token, now=now + timedelta(minutes=58))  # activity at 29 min kept it alive
    with pytest.raises(Unauthenticated, match="30 minutes"):
        session_user(store, token, now=now + timedelta(minutes=89))


def test_a_disabled_user_cannot_log_in(store: Store) -> None:
    create_user(store, "li.wei", "analyst", GOOD)
    set_disabled(store, "li.wei", True)
    with pytest.raises(Unauthenticated):
        login(store, "li.wei", GOOD)


def test_every_role_and_permission_is_in_the_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    for perms in ROLE_PERMISSIONS.values():
        assert perms <= set(PERMISSIONS)


@pytest.mark.parametrize("role, permission, expected", [
    ("analyst", "anpr.query", True), ("officer", "anpr.query", False), ("auditor", "anpr.query", False),
    ("admin", "anpr.query", False), ("auditor", "audit.read", True), ("analyst", "audit.read", False),
    ("supervisor", "authorise.old_reads", True), ("analyst", "authorise.old_reads", False),
    ("admin", "users.manage", True), ("supervisor", "users.manage", False),
])
def test_the_role_table(role: str, permission: str, expected: bool) -> None:
    assert allowed(role, permission) is expected
    if not expected:
        with pytest.raises(Forbidden):
            require(role, permission)
