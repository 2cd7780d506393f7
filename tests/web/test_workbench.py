"""The workbench in a real browser (Debian's chromium): log in, open a case and see the burglar near the
top, open his trajectory, switch language, open the grid map, collide cases, look at a vehicle, the
dashboard, the audit view. Screenshots of the main views go to docs/screenshots/."""

from __future__ import annotations

import time

from tests.api.county import ACCOMPLICE, CLONED, OFFENDER
from tests.web.conftest import goto, login, shoot


def test_login_first_then_the_cases(page) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    page.goto(page.base + "/")
    page.wait_for_selector("#login")
    assert time.perf_counter() - started < 5
    assert page.inner_text("#login h2") == "登录工作台"  # Chinese by default
    page.fill("input[name=user]", "ana")
    page.fill("input[name=password]", "wrong password!")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login-error:not(:empty)")
    login(page)
    assert page.locator("#case-list tr[data-case]").count() == 50
    assert "第 1/8 页" in page.inner_text("#case-list .pager")
    shoot(page, "cases")
    assert page.errors == []


def test_case_view_offender_on_top_and_his_trajectory(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    page.click("#case-list tr[data-case='C001'] a")
    page.wait_for_selector("#suspects tr[data-rank]")
    ranks = page.locator("#suspects tr[data-rank]")
    plates = [ranks.nth(i).get_attribute("data-plate") for i in range(3)]
    assert OFFENDER in plates  # near the top
    assert page.locator("#suspects tr[data-plate='%s'] .badge.watch" % OFFENDER).count() == 1
    assert page.input_value("#purpose") == "C001"
    page.click(f"#suspects tr[data-plate='{OFFENDER}']")
    page.wait_for_selector("#trajectory[data-loaded='1']")
    assert page.locator("#suspect-detail svg.timeline circle").count() == 6  # his reads in the window
    assert "7" in page.inner_text("#trajectory .muted") or page.locator("#trajectory tr").count() > 1
    assert page.locator("#case-map path.leaflet-interactive").count() > 0 or page.locator("#case-map canvas").count() > 0
    page.locator("#suspect-detail").scroll_into_view_if_needed()
    page.locator("#case-pane").evaluate("el => el.scrollTop = 0")
    shoot(page, "case")
    # the case report, exported as a disclosure to a named recipient
    page.fill("#report-form input[name=recipient]", "刑侦大队")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#report-link")
    assert page.get_attribute("#report-link", "download").startswith("case-report-C001-")
    assert page.errors == []


def test_switch_language_and_it_stays(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    assert page.inner_text("#nav a[data-view='cases']") == "案件"
    page.click("#lang")
    page.wait_for_function("document.querySelector(\"#nav a[data-view='cases']\").textContent === 'Cases'")
    assert page.inner_text("#lang") == "中文"
    page.reload()
    page.wait_for_selector("body[data-ready='1'][data-view='cases']")
    assert page.inner_text("#nav a[data-view='grids']") == "Grids"  # kept in localStorage
    goto(page, "#/case/C002")
    page.wait_for_selector("#suspects tr[data-rank]")
    assert "Suspects" in page.inner_text("#suspects")
    shoot(page, "case-en")
    page.click("#lang")
    page.wait_for_function("document.querySelector(\"#nav a[data-view='grids']\").textContent === '网格'")
    assert page.errors == []


def test_grid_map_grades_history_disputes_and_forecast(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    goto(page, "#/grids")
    page.wait_for_selector("#grid-list tr[data-grid]")
    assert page.locator("#grid-list tr[data-grid] .badge").count() == 16  # every police grid has a colour
    fills = page.eval_on_selector_all("#grid-map path.leaflet-interactive", "els => els.map(e => e.getAttribute('fill'))")
    assert {"#d0312d", "#e0a800", "#2e9d4f"} & set(fills)
    page.click("#grid-list tr[data-grid='G00']")
    page.wait_for_selector("#grid-detail[data-grid='G00']")
    detail = page.inner_text("#grid-detail")
    assert "民警01" in detail and "D001" in detail and "D002" in detail
    assert page.locator("#grid-detail table").first.locator("tbody tr").count() == 13  # weekly grades, with reasons
    page.check("#forecast-toggle")
    page.wait_for_selector("#forecast-note")
    shoot(page, "grids")
    assert page.errors == []


def test_collision_of_three_burglaries(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    goto(page, "#/collide")
    for case_id in ("C001", "C002", "C003"):
        page.check(f"#collide-cases input[value='{case_id}']")
    page.fill("input[name=min_cases]", "3")
    page.click("#collide-run")
    page.wait_for_selector("#collide-results tr[data-plate]")
    top = [page.locator("#collide-results tr[data-plate]").nth(i).get_attribute("data-plate") for i in range(2)]
    assert top == [OFFENDER, ACCOMPLICE]
    page.click(f"#collide-results tr[data-plate='{OFFENDER}']")
    page.wait_for_selector("#collide-detail .legend")
    shoot(page, "collide")
    assert page.errors == []


def test_vehicle_view_partial_plate_replay_companions_and_clones(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    goto(page, "#/vehicle")
    page.fill("#purpose", "C001")
    page.dispatch_event("#purpose", "change")
    page.fill("input[name=plate]", "苏A?23*")
    page.click("#vehicle-form button[type=submit]")
    page.wait_for_selector(f"#vehicle-results tr[data-plate='{OFFENDER}']")
    page.click(f"#vehicle-results tr[data-plate='{OFFENDER}']")
    page.wait_for_selector("#vehicle-panel[data-loaded='1']")
    assert page.get_attribute("#replay-slider", "max") == "24"
    page.fill("#replay-slider", "3")
    assert page.inner_text("#replay-label").startswith("4/25")
    page.click("button[data-tab='companions']")
    assert page.locator(f"#tab-companions tr[data-plate='{ACCOMPLICE}']").count() == 1
    page.click("button[data-tab='stays']")
    assert page.locator("#tab-stays tbody tr").count() >= 1
    page.click("button[data-tab='trajectory']")
    shoot(page, "vehicle")
    # a cloned plate raises a warning
    page.fill("input[name=plate]", CLONED)
    page.click("#vehicle-form button[type=submit]")
    page.wait_for_selector("#vehicle-panel[data-loaded='1']")
    page.click("button[data-tab='cloned']")
    assert page.locator("#clone-warning").count() == 1
    assert page.errors == []


def test_a_purpose_is_asked_for(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    goto(page, "#/vehicle")
    page.fill("#purpose", "")
    page.dispatch_event("#purpose", "change")
    page.fill("input[name=plate]", OFFENDER)
    page.click("#vehicle-form button[type=submit]")
    page.wait_for_selector("#tab-trajectory .notice.err")
    assert "查询目的" in page.inner_text("#tab-trajectory .notice.err")


def test_dashboard_numbers_open_their_cases(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    goto(page, "#/dashboard")
    page.wait_for_selector("#dashboard[data-loaded='1']")
    assert page.locator("#dashboard canvas").count() == 4
    shoot(page, "dashboard")
    solved = page.inner_text("[data-kpi='clearance']")
    assert solved.endswith("%")
    page.click("[data-kpi='cases']")
    page.wait_for_selector("#kpi-records tbody tr a")
    assert page.locator("#kpi-records tbody tr").count() == 50
    page.locator("#kpi-records tbody tr a").first.click()
    page.wait_for_selector("body[data-view='case'][data-ready='1']")
    assert page.errors == []


def test_auditor_sees_the_audit_and_no_personal_data(page) -> None:  # type: ignore[no-untyped-def]
    login(page, "aud")
    assert page.evaluate("document.body.dataset.view") == "audit"  # an auditor starts at the audit
    page.wait_for_selector("#audit-verify [data-ok='1']")
    page.wait_for_selector("#audit-log tbody tr")
    shoot(page, "audit")
    goto(page, "#/case/C001")
    page.wait_for_selector("#view .notice.err")  # no cases.read: not permitted, said plainly
    assert "审计员" in page.inner_text("#view .notice.err") or "auditor" in page.inner_text("#view .notice.err")
    assert page.errors == []


def test_imports_view(page) -> None:  # type: ignore[no-untyped-def]
    login(page)
    goto(page, "#/imports")
    page.wait_for_selector("#import-batches table")
    page.set_input_files("#import-form input[type=file]", files=[{
        "name": "cams.csv", "mimeType": "text/csv",
        "buffer": "camera_id,lon,lat\nW1,118.81,32.06\nW2,118.82,32.07\n".encode()}])
    page.select_option("#import-form select[name=kind]", "cameras")
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-status .notice")
    status = page.inner_text("#import-status")
    assert "cams.csv" in status or "暂不可用" in status  # imported, or the importers are not installed yet
    shoot(page, "imports")
    assert page.errors == []
