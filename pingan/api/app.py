"""The REST API: thin routes over the library, one JSON error shape."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from pingan import __version__
from pingan.errors import NotFound, PinganError
from pingan.store.db import Store, open_store
from pingan.timeutil import iso_local


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one JSON shape of every error the API returns."""
    return {"error": {"code": code, "message": message}}


class StoreHolder:
    """One open store per app; each request gets its own cursor (DuckDB cursors are per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = open_store(self.path)
            return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def create_app(db: Path) -> FastAPI:
    app = FastAPI(title="pingan", version=__version__,
                  description="平安 pingan: crime analysis for a city police force.")
    holder = StoreHolder(db)
    app.state.store_holder = holder

    def request_store() -> Iterator[Store]:
        base = holder.get()
        cursor = base.con.cursor()
        try:
            yield Store(path=base.path, con=cursor, timezone=base.timezone)
        finally:
            cursor.close()

    StoreDep = Annotated[Store, Depends(request_store)]

    @app.exception_handler(PinganError)
    async def pingan_error(_: Request, exc: PinganError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid value')}." if where else "The request is not valid."
        return JSONResponse(error_body("bad_input", message), status_code=422)

    @app.get("/health")
    def health(store: StoreDep) -> dict[str, Any]:
        counts = {
            table: store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in ("cameras", "reads", "cases", "watchlist", "grids")
        }
        return {"status": "ok", "version": __version__, "store": str(holder.path), "counts": counts}

    @app.get("/api/cameras")
    def cameras(store: StoreDep) -> dict[str, Any]:
        rows = store.con.execute(
            "SELECT camera_id, lon, lat, kind, name, road FROM cameras ORDER BY camera_id"
        ).fetchall()
        keys = ("camera_id", "lon", "lat", "kind", "name", "road")
        return {"cameras": [dict(zip(keys, row, strict=True)) for row in rows]}

    @app.get("/api/cases")
    def cases(
        store: StoreDep,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        total = store.con.execute("SELECT count(*) FROM cases").fetchone()[0]  # type: ignore[index]
        rows = store.con.execute(
            "SELECT case_id, category, lon, lat, start_ts, end_ts, status, description FROM cases "
            "ORDER BY start_ts DESC, case_id LIMIT ? OFFSET ?", [limit, offset]
        ).fetchall()
        return {"total": total, "limit": limit, "offset": offset, "cases": [_case_json(r) for r in rows]}

    @app.get("/api/cases/{case_id}")
    def case(store: StoreDep, case_id: str) -> dict[str, Any]:
        row = store.con.execute(
            "SELECT case_id, category, lon, lat, start_ts, end_ts, status, description FROM cases WHERE case_id = ?",
            [case_id],
        ).fetchone()
        if row is None:
            raise NotFound(f"There is no case {case_id!r}; list cases at /api/cases.")
        return _case_json(row)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return (Path(__file__).parent.parent / "web" / "index.html").read_text(encoding="utf-8")

    @app.on_event("shutdown")
    def close_store() -> None:
        holder.close()

    return app


def _case_json(row: tuple[Any, ...]) -> dict[str, Any]:
    case_id, category, lon, lat, start, end, status, description = row
    return {"case_id": case_id, "category": category, "lon": lon, "lat": lat,
            "start": iso_local(start), "end": iso_local(end), "status": status, "description": description}
