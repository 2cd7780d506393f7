"""The workbench: its page, its own scripts and dictionaries, and the npm packages it uses, all served
from this machine (no CDN, no online tiles).

``/static/…`` is ``pingan/web/static``; ``/vendor/NAME/…`` is the ``dist`` folder of an npm package that
``make web`` installed into ``pingan/web/node_modules`` from ``package-lock.json``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from pingan.errors import NotFound

router = APIRouter(include_in_schema=False)
WEB = Path(__file__).resolve().parent.parent.parent / "web"
STATIC = WEB / "static"
#: npm packages the page may load, and the folder of each that is served.
VENDOR = {
    "leaflet": WEB / "node_modules" / "leaflet" / "dist",
    "chart.js": WEB / "node_modules" / "chart.js" / "dist",
}
TYPES = {".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json; charset=utf-8",
         ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json"}


def _inside(root: Path, relative: str) -> Path:
    """The file ``relative`` under ``root``; NotFound for anything outside it or missing."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()) or not target.is_file():
        raise NotFound(f"There is no file {relative!r} here.")
    return target


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return HTMLResponse((WEB / "index.html").read_text(encoding="utf-8"), headers={"Cache-Control": "no-cache"})


@router.get("/static/{path:path}")
def static(path: str) -> FileResponse:
    target = _inside(STATIC, path)
    return FileResponse(target, media_type=TYPES.get(target.suffix), headers={"Cache-Control": "no-cache"})


@router.get("/vendor/{package}/{path:path}")
def vendor(package: str, path: str) -> FileResponse:
    root = VENDOR.get(package)
    if root is None:
        raise NotFound(f"The workbench serves no package {package!r}.")
    if not root.is_dir():
        raise NotFound(f"The npm package {package} is not installed; run `make web` (npm ci in pingan/web).")
    target = _inside(root, path)
    return FileResponse(target, media_type=TYPES.get(target.suffix),
                        headers={"Cache-Control": "public, max-age=86400"})
