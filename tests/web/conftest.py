"""A served workbench on the test county, and Debian's chromium driven by Playwright.

The server is ``pingan serve``'s app (uvicorn) in a thread on a free port; the browser is the system's
``/usr/bin/chromium`` (installed by ``make system-deps``), never a browser downloaded by Playwright.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.county import PASSWORD, build_store

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Screenshots of the main views go to docs/screenshots when PINGAN_SCREENSHOTS=1 (`make screenshots`);
#: otherwise to a temporary folder, so that an ordinary test run leaves the committed images alone.
DOC_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SCREENSHOTS = DOC_SCREENSHOTS if os.environ.get("PINGAN_SCREENSHOTS") == "1" else \
    Path(tempfile.gettempdir()) / "pingan-screenshots"
VIEWPORT = {"width": 1400, "height": 900}

if not CHROMIUM.exists():
    pytest.skip("Debian chromium is not installed at /usr/bin/chromium; `make system-deps` installs it",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package (pip) is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The workbench's base URL, served on the test county until the session ends."""
    import uvicorn

    from pingan.api.app import create_app

    db = build_store(tmp_path_factory.mktemp("web-county"))
    port = free_port()
    config = uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="pingan-serve", daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the workbench server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    """A fresh browser context (no stored language, no session) on the workbench; console errors collected."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(20_000)
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
    pg.base = server  # type: ignore[attr-defined]
    yield pg
    context.close()


def login(pg, user: str = "ana") -> None:  # type: ignore[no-untyped-def]
    pg.goto(pg.base + "/")
    pg.wait_for_selector("#login")
    pg.fill("input[name=user]", user)
    pg.fill("input[name=password]", PASSWORD)
    pg.click("#login button[type=submit]")
    pg.wait_for_selector("body[data-ready='1']:not([data-view='login'])")


def goto(pg, route: str) -> None:  # type: ignore[no-untyped-def]
    pg.evaluate(f"location.hash = {route!r}")
    pg.wait_for_function(f"document.body.dataset.view === {route.split('/')[1]!r} && document.body.dataset.ready === '1'")


def shoot(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.wait_for_timeout(300)  # let the map finish drawing
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
