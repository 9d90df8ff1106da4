"""The visual server in a real browser: `innosim viz` on a free local port, headless Chromium
(Debian's package) driven by Playwright: the map and the charts render, a lever switched and
Reset show in the run's summary, Step moves the charts. Screenshot: out/viz/browser.png.

Every test runs offline, as on a machine that reaches no CDN: the browser may fetch from the local
server only (any other request is aborted and recorded), and the server's own CDN proxy points at
an address where nothing listens. The page's files must come with the viz extra (solara-assets).

Skips only where Playwright or a Chromium is missing. Chromium: $INNOSIM_CHROMIUM, else
`chromium` on the PATH.
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
#: Where the server's CDN proxy would fetch what the environment lacks: a port where nothing listens
UNREACHABLE_CDN = "http://127.0.0.1:9/"


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
def server(request):
    """`innosim viz` in its own process group, always ended; yields the page's address. A test may
    name the scenario file and more arguments (indirect parametrisation)."""
    scenario, *extra = getattr(request, "param", ("baseline.yaml",))
    port = free_port()
    log = ROOT / "out" / "viz" / "server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w", encoding="utf-8") as output:
        proc = subprocess.Popen(
            [sys.executable, "-m", "innosim", "viz", str(SCENARIOS / scenario), "--port", str(port), *extra],
            cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "SOLARA_ASSETS_CDN": UNREACHABLE_CDN},
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


def offline_page(browser, server: str, **options):
    """A page that may load from `server` only; `page.blocked` lists every other request it made."""
    page = browser.new_page(**options)
    page.blocked = []

    def route(r):
        if r.request.url.startswith(server):
            r.continue_()
        else:
            page.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.failed_files = []
    page.on("response", lambda r: page.failed_files.append(r.url) if r.status >= 400 else None)
    return page


def wait_for_pictures(page) -> None:
    """Until the map and the charts are images with pixels."""
    for selector in (".innosim-map img", ".innosim-charts img"):
        page.wait_for_function(
            "s => { const i = document.querySelector(s); return i && i.complete && i.naturalWidth > 300; }",
            arg=selector, timeout=20_000)


def months_done(page) -> int:
    """Mesa's counter in the sidebar: "Step: 3" (Mesa 3.3) or "Time: 3.0" (Mesa 3.5)."""
    text = page.get_by_text(re.compile(r"^(Step|Time): ")).inner_text()
    return int(float(text.split(":")[1]))


def image_sources(page) -> tuple[str, str]:
    return (page.locator(".innosim-map img").get_attribute("src"),
            page.locator(".innosim-charts img").get_attribute("src"))


def load(page, server: str) -> None:
    """Open the page and wait for Mesa's controls and the pictures; say what failed to load if not."""
    page.goto(server, wait_until="domcontentloaded")
    try:
        page.get_by_role("button", name="Step").wait_for(timeout=40_000)
    except Exception:
        raise AssertionError(f"the page did not load: files missing {page.failed_files}, requests beyond the "
                             f"server {page.blocked} (python -m innosim.viz.assets says what this environment "
                             "lacks)") from None
    wait_for_pictures(page)


def test_page_renders_switches_a_lever_and_steps(browser, server):  # browser first: skip before serving
    page = offline_page(browser, server, viewport={"width": 1600, "height": 1000})
    load(page, server)
    summary = page.locator(".innosim-summary")
    assert "Running baseline" in summary.inner_text()

    # switch a lever for one county: mutual HNTE recognition on in Qingpu, applied by Mesa's Reset
    page.get_by_text("HNTE mutual recognition (Qingpu)", exact=True).click()
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function("() => document.querySelector('.innosim-summary').innerText"
                           ".includes('HNTE mutual recognition (Qingpu): on')", timeout=20_000)
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
    assert not page.failed_files, page.failed_files


def test_narrow_page_keeps_the_map_clear_shows_slider_values_and_downloads_csv(browser, server):
    """At 820 px wide: the sidebar does not cover the map, sliders show their values, the charts keep
    their text near its drawn size, and the download button gives the data on screen as CSV."""
    page = offline_page(browser, server, viewport={"width": 820, "height": 1000}, accept_downloads=True)
    load(page, server)
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


@pytest.mark.parametrize("server", [("history.yaml", "--lang", "zh")], indirect=True, ids=["history-zh"])
def test_page_renders_offline_in_chinese_with_the_switch_dates(browser, server):
    """The acceptance test: nothing beyond the local server is reachable, and the page renders: Mesa's
    controls, the map and the charts as pictures, the controls per county and in Chinese, and the
    list of the scenario's dated changes under the charts."""
    page = offline_page(browser, server, viewport={"width": 1400, "height": 1000})
    load(page, server)
    assert not page.failed_files, page.failed_files
    assert not page.blocked, f"the page asked for files beyond the server: {page.blocked}"
    assert "正在运行 history" in page.locator(".innosim-summary").inner_text()
    assert page.get_by_text("区域与迁移").count() == 1 and page.get_by_text("分区县指标").count() == 1
    # each county's own value: in 2015 Jiashan's vouchers are its own county's, as the others'
    for county in ("青浦", "吴江", "嘉善"):
        assert page.get_by_text(f"科技创新券：使用范围（{county}）", exact=True).count() >= 1
    switches = page.locator(".innosim-switches").inner_text()
    assert "虚线" in switches and "1 2016-01: Jiashan: vouchers usable" in switches and "7 2022-01" in switches
    page.screenshot(path=str(SCREENSHOT.with_name("browser-offline-zh.png")), full_page=True)


@pytest.mark.parametrize("server", [("baseline.yaml", "--lang", "zh")], indirect=True, ids=["baseline-zh"])
def test_the_chinese_page_draws_its_text_in_the_embedded_font(browser, server):
    """Offline, the zh page's @font-face (the glossary's glyphs of the shipped Noto Sans SC, a data: URL)
    loads, covers the place names, and is the font the controls' Chinese labels ask for first after Roboto."""
    from innosim.viz.cjkfont import PAGE_FAMILY

    page = offline_page(browser, server, viewport={"width": 1400, "height": 1000})
    load(page, server)
    assert not page.blocked, f"the page asked for files beyond the server: {page.blocked}"
    faces = page.evaluate("""async family => {
        const loaded = await document.fonts.load(`16px "${family}"`, '嘉善青浦吴江');
        await document.fonts.ready;
        return {loaded: loaded.length, check: document.fonts.check(`16px "${family}"`, '嘉善'),
                status: [...document.fonts].filter(f => f.family.replace(/["']/g, '') === family).map(f => f.status)};
    }""", PAGE_FAMILY)
    assert faces["loaded"] >= 1 and faces["check"] and "loaded" in faces["status"], faces
    label = page.get_by_text(re.compile("嘉善")).first
    stack = label.evaluate("e => getComputedStyle(e).fontFamily")
    assert PAGE_FAMILY in stack, stack
