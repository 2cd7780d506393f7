"""Users, passwords and sessions.

Passwords are hashed with scrypt (standard library) and a random salt; session tokens come from
``secrets`` and only their SHA-256 is stored. A session dies after 30 minutes idle. Five failed logins
within 15 minutes lock the account for the rest of that quarter hour. There are no default accounts:
the first administrator is created from the command line on the server, and the API refuses to start on a
store without an account anyone could log in with (:func:`check_can_serve`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from pingan.errors import BadInput, Conflict, NotFound, Unauthenticated
from pingan.governance.roles import Role, parse_role
from pingan.store.db import Store

IDLE_TIMEOUT = timedelta(minutes=30)
#: A session's activity is written down at most this often.
SESSION_TOUCH = timedelta(seconds=30)
LOCKOUT_WINDOW = timedelta(minutes=15)
LOCKOUT_FAILURES = 5
MIN_PASSWORD = 12
#: Passwords refused outright: placeholders and the classics.
WEAK_PASSWORDS = frozenset({"changeme", "password", "admin", "123456", "12345678", "secret", "pingan",
                            "changeme123", "password123", "adminadmin", "letmein", "qwerty"})
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


def check_strength(password: str, user_name: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    if password.lower() in WEAK_PASSWORDS or user_name.lower() in password.lower():
        raise BadInput("The password is a placeholder, a common password or contains the user name; choose another.")


@dataclass(frozen=True)
class User:
    user_name: str
    role: Role
    disabled: bool = False


def create_user(store: Store, user_name: str, role: str, password: str) -> User:
    name = user_name.strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise BadInput(f"The user name '{user_name}' is not valid; use letters, digits and . _ - @ only.")
    parsed = parse_role(role)
    check_strength(password, name)
    if store.con.execute("SELECT 1 FROM users WHERE user_name = ?", [name]).fetchone():
        raise Conflict(f"The user {name} already exists; choose another name or change their role.")
    store.con.execute("INSERT INTO users VALUES (?, ?, ?, ?, false)", [name, parsed.value, hash_password(password), _now()])
    return User(name, parsed)


def get_user(store: Store, user_name: str) -> User:
    row = store.con.execute("SELECT user_name, role, disabled FROM users WHERE user_name = ?", [user_name]).fetchone()
    if row is None:
        raise NotFound(f"There is no user {user_name}; list users with `pingan users list`.")
    return User(row[0], Role(row[1]), bool(row[2]))


def list_users(store: Store) -> list[User]:
    rows = store.con.execute("SELECT user_name, role, disabled FROM users ORDER BY user_name").fetchall()
    return [User(r[0], Role(r[1]), bool(r[2])) for r in rows]


def set_role(store: Store, user_name: str, role: str) -> User:
    get_user(store, user_name)
    parsed = parse_role(role)
    store.con.execute("UPDATE users SET role = ? WHERE user_name = ?", [parsed.value, user_name])
    return get_user(store, user_name)


def set_disabled(store: Store, user_name: str, disabled: bool) -> User:
    get_user(store, user_name)
    store.con.execute("UPDATE users SET disabled = ? WHERE user_name = ?", [disabled, user_name])
    if disabled:
        store.con.execute("DELETE FROM sessions WHERE user_name = ?", [user_name])
    return get_user(store, user_name)


def set_password(store: Store, user_name: str, password: str) -> None:
    get_user(store, user_name)
    check_strength(password, user_name)
    store.con.execute("UPDATE users SET password_hash = ? WHERE user_name = ?", [hash_password(password), user_name])
    store.con.execute("DELETE FROM sessions WHERE user_name = ?", [user_name])


def _well_formed(stored: str) -> bool:
    """Is this a scrypt hash as :func:`hash_password` writes it, at least as costly?"""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return False
    return n >= _SCRYPT["n"] and r >= _SCRYPT["r"] and p >= 1 and len(salt) >= 16 and len(digest) >= 32


def check_can_serve(store: Store) -> None:
    """Refuse to serve a store nobody could log in to, or one holding a password that is not a proper hash.

    pingan has no server secret and no default account: the accounts are the secrets. A store with none
    would serve only refusals; a password hash written into the store by hand (a placeholder, plain text)
    would let anyone who reads this code in.
    """
    rows = store.con.execute("SELECT user_name, password_hash, disabled FROM users ORDER BY user_name").fetchall()
    if not any(not disabled for _, _, disabled in rows):
        raise BadInput(f"The store {store.path} has no enabled user account, so nobody could log in; create the first "
                       f"administrator with `pingan --db {store.path} users add NAME --role admin`, then start again.")
    bad = [name for name, stored, disabled in rows if not disabled and not _well_formed(stored)]
    if bad:
        raise BadInput(f"The account {bad[0]} has no properly hashed password (a placeholder or plain text was put "
                       f"into the store by hand); set one with `pingan users passwd {bad[0]}`, then start again.")


def is_locked(store: Store, user_name: str, now: datetime | None = None) -> bool:
    now = now or _now()
    row = store.con.execute(
        "SELECT count(*) FROM login_attempts WHERE user_name = ? AND NOT ok AND at_utc > ? "
        "AND at_utc > coalesce((SELECT max(at_utc) FROM login_attempts WHERE user_name = ? AND ok), TIMESTAMP '1970-01-01')",
        [user_name, now - LOCKOUT_WINDOW, user_name],
    ).fetchone()
    return bool(row and row[0] >= LOCKOUT_FAILURES)


def login(store: Store, user_name: str, password: str, now: datetime | None = None) -> tuple[User, str]:
    """Check a password and open a session: (user, token). The same message for every failure."""
    now = now or _now()
    failure = Unauthenticated("The user name or password is wrong, or the account is locked or disabled.")
    if is_locked(store, user_name, now):
        store.con.execute("INSERT INTO login_attempts VALUES (?, ?, false)", [user_name, now])
        raise failure
    row = store.con.execute("SELECT password_hash, role, disabled FROM users WHERE user_name = ?", [user_name]).fetchone()
    ok = row is not None and not row[2] and check_password(password, row[0])
    store.con.execute("INSERT INTO login_attempts VALUES (?, ?, ?)", [user_name, now, ok])
    if not ok:
        raise failure
    token = secrets.token_urlsafe(32)
    store.con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)", [_token_hash(token), user_name, now, now])
    return User(user_name, Role(row[1])), token  # type: ignore[index]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def session_user(store: Store, token: str, now: datetime | None = None) -> User:
    """The user of a live session; an idle or unknown session is refused."""
    now = now or _now()
    key = _token_hash(token)
    row = store.con.execute(
        "SELECT s.user_name, s.last_seen, u.role, u.disabled FROM sessions s JOIN users u USING (user_name) "
        "WHERE token_hash = ?", [key]
    ).fetchone()
    if row is None or row[3]:
        raise Unauthenticated("The session is not valid; log in again.")
    if now - row[1] > IDLE_TIMEOUT:
        store.con.execute("DELETE FROM sessions WHERE token_hash = ?", [key])
        raise Unauthenticated("The session expired after 30 minutes idle; log in again.")
    if now - row[1] > SESSION_TOUCH:
        # Best effort: two requests of one session at once must not fail over who records the activity.
        try:
            store.con.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", [now, key])
        except duckdb.TransactionException:
            pass
    return User(row[0], Role(row[2]))


def logout(store: Store, token: str) -> None:
    store.con.execute("DELETE FROM sessions WHERE token_hash = ?", [_token_hash(token)])
