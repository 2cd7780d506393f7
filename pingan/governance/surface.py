"""What every API route and every command may do, who may do it, and what it records: one table each.

These tables are the governance contract of pingan's outside surface. The security meta-tests
(``tests/security``) fail when a route or command is missing from them, when a route answers a role the
table does not allow, or when a data-touching route or command leaves no audit entry; ``docs/security.md``
shows them (regenerate its tables with ``python -m pingan.governance.surface --write docs/security.md``).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pingan.governance.roles import PERMISSIONS, ROLE_PERMISSIONS, Role

Touches = Literal["personal", "data", "none"]


@dataclass(frozen=True)
class RouteAccess:
    """One API route: the permissions it needs, and what a successful call records.

    ``needs`` empty and ``public`` false: any logged-in user. ``audit`` is (action, operation) of the entry a
    successful call appends; ``purpose``: a call without a purpose is refused (and the refusal audited);
    ``plate_limited``: counts against the user's plate queries per minute.
    """

    method: str
    path: str
    touches: Touches
    needs: tuple[str, ...] = ()
    audit: tuple[str, str] | None = None
    public: bool = False
    purpose: bool = False
    plate_limited: bool = False
    ok_status: int = 200
    note: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def allows(self, role: Role | str) -> bool:
        return self.public or all(p in ROLE_PERMISSIONS[Role(role)] for p in self.needs)


def _public(method: str, path: str, note: str) -> RouteAccess:
    return RouteAccess(method, path, "none", public=True, note=note)


def _tactic(name: str, action: str = "consultation") -> RouteAccess:
    return RouteAccess("POST", f"/api/tactics/{name}", "personal", ("anpr.query",),
                       (action, "anpr." + name.replace("-", "_")), purpose=True, plate_limited=True)


#: Every route of the API. A route missing here fails tests/security/test_meta.py.
ROUTES: tuple[RouteAccess, ...] = (
    _public("GET", "/health", "up or not, and row counts: no record of anyone"),
    _public("POST", "/api/login", "audited itself (login, ok or refused)"),
    _public("GET", "/", "the workbench page"),
    _public("GET", "/static/{path:path}", "the workbench's scripts and styles"),
    _public("GET", "/vendor/{package}/{path:path}", "npm packages the workbench loads"),
    _public("GET", "/openapi.json", "the API's schema"),
    _public("GET", "/docs", "the API's documentation page"),
    _public("GET", "/docs/oauth2-redirect", "part of the documentation page"),
    _public("GET", "/redoc", "the API's documentation page"),
    RouteAccess("POST", "/api/logout", "none", audit=("login", "auth.logout")),
    RouteAccess("GET", "/api/me", "none", note="the caller's own name and role"),
    RouteAccess("GET", "/api/cameras", "data", ("cases.read",), ("consultation", "cameras.list")),
    RouteAccess("GET", "/api/cases", "data", ("cases.read",), ("consultation", "cases.list")),
    RouteAccess("GET", "/api/cases/{case_id}", "data", ("cases.read",), ("consultation", "cases.read")),
    RouteAccess("POST", "/api/suspects", "personal", ("anpr.query",), ("consultation", "anpr.suspects"),
                purpose=True, plate_limited=True, note="purpose defaults to the case id"),
    RouteAccess("POST", "/api/collide", "personal", ("anpr.query",), ("combination", "anpr.collide"),
                purpose=True, plate_limited=True, note="purpose defaults to the case ids"),
    _tactic("search"),
    _tactic("trajectory"),
    _tactic("stay-points"),
    _tactic("companions", "combination"),
    _tactic("cloned"),
    _tactic("night-active"),
    _tactic("first-seen"),
    _tactic("loitering"),
    RouteAccess("POST", "/api/reports/case", "personal", ("anpr.query", "anpr.export"),
                ("disclosure", "report.case"), purpose=True, note="records the recipient; purpose defaults to the case id"),
    RouteAccess("GET", "/api/layers/roads", "none", ("grids.read",), note="reference map, no records of people"),
    RouteAccess("GET", "/api/layers/extent", "none", ("grids.read",), note="a bounding box"),
    RouteAccess("GET", "/api/grids", "data", ("grids.read",), ("consultation", "grids.list"),
                note="names the grid officers"),
    RouteAccess("GET", "/api/grids/{grid_id}", "data", ("grids.read",), ("consultation", "grids.read")),
    RouteAccess("GET", "/api/disputes", "data", ("grids.read",), ("consultation", "disputes.list"),
                note="without the parties' ids"),
    RouteAccess("GET", "/api/forecast", "data", ("grids.read",), ("consultation", "forecast")),
    RouteAccess("GET", "/api/kpi", "data", ("grids.read",), ("consultation", "kpi")),
    RouteAccess("GET", "/api/kpi/records", "data", ("grids.read", "cases.read"), ("consultation", "kpi.records")),
    RouteAccess("GET", "/api/audit", "personal", ("audit.read",), ("consultation", "audit.read"),
                note="who looked at what: auditors only"),
    RouteAccess("GET", "/api/audit/summary", "personal", ("audit.read",), ("consultation", "audit.summary")),
    RouteAccess("GET", "/api/audit/verify", "data", ("audit.read",), ("consultation", "audit.verify")),
    RouteAccess("POST", "/api/imports", "personal", ("data.import",), ("collection", "import.{kind}"),
                ok_status=202, note="recorded when the background import ends"),
    RouteAccess("GET", "/api/imports/jobs/{job_id}", "none", ("data.import",), note="an upload's progress"),
    RouteAccess("GET", "/api/imports", "data", ("data.import",), ("consultation", "imports.list")),
    RouteAccess("GET", "/api/imports/{batch_id}/set-aside", "personal", ("data.import",),
                ("consultation", "imports.set_aside"), note="rows as they arrived, plates included"),
)

ROUTE_TABLE: dict[tuple[str, str], RouteAccess] = {r.key: r for r in ROUTES}


@dataclass(frozen=True)
class CommandAccess:
    """One command of the CLI: whether it touches data, and the operation its audit entry names."""

    path: str
    touches: Touches
    operation: str | None = None
    action: str | None = None
    purpose: bool = False
    needs: tuple[str, ...] = ()
    note: str = ""


def _cmd(path: str, touches: Touches, action: str | None = None, operation: str | None = None, *,
         purpose: bool = False, needs: tuple[str, ...] = (), note: str = "") -> CommandAccess:
    return CommandAccess(path, touches, operation, action, purpose, needs, note)


#: Every command of the CLI. A command missing here fails tests/security/test_meta.py.
COMMANDS: tuple[CommandAccess, ...] = (
    _cmd("import", "personal", "collection", "import.{kind}"),
    _cmd("imports", "data", "consultation", "imports.list"),
    _cmd("rejects", "personal", "consultation", "imports.set_aside", note="rows as they arrived, plates included"),
    _cmd("suspects", "personal", "consultation", "anpr.suspects", purpose=True, note="purpose defaults to the case id"),
    _cmd("collide", "personal", "combination", "anpr.collide", purpose=True, note="purpose defaults to the case ids"),
    _cmd("companions", "personal", "consultation", "anpr.companions", purpose=True),
    _cmd("cloned", "personal", "consultation", "anpr.cloned", purpose=True),
    _cmd("trajectory", "personal", "consultation", "anpr.trajectory", purpose=True),
    _cmd("stay-points", "personal", "consultation", "anpr.stay_points", purpose=True),
    _cmd("night-active", "personal", "consultation", "anpr.night_active", purpose=True),
    _cmd("first-seen", "personal", "consultation", "anpr.first_seen", purpose=True),
    _cmd("loitering", "personal", "consultation", "anpr.loitering", purpose=True),
    _cmd("plate-search", "personal", "consultation", "anpr.plate_search", purpose=True),
    _cmd("time-index", "personal", "alteration", "anpr.time_index",
         note="a time-ordered copy of the reads; retention prunes it with the reads"),
    _cmd("summaries", "personal", "alteration", "anpr.summaries",
         note="per-day summaries of the reads and the time index; retention prunes them with the reads"),
    _cmd("forecast", "data", "consultation", "forecast"),
    _cmd("grids grade", "data", "consultation", "grids.grade"),
    _cmd("grids show", "data", "consultation", "grids.show"),
    _cmd("grids history", "data", "consultation", "grids.history"),
    _cmd("grids fuse", "data", "alteration", "grids.fuse"),
    _cmd("grids locate", "data", "consultation", "grids.locate"),
    _cmd("grids officers", "data", "consultation", "grids.officers"),
    _cmd("grids assign", "data", "alteration", "grids.assign"),
    _cmd("disputes add", "personal", "collection", "disputes.add"),
    _cmd("disputes move", "personal", "alteration", "disputes.move"),
    _cmd("disputes show", "personal", "consultation", "disputes.show", purpose=True,
         note="purpose defaults to the dispute id"),
    _cmd("disputes list", "personal", "consultation", "disputes.list", purpose=True),
    _cmd("disputes import", "personal", "collection", "import.disputes"),
    _cmd("disputes place", "data", "alteration", "disputes.place"),
    _cmd("audit verify", "data", "consultation", "audit.verify"),
    _cmd("audit export", "personal", "disclosure", "audit.export", needs=("audit.read",),
         note="auditors only; records the recipient"),
    _cmd("users add", "personal", "permission", "users.add"),
    _cmd("users list", "personal", "consultation", "users.list"),
    _cmd("users role", "personal", "permission", "users.role"),
    _cmd("users disable", "personal", "permission", "users.disable"),
    _cmd("users passwd", "personal", "permission", "users.passwd"),
    _cmd("authorise", "data", "permission", "authorise.old_reads", needs=("authorise.old_reads",),
         note="supervisors only"),
    _cmd("retention run", "personal", "erasure", "retention.run"),
    _cmd("retention hold", "data", "alteration", "retention.hold"),
    _cmd("backup", "personal", "disclosure", "store.backup", note="recipient: the backup folder"),
    _cmd("restore", "personal", "alteration", "store.restore"),
    _cmd("simulate", "none", note="writes a synthetic county to files; no store"),
    _cmd("demo", "personal", "collection", "import.{kind}",
         note="simulates, imports (audited) and serves; creates the demo analyst"),
    _cmd("serve", "none", note="serves the API, whose routes are in the route table"),
)

COMMAND_TABLE: dict[str, CommandAccess] = {c.path: c for c in COMMANDS}


# --- the tables as Markdown, for docs/security.md ---------------------------------------------------------

ROLES = list(Role)


def role_table() -> str:
    """Permission × role, with what each permission allows."""
    head = "| permission | allows | " + " | ".join(r.value for r in ROLES) + " |"
    rule = "|---|---|" + "---|" * len(ROLES)
    rows = [f"| `{p}` | {what} | " + " | ".join("✓" if p in ROLE_PERMISSIONS[r] else "·" for r in ROLES) + " |"
            for p, what in PERMISSIONS.items()]
    return "\n".join([head, rule, *rows])


def expected_status(route: RouteAccess, role: Role | str | None) -> int:
    """What a call by ``role`` (None: no session) answers, before the body is looked at."""
    if route.public:
        return route.ok_status
    if role is None:
        return 401
    return route.ok_status if route.allows(role) else 403


def route_matrix() -> str:
    """Route × role: the status each role gets (401 without a session), what it records, and whether it needs a
    purpose and counts against the plate-query limit."""
    head = ("| route | needs | no session | " + " | ".join(r.value for r in ROLES)
            + " | audit entry | purpose | rate-limited |")
    rule = "|---|---|---|" + "---|" * len(ROLES) + "---|---|---|"
    rows = []
    for r in ROUTES:
        if r.public:
            continue
        statuses = " | ".join(str(expected_status(r, role)) for role in ROLES)
        needs = ", ".join(f"`{p}`" for p in r.needs) or "a session"
        audit = f"{r.audit[0]} `{r.audit[1]}`" if r.audit else "—"
        rows.append(f"| `{r.method} {r.path}` | {needs} | 401 | {statuses} | {audit} | "
                    f"{'yes' if r.purpose else '—'} | {'yes' if r.plate_limited else '—'} |")
    public = ", ".join(f"`{r.method} {r.path}`" for r in ROUTES if r.public)
    return "\n".join([head, rule, *rows, "", f"Public (no session): {public}."])


def command_table() -> str:
    head = "| command | touches | audit entry | purpose | role needed | note |"
    rule = "|---|---|---|---|---|---|"
    rows = []
    for c in sorted(COMMANDS, key=lambda c: c.path):
        audit = f"{c.action} `{c.operation}`" if c.operation else "—"
        needs = ", ".join(f"`{p}`" for p in c.needs) or "—"
        rows.append(f"| `pingan {c.path}` | {c.touches} | {audit} | {'yes' if c.purpose else '—'} | {needs} | "
                    f"{c.note} |")
    return "\n".join([head, rule, *rows])


SECTIONS = {"roles": role_table, "routes": route_matrix, "commands": command_table}


def render_into(text: str) -> str:
    """``text`` with each generated section (between ``<!-- surface:NAME -->`` and ``<!-- /surface:NAME -->``)
    rewritten from the tables."""
    for name, render in SECTIONS.items():
        pattern = re.compile(rf"(<!-- surface:{name} -->\n).*?(\n<!-- /surface:{name} -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"the document has no <!-- surface:{name} --> section")
        text = pattern.sub(lambda m, body=render(): m.group(1) + body + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the access tables of docs/security.md.")
    parser.add_argument("--write", type=Path, required=True, help="the Markdown file to update in place")
    args = parser.parse_args(argv)
    before = args.write.read_text(encoding="utf-8")
    after = render_into(before)
    if after != before:
        args.write.write_text(after, encoding="utf-8")
        print(f"updated {args.write}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
