"""The visual server in a real browser: `innosim viz` on a free local port, headless Chromium
(Debian's package) driven by Playwright: the map and the charts render, a lever switched and
Reset show in the run's summary, Step moves the charts. Screenshot: out/viz/browser.png.

Skips only where Playwright or a Chromium is missing. Chromium: $INNOSIM_CHROMIUM, else
`chromium` on the PATH. Offline machines also need Solara's browser files: see innosim.viz.assets.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, SCENARIOS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOT = ROOT / "out" / "viz" / "browser.png"
START_TIMEOUT = 45.0  # seconds for the server to answer (imports are slow on a busy machine)


def chromium_path() -> str | None:
    candidate = os.environ.get("INNOSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return candidate if candidate and os.access(candidate, os.X_OK) else None


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install playwright)")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set INNOSIM_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    from innosim.viz.server import free_port

    return free_port("127.0.0.1")


@pytest.fixture
def server():
    """`innosim viz` in its own process group, always ended; yields the page's address."""
    port = free_port()
    log = ROOT / "out" / "viz" / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "innosim", "viz", str(SCENARIOS / "baseline.yaml"), "--port", str(port)],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                assert proc.poll() is None, f"innosim viz exited with {proc.returncode}: {log.read_text()}"
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, f"no answer from {url} in {START_TIMEOUT} s: {log.read_text()}"
                time.sleep(0.5)
            assert f"http://127.0.0.1:{port}/" in log.read_text()  # the command prints the address
            yield url
        finally:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                if proc.poll() is not None:
                    break
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    continue


def months_done(page) -> int:
    """Mesa's counter in the sidebar: "Step: 3" (Mesa 3.3) or "Time: 3.0" (Mesa 3.5)."""
    text = page.get_by_text(re.compile(r"^(Step|Time): ")).inner_text()
    return int(float(text.split(":")[1]))


def image_sources(page) -> tuple[str, str]:
    return (page.locator(".innosim-map img").get_attribute("src"),
            page.locator(".innosim-charts img").get_attribute("src"))


def test_page_renders_switches_a_lever_and_steps(browser, server):  # browser first: skip before serving
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    missing_files = []
    page.on("response", lambda r: missing_files.append(r.url) if "/_solara/cdn/" in r.url and r.status >= 400 else None)
    page.goto(server, wait_until="domcontentloaded")
    try:
        page.get_by_role("button", name="Step").wait_for(timeout=40_000)
    except Exception:
        hint = "; run `python -m innosim.viz.assets` in this environment" if missing_files else ""
        raise AssertionError(f"the page did not load (missing browser files: {missing_files}){hint}") from None

    # the map and the charts render as images with pixels
    for selector in (".innosim-map img", ".innosim-charts img"):
        page.wait_for_function(
            "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 300; }",
            arg=selector, timeout=20_000)
    summary = page.locator(".innosim-summary")
    assert "Running baseline" in summary.inner_text()

    # switch a lever: mutual HNTE recognition on, applied by Mesa's Reset
    page.get_by_text("HNTE mutual recognition", exact=True).click()
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("() => document.querySelector('.innosim-summary').innerText"
                           ".includes('HNTE mutual recognition: on')", timeout=20_000)
    before = image_sources(page)

    # step three months: the charts and the map move
    step = page.get_by_role("button", name="Step")
    for _ in range(3):
        step.click()
        page.wait_for_timeout(300)
    page.wait_for_function(
        "old => document.querySelector('.innosim-charts img').src !== old", arg=before[1], timeout=20_000)
    deadline = time.monotonic() + 20
    while months_done(page) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert months_done(page) == 3
    after = image_sources(page)
    assert after[0] != before[0] and after[1] != before[1]

    # play runs on by itself until paused
    page.get_by_role("button", name="▶").click()
    deadline = time.monotonic() + 30
    while months_done(page) < 8 and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for(timeout=20_000)
    assert months_done(page) >= 8

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert not missing_files, missing_files


def test_narrow_page_keeps_the_map_clear_shows_slider_values_and_downloads_csv(browser, server):
    """At 820 px wide: the sidebar does not cover the map, sliders show their values, the charts keep
    their text near its drawn size, and the download button gives the data on screen as CSV."""
    page = browser.new_page(viewport={"width": 820, "height": 1000}, accept_downloads=True)
    page.goto(server, wait_until="domcontentloaded")
    page.get_by_role("button", name="Step").wait_for(timeout=40_000)
    for selector in (".innosim-map img", ".innosim-charts img"):
        page.wait_for_function(
            "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 300; }",
            arg=selector, timeout=20_000)
    page.get_by_role("button", name="Step").click()
    map_box = page.locator(".innosim-map img").bounding_box()
    drawers = page.locator(".v-navigation-drawer")
    for i in range(drawers.count()):
        drawer = drawers.nth(i).bounding_box()
        if drawer is None or drawer["width"] == 0:
            continue
        overlap_x = min(map_box["x"] + map_box["width"], drawer["x"] + drawer["width"]) - max(map_box["x"], drawer["x"])
        overlap_y = min(map_box["y"] + map_box["height"], drawer["y"] + drawer["height"]) - max(map_box["y"], drawer["y"])
        assert overlap_x <= 1 or overlap_y <= 1, f"the sidebar covers the map: {drawer} over {map_box}"
    # the charts are not shrunk far below their drawn size (their text stays legible at 100 %)
    ratio = page.evaluate("() => { const i = document.querySelector('.innosim-charts img');"
                          " return i.getBoundingClientRect().width / i.naturalWidth; }")
    assert ratio >= 0.75, ratio
    # every slider shows its value without being touched
    values = page.locator(".v-slider-thumb__label, .v-slider__thumb-label")
    assert values.count() >= 5
    shown = [values.nth(i) for i in range(values.count()) if values.nth(i).is_visible()]
    assert len(shown) >= 5 and all(re.search(r"\d", v.inner_text()) for v in shown[:5])
    with page.expect_download(timeout=20_000) as info:
        page.get_by_text("Download the data (CSV)").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("panel,date,place,indicator,value") and "shanghai" in text
    page.screenshot(path=str(SCREENSHOT.with_name("browser-820.png")), full_page=True)
