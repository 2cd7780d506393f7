"""Imports over the API: upload a file (the browser shows upload progress), import it in the background,
follow the job, then list batches and the rows set aside with their reasons.

The upload is the request body itself (``Content-Type: application/octet-stream``), streamed to a
temporary file: no multipart parser is needed and a large reads file never sits in memory. The import
runs in a worker thread under the store's write lock and is audited as a collection.
"""

from __future__ import annotations

import inspect
import json
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from pingan.api.deps import CurrentUser, StoreDep, StoreHolder
from pingan.api.routes.tactics import NotAvailable, library
from pingan.errors import BadInput, NotFound, PinganError
from pingan.governance.audit import Actor, audited_import, record
from pingan.store.db import Store
from pingan.timeutil import iso_local

router = APIRouter(prefix="/api/imports", tags=["imports"])

KINDS = ("cameras", "reads", "watchlist", "cases", "grids", "officers", "disputes")
SUFFIXES = (".csv", ".parquet", ".geojson", ".json", ".txt", ".tsv")
MAX_BYTES = 4 * 1024**3
KEEP_JOBS = 50


@dataclass
class ImportJob:
    job_id: str
    kind: str
    filename: str
    user: str
    state: str = "receiving"  # receiving | importing | done | failed
    bytes: int = 0
    progress: float | None = None  # share of the import done, when the importer reports it
    started: float = field(default_factory=time.time)
    finished: float | None = None
    report: dict[str, Any] | None = None
    error: dict[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "kind": self.kind, "filename": self.filename, "user": self.user,
                "state": self.state, "bytes": self.bytes,
                "progress": None if self.progress is None else round(self.progress, 3),
                "seconds": round((self.finished or time.time()) - self.started, 2),
                "report": self.report, "error": self.error}


def _jobs(request: Request) -> dict[str, ImportJob]:
    jobs: dict[str, ImportJob] | None = getattr(request.app.state, "import_jobs", None)
    if jobs is None:
        jobs = {}
        request.app.state.import_jobs = jobs
    return jobs


def report_json(report: Any) -> dict[str, Any]:
    """An importer's report as JSON, whatever shape the importer gives it."""
    for method in ("to_json", "to_dict"):
        if hasattr(report, method):
            value = getattr(report, method)()
            if isinstance(value, dict):
                return value
    out = {name: getattr(report, name) for name in ("batch_id", "kind", "rows_total", "accepted", "set_aside",
                                                     "already_stored") if hasattr(report, name)}
    if hasattr(report, "summary"):
        out["summary"] = report.summary()
    return json.loads(json.dumps(out, default=str))


def _run_import(holder: StoreHolder, job: ImportJob, path: Path, actor: Actor) -> None:
    cursor = None
    try:
        lib = library("pingan.store.importers", "Importing files", needs=("import_file",))
        base = holder.get()
        cursor = base.con.cursor()
        store = Store(path=base.path, con=cursor, timezone=base.timezone)
        kwargs: dict[str, Any] = {"user": actor.user}
        if "progress" in inspect.signature(lib.import_file).parameters:
            def progress(done: int, total: int = 0, *_: Any) -> None:
                job.progress = min(1.0, done / total) if total else None
            kwargs["progress"] = progress
        with holder.write_lock:
            job.state = "importing"
            report = audited_import(store, actor, job.kind, path, **kwargs)
        job.report = report_json(report)
        if job.kind == "reads" and getattr(report, "accepted", 0):
            from pingan.anpr.summaries import summarise_import  # after the import committed, as the CLI does

            with holder.write_lock:  # the job stays "importing" until its days are summarised
                try:
                    job.report["derived"] = summarise_import(store, actor, report.batch_id).to_json()
                except Exception as exc:  # the reads are stored; their days stay stale, answered from raw reads
                    job.report["derived_error"] = f"Summaries not built ({type(exc).__name__}); run pingan summaries."
        job.state = "done"
    except PinganError as exc:
        job.error = {"code": exc.code, "message": exc.message}
        job.state = "failed"
    except Exception as exc:  # the job must end in a state the browser can show
        job.error = {"code": "internal", "message": f"The import failed unexpectedly ({type(exc).__name__})."}
        job.state = "failed"
    finally:
        if cursor is not None:
            cursor.close()
        job.finished = time.time()
        shutil.rmtree(path.parent, ignore_errors=True)


@router.post("", status_code=202, responses={202: {"description": "the import job, to follow at /api/imports/jobs/ID"}},
             openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                 "schema": {"type": "string", "format": "binary"}}}}})
async def upload(request: Request, principal: CurrentUser,
                 kind: Annotated[str, Query(description=f"one of {', '.join(KINDS)}")],
                 filename: Annotated[str, Query(min_length=1, max_length=200,
                                                description="the file's name; its suffix says its format")]) -> JSONResponse:
    """Upload one file as the request body and import it in the background; answers the job to follow."""
    principal.need("data.import")
    if kind not in KINDS:
        raise BadInput(f"The kind was '{kind}' but must be one of {', '.join(KINDS)}.")
    name = Path(filename).name
    if not name or "\x00" in name or Path(name).suffix.lower() not in SUFFIXES:
        raise BadInput(f"The file name '{filename}' must end in one of {', '.join(SUFFIXES)}, so its format is known.")
    library("pingan.store.importers", "Importing files", needs=("import_file",))  # say so before receiving a large file
    job = ImportJob(uuid.uuid4().hex[:12], kind, name, principal.user)
    jobs = _jobs(request)
    folder = Path(tempfile.mkdtemp(prefix="pingan-upload-"))
    path = folder / name
    try:
        with path.open("wb") as out:
            async for chunk in request.stream():
                job.bytes += len(chunk)
                if job.bytes > MAX_BYTES:
                    raise BadInput(f"The file is larger than {MAX_BYTES // 1024**3} GiB; import it with "
                                   "`pingan import` on the server instead.")
                out.write(chunk)
        if job.bytes == 0:
            raise BadInput("The upload was empty: send the file's bytes as the request body.")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    jobs[job.job_id] = job
    for old in sorted(jobs.values(), key=lambda j: j.started)[:-KEEP_JOBS]:
        jobs.pop(old.job_id, None)
    holder: StoreHolder = request.app.state.store_holder
    threading.Thread(target=_run_import, args=(holder, job, path, principal.actor("import")),
                     name=f"import-{job.job_id}", daemon=True).start()
    return JSONResponse(job.to_json(), status_code=202)


@router.get("/jobs/{job_id}")
def job_status(job_id: str, request: Request, principal: CurrentUser) -> dict[str, Any]:
    """Where an import job is: receiving, importing (with the share done when the importer says), done or failed."""
    principal.need("data.import")
    job = _jobs(request).get(job_id)
    if job is None:
        raise NotFound(f"There is no import job {job_id!r}; jobs are kept until the server restarts.")
    return job.to_json()


@router.get("")
def batches(store: StoreDep, principal: CurrentUser, limit: Annotated[int, Query(ge=1, le=1000)] = 50,
            offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    """Import batches, newest first: what was accepted, set aside and already stored."""
    principal.need("data.import")
    total = store.con.execute("SELECT count(*) FROM import_batches").fetchone()[0]  # type: ignore[index]
    rows = store.con.execute(
        "SELECT batch_id, kind, file, file_format, user_name, started_at, finished_at, rows_total, accepted, "
        "set_aside, already_stored FROM import_batches ORDER BY batch_id DESC LIMIT ? OFFSET ?",
        [limit, offset]).fetchall()
    keys = ("batch_id", "kind", "file", "format", "user", "started", "finished", "rows_total", "accepted",
            "set_aside", "already_stored")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["file"] = Path(str(item["file"])).name
        item["started"], item["finished"] = iso_local(item["started"]), iso_local(item["finished"])
        out.append(item)
    record(store, principal.actor(), action="consultation", operation="imports.list",
           params={"offset": offset}, touched=len(out))
    return {"total": total, "limit": limit, "offset": offset, "batches": out}


@router.get("/{batch_id}/set-aside")
def set_aside(batch_id: int, store: StoreDep, principal: CurrentUser,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100,
              offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0) -> dict[str, Any]:
    """The rows of one batch set aside, with the reason for each, a page at a time."""
    principal.need("data.import")
    if not store.con.execute("SELECT 1 FROM import_batches WHERE batch_id = ?", [batch_id]).fetchone():
        raise NotFound(f"There is no import batch {batch_id}; list batches at /api/imports.")
    total = store.con.execute("SELECT count(*) FROM set_aside WHERE batch_id = ?", [batch_id]).fetchone()[0]  # type: ignore[index]
    rows = store.con.execute(
        "SELECT row_number, reason, row_json FROM set_aside WHERE batch_id = ? ORDER BY row_number LIMIT ? OFFSET ?",
        [batch_id, limit, offset]).fetchall()
    record(store, principal.actor(), action="consultation", operation="imports.set_aside",
           params={"batch_id": batch_id, "offset": offset}, touched=len(rows))
    return {"batch_id": batch_id, "total": total, "limit": limit, "offset": offset,
            "rows": [{"row": r[0], "reason": r[1], "values": json.loads(r[2])} for r in rows]}


__all__ = ["router", "NotAvailable"]
