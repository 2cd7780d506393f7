"""A case report to attach to a case file: HTML, or PDF printed from it by Debian's chromium.

The report holds the scene and the radius on a map (inline SVG drawn from the county's own roads and
cameras, so it needs no internet), the ranked suspects with their scores and reasons, their reads, the
query parameters, and the audit reference (sequence number and hash of the disclosure entry).

Exporting a report discloses personal data: :func:`export_case_report` runs the suspects query under
audit (consultation), then records the disclosure with its recipient before handing anything out.
"""

from __future__ import annotations

import html
import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from shapely.geometry import shape

from pingan.anpr.cases import load_case
from pingan.anpr.suspects import SuspectQuery, SuspectsResult, suspects
from pingan.errors import BadInput, PinganError
from pingan.governance.audit import Actor, AuditEntry, audited, record
from pingan.governance.purpose import check_old_reads
from pingan.reports.basemap import roads
from pingan.store.db import Store
from pingan.timeutil import iso_local

Format = Literal["html", "pdf"]
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Suspects drawn on the map and given their reads in full.
MAP_SUSPECTS = 5
COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e"]


class Unavailable(PinganError):
    """A capability that needs something this machine does not have."""

    status = 503
    code = "unavailable"


@dataclass
class ExportedReport:
    content: bytes
    media_type: str
    filename: str
    audit: AuditEntry


def chromium_path() -> str | None:
    """Debian's chromium, if installed."""
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def export_case_report(store: Store, actor: Actor, query: SuspectQuery, *, recipient: str,
                       fmt: Format = "html", authorisation: str | None = None) -> ExportedReport:
    """Rank the case's suspects, record the disclosure to ``recipient``, and render the report.

    Like the suspects query itself, a report over reads older than 90 days needs a supervisor's
    ``authorisation`` reference.
    """
    recipient = (recipient or "").strip()
    if not recipient:
        raise BadInput("A report is a disclosure: name its recipient (who will receive the report).")
    if fmt not in ("html", "pdf"):
        raise BadInput(f"The format was {fmt!r} but must be 'html' or 'pdf'.")
    if fmt == "pdf" and chromium_path() is None:
        raise Unavailable("A PDF needs Debian's chromium, which is not installed here (apt-get install chromium); "
                          "export HTML instead.")
    case = load_case(store, query.case_id)
    check_old_reads(store, actor, case.start - query.pad - timedelta(days=query.history.days), authorisation,
                    operation="report.case")
    params = {"case_id": query.case_id, "radius_km": query.radius_km,
              "pad_hours": query.pad.total_seconds() / 3600, "top": query.top}
    with audited(store, actor, action="consultation", operation="anpr.suspects", params=params) as audit:
        result = suspects(store, query)
        audit.touched = result.vehicles_seen
    reads = sum(len(c.reads) for c in result.candidates)
    entry = record(store, actor, action="disclosure", operation="report.case",
                   params={**params, "format": fmt, "recipient": recipient,
                           "candidates": len(result.candidates), "reads": reads},
                   touched=len(result.candidates))
    document = render_html(store, result, entry=entry, actor=actor, recipient=recipient)
    name = f"case-report-{_safe(query.case_id)}-{entry.seq}"
    if fmt == "html":
        return ExportedReport(document.encode("utf-8"), "text/html; charset=utf-8", f"{name}.html", entry)
    try:
        pdf = print_pdf(document)
    except PinganError as exc:
        record(store, actor, action="disclosure", operation="report.case",
               params={**params, "format": fmt, "recipient": recipient, "error": exc.message,
                       "disclosure_seq": entry.seq}, outcome="failed")
        raise
    return ExportedReport(pdf, "application/pdf", f"{name}.pdf", entry)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:64]


def print_pdf(document: str, timeout: float = 60.0) -> bytes:
    """Print an HTML document to PDF with headless chromium (no network, a throwaway profile)."""
    browser = chromium_path()
    if browser is None:
        raise Unavailable("A PDF needs Debian's chromium, which is not installed here (apt-get install chromium).")
    with tempfile.TemporaryDirectory(prefix="pingan-report-") as tmp:
        source, target = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        source.write_text(document, encoding="utf-8")
        command = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--disable-extensions", f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer",
                   f"--print-to-pdf={target}", source.as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise Unavailable(f"chromium did not print the report within {timeout:.0f} s; try again or export HTML.") from None
        if not target.is_file() or target.stat().st_size == 0:
            raise Unavailable("chromium could not print the report to PDF; export HTML instead.")
        return target.read_bytes()


# --- rendering -----------------------------------------------------------------------------------------

def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class _Projection:
    """Local kilometres around the scene, scaled to an SVG of ``size`` pixels."""

    def __init__(self, lon0: float, lat0: float, half_km: float, size: int = 640) -> None:
        self.lon0, self.lat0, self.half_km, self.size = lon0, lat0, half_km, size
        self.kx = 111.320 * math.cos(math.radians(lat0))
        self.ky = 110.574

    def km(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = self.km(lon, lat)
        s = self.size / (2 * self.half_km)
        return round(self.size / 2 + x * s, 1), round(self.size / 2 - y * s, 1)

    def bbox(self) -> tuple[float, float, float, float]:
        dlon, dlat = self.half_km / self.kx, self.half_km / self.ky
        return self.lon0 - dlon, self.lat0 - dlat, self.lon0 + dlon, self.lat0 + dlat

    def px(self, km: float) -> float:
        return round(km * self.size / (2 * self.half_km), 1)


def map_svg(store: Store, result: SuspectsResult, size: int = 640) -> str:
    """The scene, its radius and cameras, the roads around, and the top suspects' reads, as inline SVG."""
    scene = result.area
    proj = _Projection(scene.lon, scene.lat, result.query.radius_km * 1.15, size)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
             'role="img" aria-label="map of the scene" class="map">',
             f'<rect width="{size}" height="{size}" fill="#f4f6f8"/>']
    from shapely.geometry import box as shapely_box

    frame = shapely_box(*proj.bbox())
    for feature in roads(store).get("features", []):
        try:
            geom = shape(feature["geometry"]).intersection(frame)
        except Exception:  # a broken road geometry must not stop a report
            continue
        lines = getattr(geom, "geoms", [geom])
        for line in lines:
            if line.is_empty or not hasattr(line, "coords"):
                continue
            pts = " ".join(f"{x},{y}" for x, y in (proj.xy(lon, lat) for lon, lat in line.coords))
            parts.append(f'<polyline points="{pts}" fill="none" stroke="#c3c9d1" stroke-width="2"/>')
    cx, cy = proj.xy(scene.lon, scene.lat)
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="{proj.px(result.query.radius_km)}" fill="#2a6fdb" '
                 'fill-opacity="0.06" stroke="#2a6fdb" stroke-dasharray="6 4"/>')
    cams = store.con.execute("SELECT camera_id, lon, lat FROM cameras WHERE kind = 'anpr'").fetchall()
    inside = set(result.area.camera_ids)
    positions = {cid: (lon, lat) for cid, lon, lat in cams}
    for cid, lon, lat in cams:
        x, y = proj.xy(lon, lat)
        if not (0 <= x <= size and 0 <= y <= size):
            continue
        fill = "#2a6fdb" if cid in inside else "#9aa5b1"
        parts.append(f'<rect x="{x - 3}" y="{y - 3}" width="6" height="6" fill="{fill}"><title>{_e(cid)}</title></rect>')
    for i, cand in enumerate(result.candidates[:MAP_SUSPECTS]):
        colour = COLOURS[i % len(COLOURS)]
        pts = [proj.xy(*positions[r["camera_id"]]) for r in cand.reads if r["camera_id"] in positions]
        if len(pts) > 1:
            parts.append(f'<polyline points="{" ".join(f"{x},{y}" for x, y in pts)}" fill="none" stroke="{colour}" '
                         'stroke-width="2" stroke-opacity="0.8"/>')
        for x, y in pts:
            parts.append(f'<circle cx="{x}" cy="{y}" r="4" fill="{colour}"/>')
        if pts:
            x, y = pts[-1]
            parts.append(f'<text x="{x + 6}" y="{y - 6 - 13 * i}" font-size="12" fill="{colour}">{cand.rank}. {_e(cand.plate)}</text>')
    parts.append(f'<path d="M{cx},{cy - 11} L{cx + 9},{cy + 7} L{cx - 9},{cy + 7} Z" fill="#000"/>')
    parts.append(f'<text x="{cx + 12}" y="{cy + 4}" font-size="13" font-weight="bold">{_e(result.case.case_id)}</text>')
    bar_km = 1.0 if result.query.radius_km <= 6 else 5.0
    parts.append(f'<line x1="16" y1="{size - 16}" x2="{16 + proj.px(bar_km)}" y2="{size - 16}" stroke="#000" stroke-width="3"/>'
                 f'<text x="16" y="{size - 22}" font-size="12">{bar_km:g} km</text>')
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", system-ui, sans-serif;
       color: #111; margin: 24px; font-size: 12px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #ccc; padding: 3px 5px; text-align: left;
vertical-align: top; } th { background: #eef1f4; } .meta td:first-child { width: 28%; color: #444; }
.map { display: block; margin: 6px auto; border: 1px solid #ccc; max-width: 100%; height: auto; }
ul { margin: 0; padding-left: 16px; } .mono { font-family: monospace; word-break: break-all; }
.watch { color: #b00; font-weight: bold; } .foot { margin-top: 18px; color: #555; font-size: 11px; }
@page { size: A4; margin: 14mm; } tr { page-break-inside: avoid; }
"""


def render_html(store: Store, result: SuspectsResult, *, entry: AuditEntry, actor: Actor, recipient: str) -> str:
    """The report as one self-contained HTML document (no external resources)."""
    case, q = result.case, result.query
    row = store.con.execute("SELECT description, status FROM cases WHERE case_id = ?", [case.case_id]).fetchone()
    description, status = row if row else (None, None)
    generated = iso_local(entry.at_utc) or datetime.now(UTC).isoformat()
    meta = [
        ("案件编号 Case", case.case_id), ("类别 Category", case.category), ("描述 Description", description),
        ("状态 Status", status), ("案发时段 Offence window", f"{iso_local(case.start)} — {iso_local(case.end)}"),
        ("现场 Scene (lon, lat)", f"{case.lon:.6f}, {case.lat:.6f}"),
    ]
    params = [
        ("半径 Radius", f"{q.radius_km:g} km"), ("时间余量 Pad", f"{q.pad.total_seconds() / 3600:g} h"),
        ("查询时段 Query window", f"{result.window.to_json()['start']} — {result.window.to_json()['end']}"),
        ("卡口 Cameras in radius", f"{len(result.area.camera_ids)}: {', '.join(result.area.camera_ids)}"),
        ("过车车辆 Vehicles seen", result.vehicles_seen), ("列出 Listed", q.top if q.top else "all"),
    ]
    disclosure = [
        ("导出人 Exported by", f"{actor.user} ({actor.role or 'no role'})"), ("接收方 Recipient", recipient),
        ("目的 Purpose", actor.purpose), ("时间 Generated", generated),
        ("审计序号 Audit entry", f"#{entry.seq} ({entry.action}, {entry.operation})"),
        ("审计哈希 Audit hash", entry.hash),
    ]

    def meta_table(rows: list[tuple[str, Any]]) -> str:
        return "<table class='meta'>" + "".join(
            f"<tr><td>{_e(k)}</td><td{' class=mono' if 'hash' in k.lower() else ''}>{_e(v)}</td></tr>"
            for k, v in rows) + "</table>"

    suspects_rows = []
    for cand in result.candidates:
        watch = cand.watchlist.to_json() if cand.watchlist else None
        watch_text = (f"<span class='watch'>{_e(watch['list'])}: {_e(watch['person_id'])} "
                      f"({_e(', '.join(watch['categories']))}, {_e(watch['match'])})</span>") if watch else "—"
        reasons = "".join(f"<li>{_e(r)}</li>" for r in cand.reasons)
        suspects_rows.append(f"<tr><td>{cand.rank}</td><td><b>{_e(cand.plate)}</b></td><td>{cand.score:.3f}</td>"
                             f"<td>{watch_text}</td><td><ul>{reasons}</ul></td><td>{len(cand.reads)}</td></tr>")
    reads_rows = []
    for cand in result.candidates[:MAP_SUSPECTS]:
        for read in cand.reads:
            conf = read.get("confidence")
            reads_rows.append(f"<tr><td>{cand.rank}</td><td>{_e(cand.plate)}</td><td>{_e(read['camera_id'])}</td>"
                              f"<td>{_e(read['ts'])}</td><td>{_e(read.get('plate_raw'))}</td>"
                              f"<td>{'' if conf is None else f'{conf:.2f}'}</td></tr>")
    others = len(result.candidates) - min(len(result.candidates), MAP_SUSPECTS)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>案件分析报告 {_e(case.case_id)}</title>
<style>{STYLE}</style></head><body>
<h1>案件分析报告 Case analysis report — {_e(case.case_id)}</h1>
<div>平安 pingan · {_e(generated)} · 审计 audit #{entry.seq}</div>
<h2>案件 Case</h2>{meta_table(meta)}
<h2>地图 Map</h2>{map_svg(store, result)}
<div style="text-align:center;color:#555">▲ 现场 scene · ■ 半径内卡口 cameras in the radius (grey: outside) ·
彩色线 coloured lines: reads of the top {min(MAP_SUSPECTS, len(result.candidates))} suspects</div>
<h2>查询参数 Query parameters</h2>{meta_table(params)}
<h2>嫌疑车辆排序 Ranked suspects ({len(result.candidates)})</h2>
<table><tr><th>#</th><th>号牌 Plate</th><th>得分 Score</th><th>布控名单 Watchlist</th><th>理由 Reasons</th>
<th>过车 Reads</th></tr>{''.join(suspects_rows) or '<tr><td colspan=6>无 none</td></tr>'}</table>
<h2>过车记录 Reads of the top suspects</h2>
<table><tr><th>#</th><th>号牌 Plate</th><th>卡口 Camera</th><th>时间 Time</th><th>原始识别 As read</th>
<th>置信度 Confidence</th></tr>{''.join(reads_rows) or '<tr><td colspan=6>无 none</td></tr>'}</table>
{f'<p>另有 {others} 辆车的过车记录见查询结果。 Reads of the other {others} vehicles are in the query result.</p>' if others else ''}
<h2>披露与审计 Disclosure and audit</h2>{meta_table(disclosure)}
<p class="foot">本报告的导出已记入审计日志（第 {entry.seq} 条）；用 <code>pingan audit verify</code> 可核验审计链未被篡改。
This export is recorded in the audit log as entry {entry.seq}; <code>pingan audit verify</code> checks that the chain
is intact. Scores rank vehicles for investigation; they are not evidence of guilt.</p>
</body></html>"""
