"""The comparison report in a real browser (headless Chromium via Playwright, as tests/test_viz_browser.py),
offline: at 1280 px the first screen gives Jiashan's effect with its interval and its public cost; at
820 px no table is wider than the page. In English and in Chinese.

Skips only where Playwright or a Chromium is missing (Chromium: $INNOSIM_CHROMIUM, else `chromium`).
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from innosim.cli import main

from .conftest import SCENARIOS
from .test_compare_opening import SMALL, planner_scenario
from .test_viz_browser import CHROMIUM_FLAGS, chromium_path

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

FIRST_SCREEN = {"width": 1280, "height": 720}
NARROW = {"width": 820, "height": 900}
#: Jiashan's sentence of the opening, from its name to its extra public cost (number [low, high]).
NUMBER = r"[-+]?\d[\d,.]*"
INTERVAL = rf"{NUMBER} \[{NUMBER}, {NUMBER}\]"
JIASHAN = {"en": rf"Jiashan: HNTEs in \d{{4}} {INTERVAL}, [^.]*?extra public cost {INTERVAL} M CNY a year",
           "zh": rf"嘉善：\d{{4}}年高新技术企业 {INTERVAL} 家，[^。]*?"
                 rf"公共财政成本每年变化 {INTERVAL} 百万元"}
#: The screen rectangle of the first match of a regular expression in the page's text.
RECT_OF = """(pattern) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const nodes = []; let text = '';
  while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
  const match = new RegExp(pattern).exec(text);
  if (!match) return null;
  const at = (offset) => {
    let i = nodes.length - 1;
    while (nodes[i][1] > offset) i--;
    return [nodes[i][0], offset - nodes[i][1]];
  };
  const range = document.createRange();
  range.setStart(...at(match.index)); range.setEnd(...at(match.index + match[0].length - 1));
  const r = range.getBoundingClientRect();
  return {text: match[0], top: r.top, bottom: r.bottom, left: r.left, right: r.right};
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The planner's scenario and full integration against the baseline, focused on Jiashan."""
    folder = tmp_path_factory.mktemp("report-browser")
    scenario = planner_scenario(folder)
    out = {}
    for lang in ("en", "zh"):
        result = CliRunner().invoke(main, [str(a) for a in [
            "compare", SCENARIOS / "baseline.yaml", scenario, SCENARIOS / "full_integration.yaml",
            "--focus", "jiashan", "--out", folder / lang, "--lang", lang, *SMALL]])
        assert result.exit_code == 0, result.output
        out[lang] = (folder / lang / "report.html").resolve().as_uri()
    return out


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


def open_offline(browser, url: str, viewport: dict):
    """A page on `url` that may load nothing but the file itself (and its inlined images)."""
    page = browser.new_page(viewport=viewport)
    blocked = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(url)
    return page, blocked


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_first_screen_gives_jiashans_effect_with_its_interval_and_its_public_cost(browser, pages, lang):
    page, blocked = open_offline(browser, pages[lang], FIRST_SCREEN)
    found = page.evaluate(RECT_OF, JIASHAN[lang])
    assert found is not None, page.inner_text("body")[:2000]
    assert 0 <= found["top"] and found["bottom"] <= FIRST_SCREEN["height"], found  # no scrolling needed
    assert re.search(INTERVAL, found["text"]) and not blocked


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_table_is_wider_than_an_820_px_page(browser, pages, lang):
    page, _ = open_offline(browser, pages[lang], NARROW)
    wide = page.evaluate("""() => {
      const width = document.documentElement.clientWidth;
      return [...document.querySelectorAll('table')]
        .filter(t => t.getBoundingClientRect().right > width + 0.5 || t.getBoundingClientRect().left < -0.5)
        .map(t => (t.querySelector('caption') || t.querySelector('th')).innerText.slice(0, 80));
    }""")
    assert page.evaluate("document.querySelectorAll('table').length") > 10
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
