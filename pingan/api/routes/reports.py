"""Case reports: HTML or PDF, to attach to a case file. An export is a disclosure, audited with its recipient."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from pingan.anpr.suspects import SuspectQuery
from pingan.api.deps import CurrentUser, StoreDep
from pingan.reports.case_report import export_case_report
from pingan.timeutil import parse_duration

router = APIRouter(prefix="/api/reports", tags=["reports"])


class CaseReportBody(BaseModel):
    case_id: str = Field(min_length=1, max_length=128)
    recipient: str = Field(min_length=1, max_length=200, description="who receives the report (audited)")
    format: Literal["html", "pdf"] = "html"
    radius_km: float = Field(default=5.0, gt=0, le=50)
    pad: str = Field(default="2h", max_length=16)
    top: int | None = Field(default=20, ge=1, le=1000)
    purpose: str | None = Field(default=None, max_length=500, description="defaults to the case id")
    authorisation: str | None = Field(default=None, max_length=64,
                                      description="a supervisor's reference, needed for reads older than 90 days")


@router.post("/case", responses={200: {"content": {"text/html": {}, "application/pdf": {}},
                                       "description": "the report, as an attachment"}})
def case_report_route(body: CaseReportBody, store: StoreDep, principal: CurrentUser) -> Response:
    """The case's report: map, ranked suspects with reasons, their reads, the query and the audit reference."""
    principal.need("anpr.query")
    principal.need("anpr.export")
    query = SuspectQuery(case_id=body.case_id, radius_km=body.radius_km, pad=parse_duration(body.pad, name="pad"),
                         top=body.top)
    report = export_case_report(store, principal.actor(body.purpose or body.case_id), query,
                                recipient=body.recipient, fmt=body.format,
                                authorisation=body.authorisation)
    disposition = f"attachment; filename=\"{report.filename}\"; filename*=UTF-8''{quote(report.filename)}"
    return Response(report.content, media_type=report.media_type,
                    headers={"Content-Disposition": disposition, "X-Audit-Seq": str(report.audit.seq),
                             "X-Audit-Hash": report.audit.hash})
