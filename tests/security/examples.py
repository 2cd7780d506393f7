"""One good request for every non-public API route, on the county of tests/api/county.py.

A route without an example here fails the meta-tests, like a route without an entry in
:data:`pingan.governance.surface.ROUTES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.county import OFFENDER

CAMERAS_CSV = b"camera_id,lon,lat,name\nSEC1,118.81,32.06,new\nSEC2,118.82,32.07,\nBAD,999,32.0,out of range\n"


@dataclass(frozen=True)
class Example:
    url: str
    json: Any = None
    content: bytes | None = None
    #: The call ends the session it is made with: give it a session of its own.
    own_session: bool = False

    def call(self, client: TestClient, method: str, headers: dict[str, str] | None, **fill: Any) -> Response:
        url = self.url.format(**fill)
        client.cookies.clear()
        if self.content is not None:
            return client.request(method, url, headers=headers, content=self.content)
        return client.request(method, url, headers=headers, json=self.json)


def tactic(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "purpose": "C001"}


EXAMPLES: dict[tuple[str, str], Example] = {
    ("POST", "/api/logout"): Example("/api/logout", own_session=True),
    ("GET", "/api/me"): Example("/api/me"),
    ("GET", "/api/cameras"): Example("/api/cameras"),
    ("GET", "/api/cases"): Example("/api/cases?limit=5"),
    ("GET", "/api/cases/{case_id}"): Example("/api/cases/C001"),
    ("POST", "/api/suspects"): Example("/api/suspects", {"case_id": "C001", "top": 3}),
    ("POST", "/api/collide"): Example("/api/collide", {"case_ids": ["C001", "C002"], "top": 3}),
    ("POST", "/api/tactics/search"): Example("/api/tactics/search", tactic({"pattern": "苏A?23*"})),
    ("POST", "/api/tactics/trajectory"): Example("/api/tactics/trajectory", tactic({"plate": OFFENDER})),
    ("POST", "/api/tactics/stay-points"): Example("/api/tactics/stay-points", tactic({"plate": OFFENDER})),
    ("POST", "/api/tactics/companions"): Example("/api/tactics/companions", tactic({"plate": OFFENDER})),
    ("POST", "/api/tactics/cloned"): Example("/api/tactics/cloned", tactic({})),
    ("POST", "/api/tactics/night-active"): Example("/api/tactics/night-active", tactic({"min_reads": 3})),
    ("POST", "/api/tactics/first-seen"): Example("/api/tactics/first-seen", tactic({"case_id": "C001", "radius_km": 3})),
    ("POST", "/api/tactics/loitering"): Example("/api/tactics/loitering", tactic({"case_id": "C001"})),
    ("POST", "/api/reports/case"): Example("/api/reports/case", {"case_id": "C001", "recipient": "court", "top": 3}),
    ("GET", "/api/layers/roads"): Example("/api/layers/roads"),
    ("GET", "/api/layers/extent"): Example("/api/layers/extent"),
    ("GET", "/api/grids"): Example("/api/grids"),
    ("GET", "/api/grids/{grid_id}"): Example("/api/grids/G00"),
    ("GET", "/api/disputes"): Example("/api/disputes"),
    ("GET", "/api/forecast"): Example("/api/forecast?top=5"),
    ("GET", "/api/kpi"): Example("/api/kpi"),
    ("GET", "/api/kpi/records"): Example("/api/kpi/records?ref=period%3Dcurrent&limit=5"),
    ("GET", "/api/audit"): Example("/api/audit?limit=5"),
    ("GET", "/api/audit/summary"): Example("/api/audit/summary"),
    ("GET", "/api/audit/verify"): Example("/api/audit/verify"),
    ("POST", "/api/imports"): Example("/api/imports?kind=cameras&filename=cams.csv", content=CAMERAS_CSV),
    ("GET", "/api/imports/jobs/{job_id}"): Example("/api/imports/jobs/{job_id}"),
    ("GET", "/api/imports"): Example("/api/imports?limit=5"),
    ("GET", "/api/imports/{batch_id}/set-aside"): Example("/api/imports/{batch_id}/set-aside"),
}
