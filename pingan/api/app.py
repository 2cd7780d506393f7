"""The REST API: thin routes over the library, one JSON error shape, authenticated users.

Around the routes: a cap on request bodies (uploads and everything else, see
:mod:`pingan.governance.limits`), a per-user limit on plate queries, and a refusal to start on a store
that has no account anyone could log in with.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pingan import __version__
from pingan.api.deps import PlateQueryLimit, StoreHolder
from pingan.errors import PinganError
from pingan.governance.limits import Limits, RateLimited, plate_query_buckets, too_large_message
from pingan.governance.users import check_can_serve

#: Route modules, one capability each; each exposes ``router``.
ROUTE_MODULES = [
    "pingan.api.routes.auth",
    "pingan.api.routes.cases",
    "pingan.api.routes.anpr",
    "pingan.api.routes.tactics",
    "pingan.api.routes.grids",
    "pingan.api.routes.forecast",
    "pingan.api.routes.audit",
    "pingan.api.routes.kpi",
    "pingan.api.routes.reports",
    "pingan.api.routes.imports",
    "pingan.api.routes.web",
]

#: Route modules whose every route is a plate query, counted against each user's limit per minute.
PLATE_QUERY_MODULES = {"pingan.api.routes.anpr", "pingan.api.routes.tactics"}
#: The one route that takes a file upload as its body (the larger limit applies).
UPLOAD = ("POST", "/api/imports")


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one JSON shape of every error the API returns."""
    return {"error": {"code": code, "message": message}}


class BodyTooLarge(HTTPException):
    """A body that grew past the limit while it was being received (no Content-Length to refuse it by)."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


class BodyLimit:
    """Refuse request bodies over the limit: at once by Content-Length, or as soon as a streamed body passes it."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = (scope["method"], scope["path"].rstrip("/")) == UPLOAD
        limit = self.limits.max_upload_bytes if upload else self.limits.max_body_bytes
        message = too_large_message(limit, upload)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await JSONResponse(error_body("too_large", message), status_code=413)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(message)
            return event

        await self.app(scope, limited, send)


def create_app(db: Path, *, limits: Limits | None = None) -> FastAPI:
    """The API over the store ``db``; refuses a store without an account anyone could log in with."""
    limits = limits or Limits()
    holder = StoreHolder(Path(db))
    check_can_serve(holder.get())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        from pingan.anpr.ranking import Ranker

        Ranker.default().warm()  # load (and compile) the suspect model before the first case, not during it
        yield
        holder.close()

    app = FastAPI(title="pingan", version=__version__, lifespan=lifespan,
                  description="平安 pingan: crime analysis for a city police force. Log in at /api/login; "
                              "send the token as 'Authorization: Bearer TOKEN'.")
    app.state.store_holder = holder
    app.state.limits = limits
    app.state.plate_queries = plate_query_buckets(limits)
    app.add_middleware(BodyLimit, limits=limits)

    @app.exception_handler(PinganError)
    async def pingan_error(_: Request, exc: PinganError) -> JSONResponse:
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))} if isinstance(exc, RateLimited) else None
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        message = f"{where}: {first.get('msg', 'invalid value')}." if where else "The request is not valid."
        return JSONResponse(error_body("bad_input", message), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "bad_input", 404: "not_found", 405: "method_not_allowed",
                413: "too_large"}.get(exc.status_code, "error")
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = "The request body cannot be read as JSON; send one JSON object (UTF-8) with the route's fields."
        return JSONResponse(error_body(code, message), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body("internal", f"pingan failed unexpectedly ({type(exc).__name__}); "
                                                  "the error is logged."), status_code=500)

    for name in ROUTE_MODULES:
        module = importlib.import_module(name)
        limited = [PlateQueryLimit] if name in PLATE_QUERY_MODULES else []
        app.include_router(module.router, dependencies=limited)

    return app
