"""How fast the workbench is: first page interactive, and a case's suspects, on the demo county.

    python bench/web_speed.py                 # the simulated demo county (20,000 vehicles, 14 days)
    python bench/web_speed.py --county test   # the small hand-built county of the tests

The server is the app ``pingan serve`` runs (uvicorn, in a thread); the browser is Debian's chromium
driven by Playwright. Figures are written into the "Measured" section of docs/workbench.md.

* **first page interactive**: from navigation start to the cases view drawn and usable (the page sets
  ``body[data-ready=1]`` when the view has rendered: map, base layers, the first page of cases), with a
  logged-in session, median of ``--runs`` loads in a fresh page each (the browser's cache warm, as for an
  analyst who used the workbench before); also the login page, cold.
* **a case's suspects**: the POST /api/suspects request end to end over HTTP (authentication, old-reads
  check, ranking, audit entry, JSON), median and 95th percentile over the cases, each asked twice; and in
  the browser, from opening ``#/case/ID`` to its ranked suspects on screen.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "workbench.md"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def demo_store(kind: str) -> tuple[Path, str]:
    """(store path, a description) for the county to measure."""
    if kind == "sim":
        from bench.county import county
        from pingan.sim import SimConfig

        from datetime import date, timedelta

        # as `pingan demo` builds it: ending yesterday, so its reads are recent enough to query
        _, db = county(SimConfig(vehicles=20_000, days=14, seed=7, start_date=date.today() - timedelta(days=14)))
        return db, "the simulated demo county (20,000 vehicles, 14 days, seed 7, ending yesterday)"
    from tests.api.county import build_store

    folder = Path(tempfile.mkdtemp(prefix="pingan-web-bench-"))
    return build_store(folder), "the hand-built test county (25 cameras, 30 days, ~20,000 reads)"


def bench_user(db: Path) -> tuple[str, str]:
    from pingan.governance.users import create_user, set_password
    from pingan.store.db import open_store

    user, password = "webbench", secrets.token_urlsafe(16)
    with open_store(db) as store:
        exists = store.con.execute("SELECT 1 FROM users WHERE user_name = 'webbench'").fetchone()
        if exists:
            set_password(store, user, password)
        else:
            create_user(store, user, "analyst", password)
    return user, password


def serve(db: Path) -> tuple[str, object]:
    import socket

    import uvicorn

    from pingan.api.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(db), host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def recent_cases(db: Path, n: int) -> list[str]:
    """The latest cases whose reads are in the store (the ones an analyst opens first)."""
    from pingan.store.db import open_store

    with open_store(db, read_only=True) as store:
        rows = store.con.execute(
            "SELECT case_id FROM cases WHERE start_ts >= (SELECT min(ts) FROM reads) + INTERVAL 28 DAY "
            "OR start_ts >= (SELECT max(ts) FROM reads) - INTERVAL 7 DAY ORDER BY start_ts DESC LIMIT ?", [n]
        ).fetchall()
    return [r[0] for r in rows]


def measure(db: Path, runs: int, n_cases: int) -> dict[str, object]:
    import httpx
    from playwright.sync_api import sync_playwright

    user, password = bench_user(db)
    cases = recent_cases(db, n_cases)  # before the server holds the store open
    base, server = serve(db)
    out: dict[str, object] = {"cases": len(cases)}
    with httpx.Client(base_url=base, timeout=60) as http:
        token = http.post("/api/login", json={"user": user, "password": password}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        times, seen = [], []
        for case_id in cases * 2:
            t0 = time.perf_counter()
            r = http.post("/api/suspects", headers=headers, json={"case_id": case_id, "top": 50})
            times.append(time.perf_counter() - t0)
            r.raise_for_status()
            seen.append(r.json()["vehicles_seen"])
        out.update(api_median=statistics.median(times), api_p95=quantile(times, 0.95), api_max=max(times),
                   vehicles_seen=int(statistics.median(seen)))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(base + "/")
        page.wait_for_selector("#login")
        out["login_page"] = page.evaluate("performance.now()") / 1000
        page.fill("input[name=user]", user)
        page.fill("input[name=password]", password)
        page.click("#login button[type=submit]")
        page.wait_for_selector("body[data-ready='1'][data-view='cases']")
        firsts = []
        for _ in range(runs):
            fresh = context.new_page()
            fresh.goto(base + "/#/cases")
            fresh.wait_for_selector("body[data-ready='1'][data-view='cases']", timeout=60_000)
            firsts.append(fresh.evaluate("performance.now()") / 1000)
            fresh.close()
        out.update(first_page_median=statistics.median(firsts), first_page_max=max(firsts))
        views = []
        for case_id in cases[: min(len(cases), 10)]:
            t0 = time.perf_counter()
            page.evaluate(f"location.hash = '#/case/{case_id}'")
            page.wait_for_function(f"document.body.dataset.view === 'case' && document.body.dataset.ready === '1' "
                                   f"&& location.hash === '#/case/{case_id}'", timeout=60_000)
            page.wait_for_selector("#suspects table, #suspects .notice")
            views.append(time.perf_counter() - t0)
        out.update(case_view_median=statistics.median(views), case_view_max=max(views))
        browser.close()
    server.should_exit = True  # type: ignore[attr-defined]
    return out


def machine() -> str:
    """One line naming the machine and the date, for the figures' provenance."""
    import os
    import platform
    from datetime import date

    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today().isoformat()}"


def write_doc(figures: dict[str, object], county: str, machine: str) -> None:
    f = figures
    block = (
        f"Measured on {machine}, on {county}, by `python bench/web_speed.py`:\n\n"
        "| what | figure | target |\n|---|---|---|\n"
        f"| first page interactive (cases view with map, logged in; median of runs) | "
        f"{f['first_page_median']:.2f} s (max {f['first_page_max']:.2f} s) | < 2 s |\n"
        f"| login page, cold | {f['login_page']:.2f} s | |\n"
        f"| a case's suspects, POST /api/suspects over HTTP (median / p95 / max of {2 * int(f['cases'])} requests, "
        f"{f['vehicles_seen']} vehicles seen per case, median) | {f['api_median']:.2f} s / {f['api_p95']:.2f} s / "
        f"{f['api_max']:.2f} s | < 1 s |\n"
        f"| a case's view in the browser, opening `#/case/ID` to ranked suspects on screen (median / max) | "
        f"{f['case_view_median']:.2f} s / {f['case_view_max']:.2f} s | |\n"
    )
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# The analyst workbench\n\n## Measured\n\n"
    start = text.find("<!-- web_speed -->")
    end = text.find("<!-- /web_speed -->")
    marked = f"<!-- web_speed -->\n{block}<!-- /web_speed -->"
    if start >= 0 and end > start:
        text = text[:start] + marked + text[end + len("<!-- /web_speed -->"):]
    else:
        text = text.rstrip() + "\n\n" + marked + "\n"
    DOC.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--county", choices=["sim", "test"], default="sim")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cases", type=int, default=15)
    parser.add_argument("--no-doc", action="store_true", help="print the figures only")
    args = parser.parse_args()
    try:
        db, county = demo_store(args.county)
    except (ImportError, AttributeError) as exc:  # the simulator or importers not installed yet
        print(f"the simulated county is not available ({exc}); measuring the test county", file=sys.stderr)
        db, county = demo_store("test")
    figures = measure(db, args.runs, args.cases)

    for key, value in figures.items():
        print(f"{key:20s} {value:.3f}" if isinstance(value, float) else f"{key:20s} {value}")
    if not args.no_doc:
        write_doc(figures, county, re.sub(r"\s+", " ", machine()))


if __name__ == "__main__":
    main()
