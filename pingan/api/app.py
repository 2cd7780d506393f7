"""The REST API: thin routes over the library, one JSON error shape, authenticated users."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from pingan import __version__
from pingan.api.deps import StoreHolder
from pingan.errors import PinganError

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


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one JSON shape of every error the API returns."""
    return {"error": {"code": code, "message": message}}


def create_app(db: Path) -> FastAPI:
    app = FastAPI(title="pingan", version=__version__,
                  description="平安 pingan: crime analysis for a city police force. Log in at /api/login; "
                              "send the token as 'Authorization: Bearer TOKEN'.")
    holder = StoreHolder(Path(db))
    app.state.store_holder = holder

    @app.exception_handler(PinganError)
    async def pingan_error(_: Request, exc: PinganError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        message = f"{where}: {first.get('msg', 'invalid value')}." if where else "The request is not valid."
        return JSONResponse(error_body("bad_input", message), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body("internal", f"pingan failed unexpectedly ({type(exc).__name__}); "
                                                  "the error is logged."), status_code=500)

    for name in ROUTE_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a capability not built yet
                continue
            raise
        app.include_router(module.router)

    @app.on_event("shutdown")
    def close_store() -> None:
        holder.close()

    return app
