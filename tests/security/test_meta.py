"""Meta-tests over the whole API and CLI surface: every route and command is in one access table, every
role gets exactly what the role table allows, and everything that touches data leaves an audit entry.

A new route or command that is not in :mod:`pingan.governance.surface` fails here; so does one that
answers a role it should refuse, or touches data without recording it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pingan.governance import surface
from pingan.governance.roles import PERMISSIONS, ROLE_PERMISSIONS, Role
from pingan.governance.surface import ROUTE_TABLE, ROUTES, expected_status
from tests.security.conftest import USER_OF, app_store, entries_after, last_seq, login, wait_for_job
from tests.security.examples import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security.md"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, including those left out of the OpenAPI schema."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Any) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):  # FastAPI's included routers
                walk(route.effective_route_contexts())
            elif hasattr(route, "routes") and not hasattr(route, "methods"):
                walk(route.routes)
            else:
                found.update((m, route.path) for m in (route.methods or ()) if m in METHODS)

    walk(app.routes)
    return found


# --- the tables are complete ----------------------------------------------------------------------------

def test_every_route_is_in_the_access_table_and_nothing_else_is(app: Any) -> None:
    served = app_routes(app)
    assert served, "no routes found: has FastAPI's routing changed?"
    missing = sorted(served - set(ROUTE_TABLE))
    stale = sorted(set(ROUTE_TABLE) - served)
    assert missing == [], f"routes with no entry in pingan.governance.surface.ROUTES: {missing}"
    assert stale == [], f"entries in pingan.governance.surface.ROUTES for routes that do not exist: {stale}"


def test_every_schema_operation_is_in_the_table(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operations = {(m.upper(), p) for p, item in schema["paths"].items() for m in item if m.upper() in METHODS}
    assert operations - set(ROUTE_TABLE) == set()


def test_every_guarded_route_has_an_example() -> None:
    guarded = {r.key for r in ROUTES if not r.public}
    assert guarded - set(EXAMPLES) == set(), "add an example request to tests/security/examples.py"
    assert set(EXAMPLES) - guarded == set()


def test_the_tables_name_only_real_permissions_and_actions() -> None:
    actions = {"collection", "consultation", "disclosure", "combination", "alteration", "erasure", "login",
               "permission"}
    for r in ROUTES:
        assert set(r.needs) <= set(PERMISSIONS), r
        assert r.audit is None or r.audit[0] in actions, r
        assert not (r.public and r.needs), r
        assert r.touches == "none" or r.audit is not None, f"{r.key} touches data but records nothing"
        assert not r.purpose or r.touches == "personal", r
    for c in surface.COMMANDS:
        assert set(c.needs) <= set(PERMISSIONS), c
        assert c.touches == "none" or (c.operation and c.action in actions), c


def test_every_role_is_in_the_role_table() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    # Separation of duties: whoever reads the audit log reads no movements, and the other way round.
    for role, perms in ROLE_PERMISSIONS.items():
        assert not ({"audit.read", "anpr.query"} <= perms), role
        assert not ({"users.manage", "anpr.query"} <= perms), role


# --- who gets in: no session, and every role × every route ----------------------------------------------

@pytest.mark.parametrize("route", [r for r in ROUTES if not r.public], ids=lambda r: f"{r.method} {r.path}")
def test_without_a_session_every_guarded_route_is_401(client: TestClient, route: surface.RouteAccess) -> None:
    response = EXAMPLES[route.key].call(client, route.method, None, job_id="x", batch_id=1)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.fixture(scope="module")
def upload(client: TestClient, headers: dict[str, dict[str, str]]) -> dict[str, Any]:
    """An import job and its batch, so the routes about jobs and batches have something to show."""
    example = EXAMPLES[("POST", "/api/imports")]
    job = example.call(client, "POST", headers["analyst"]).json()
    job = wait_for_job(client, headers["analyst"], job["job_id"])
    assert job["state"] == "done", job
    return {"job_id": job["job_id"], "batch_id": job["report"]["batch_id"]}


CASES = [(route, role) for route in ROUTES if not route.public for role in Role]


@pytest.mark.parametrize("route, role", CASES, ids=lambda x: x.value if isinstance(x, Role) else f"{x.method} {x.path}")
def test_role_by_route(client: TestClient, app: Any, headers: dict[str, dict[str, str]], upload: dict[str, Any],
                       route: surface.RouteAccess, role: Role) -> None:
    """Each role gets the status the role table gives it; a refusal and every data-touching call is audited."""
    example = EXAMPLES[route.key]
    auth = login(client, USER_OF[role.value]) if example.own_session else headers[role.value]
    store = app_store(app)
    before = last_seq(store)
    response = example.call(client, route.method, auth, **upload)
    expected = expected_status(route, role)
    assert response.status_code == expected, f"{role.value}: {response.text[:300]}"
    if example.own_session:  # logging out ends every session of the user: the shared one too
        headers[role.value] = login(client, USER_OF[role.value])
    if expected == 202 and route.key == ("POST", "/api/imports"):
        wait_for_job(client, auth, response.json()["job_id"])
    new = [e for e in entries_after(store, before) if e["user"] == USER_OF[role.value]]
    if expected == 403:
        assert any(e["outcome"] == "refused" for e in new), f"the refusal of {role.value} was not audited"
    elif route.audit is not None:
        action, operation = route.audit
        operation = operation.format(kind="cameras")
        assert any((e["action"], e["operation"], e["outcome"]) == (action, operation, "ok") for e in new), (
            f"{route.method} {route.path} left no {action} entry for {operation}: {new}")
        assert all(e["role"] == role.value for e in new)
    else:
        assert route.touches == "none"
    store.con.close()


def test_the_audit_entries_of_a_purposeful_call_name_the_purpose(client: TestClient, app: Any,
                                                                   headers: dict[str, dict[str, str]]) -> None:
    store = app_store(app)
    before = last_seq(store)
    client.post("/api/tactics/trajectory", headers=headers["analyst"],
                json={"plate": "苏A12345", "purpose": "C001 burglary series"})
    entry = entries_after(store, before)[-1]
    assert (entry["operation"], entry["purpose"], entry["role"]) == ("anpr.trajectory", "C001 burglary series",
                                                                     "analyst")
    assert entry["touched"] > 0


#: Routes about a case take the case id as their purpose when none is given (the contract's rule).
CASE_ROUTES = {("POST", "/api/suspects"), ("POST", "/api/collide"), ("POST", "/api/reports/case")}


@pytest.mark.parametrize("route", [r for r in ROUTES if r.purpose and r.key not in CASE_ROUTES], ids=lambda r: r.path)
def test_a_personal_data_route_without_a_purpose_is_refused_and_audited(
        client: TestClient, app: Any, headers: dict[str, dict[str, str]], route: surface.RouteAccess) -> None:
    body = dict(EXAMPLES[route.key].json or {})
    body.pop("purpose")
    store = app_store(app)
    before = last_seq(store)
    response = client.post(route.path, headers=headers["analyst"], json=body)
    assert response.status_code == 403 and response.json()["error"]["code"] == "purpose_required"
    assert [(e["operation"], e["outcome"]) for e in entries_after(store, before)] == [(route.audit[1], "refused")]


def test_login_and_failed_logins_are_audited(client: TestClient, app: Any) -> None:
    store = app_store(app)
    before = last_seq(store)
    login(client, "sup")
    assert client.post("/api/login", json={"user": "sup", "password": "not the password"}).status_code == 401
    got = [(e["user"], e["action"], e["outcome"]) for e in entries_after(store, before)]
    assert got == [("sup", "login", "ok"), ("sup", "login", "refused")]


# --- the documentation shows the tables as they are -------------------------------------------------------

def test_docs_security_shows_the_current_tables() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert surface.render_into(text) == text, (
        "docs/security.md is out of date: run `python -m pingan.governance.surface --write docs/security.md`")
