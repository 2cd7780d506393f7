"""The workbench is served from this machine: its page, scripts, dictionaries and npm packages; no CDN."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error

WEB = Path(__file__).resolve().parents[2] / "pingan" / "web"


def test_the_page_and_its_scripts(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "pingan" in page.text
    for src in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
        response = client.get(src)
        assert response.status_code == 200, src
    assert client.get("/static/js/app.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.skipif(not (WEB / "node_modules" / "leaflet").is_dir(), reason="run `make web` to install npm packages")
def test_npm_packages_are_served_locally(client: TestClient) -> None:
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/chart.js/chart.umd.min.js").status_code == 200


def test_nothing_outside_the_served_folders(client: TestClient) -> None:
    for path in ("/static/../index.html", "/static/%2e%2e/%2e%2e/api/app.py", "/vendor/leaflet/../../package.json",
                 "/vendor/left-pad/index.js", "/static/js/nope.js"):
        assert_error(client.get(path), 404, "not_found")


def test_no_cdn_no_tiles_no_web_fonts() -> None:
    for path in [WEB / "index.html", *(WEB / "static").rglob("*.*")]:
        text = path.read_text(encoding="utf-8")
        urls = re.findall(r"https?://[^\s\"'`)]+", text)
        assert all(u.startswith("http://www.w3.org/") for u in urls), (path, urls)


def test_dictionaries_agree_and_cover_every_key() -> None:
    zh = json.loads((WEB / "static" / "i18n" / "zh.json").read_text(encoding="utf-8"))
    en = json.loads((WEB / "static" / "i18n" / "en.json").read_text(encoding="utf-8"))
    assert set(zh) == set(en)
    used = set()
    for path in (WEB / "static" / "js").rglob("*.js"):
        used |= set(re.findall(r'\bt\("([a-z0-9_.]+)"', path.read_text(encoding="utf-8")))
    used |= set(re.findall(r'data-i18n(?:-placeholder|-title)?="([a-z0-9_.]+)"', (WEB / "index.html").read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in zh and not k.endswith("."))
    assert not missing, missing
    assert all(zh[k] != en[k] or k.startswith(("cat.", "status.")) or zh[k].isascii() for k in zh)
