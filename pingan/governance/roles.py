"""Roles and what each may do: one table, documented in docs/security.md and tested.

A permission names a capability, not a route: the CLI and the API check the same names.
"""

from __future__ import annotations

from enum import StrEnum

from pingan.errors import BadInput, Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    OFFICER = "officer"
    AUDITOR = "auditor"


#: What each permission allows.
PERMISSIONS: dict[str, str] = {
    "data.import": "import files (collection)",
    "cases.read": "list and read cases and cameras",
    "anpr.query": "suspects, collide and vehicle tactics on personal data (consultation)",
    "anpr.export": "export case reports and query results (disclosure)",
    "grids.read": "read grids, grades, forecasts and indicators",
    "grids.manage": "grade grids, register and move disputes",
    "authorise.old_reads": "authorise queries over reads older than 90 days",
    "audit.read": "read and export the audit log",
    "users.manage": "create users, change roles, disable accounts",
    "retention.run": "purge data past its retention period",
}

#: Which role holds which permission. Auditors see the audit log but no personal data; admins manage
#: accounts and retention but do not query movements (separation of duties).
ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset({"users.manage", "retention.run", "data.import", "cases.read", "grids.read"}),
    Role.SUPERVISOR: frozenset({"cases.read", "anpr.query", "anpr.export", "grids.read", "grids.manage",
                                "authorise.old_reads", "data.import"}),
    Role.ANALYST: frozenset({"cases.read", "anpr.query", "anpr.export", "grids.read", "data.import"}),
    Role.OFFICER: frozenset({"cases.read", "grids.read", "grids.manage"}),
    Role.AUDITOR: frozenset({"audit.read", "grids.read"}),
}


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise BadInput(f"The role '{text}' is not known; use one of {allowed}.") from None


def allowed(role: Role | str | None, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(permission)
    if role is None:
        return False
    return permission in ROLE_PERMISSIONS[Role(role)]


def require(role: Role | str | None, permission: str, *, user: str = "this user") -> None:
    """Raise Forbidden unless the role holds the permission."""
    if not allowed(role, permission):
        who = f"{user} ({role})" if role else user
        raise Forbidden(f"{who} lacks the permission {permission} ({PERMISSIONS[permission]}); ask an administrator "
                        "for a role that holds it.")
