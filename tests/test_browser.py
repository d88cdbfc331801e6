"""The web app in Debian's Chromium driven by Playwright (the upload rules have plain unit tests in test_upload.py).

The browser tests start `gzqa serve` in a subprocess on a free port, over a
private copy of the seeds indexed with the fake embedder, and always stop it.
Set GZQA_SCREENSHOTS=docs/screenshots to save screenshots of the main states.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

BAIYUN_2026 = "003_ceb711fc79301318.txt"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SHOTS = os.environ.get("GZQA_SCREENSHOTS")
LIWAN = ("# 荔湾区召开2025年高质量发展推进会\n\n本报讯 记者 陈明 2月10日，荔湾区召开2025年高质量发展推进会。\n\n"
         "荔湾区委书记表示，2025年荔湾区力争引进重点产业项目87个，推动西关永庆坊文旅消费提质升级。"
         "今年荔湾将全力推进白鹅潭商务区建设。\n")
XSS = ("# 海珠区琶洲数字经济测试报道\n\n本报讯 2月12日，海珠区召开2025年数字经济大会。"
       "<script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">\n\n"
       "海珠区委书记表示，2025年海珠区力争新增数字经济企业369家，琶洲人工智能与数字经济试验区加快建设。\n")


@dataclass(frozen=True)
class Server:
    url: str
    seeds: Path
    index_dir: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gzqa serve exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gzqa serve did not answer within {timeout}s:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    from index.build import update

    base = tmp_path_factory.mktemp("web")
    seeds, index_dir, log = base / "seeds", base / "index", base / "serve.log"
    shutil.copytree(SEEDS, seeds)
    update(seeds, index_dir, model="fake-hashing")
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--seeds", str(seeds),
             "--index-dir", str(index_dir)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", process, log)
        yield Server(f"http://127.0.0.1:{port}/", seeds, index_dir)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing — apt-get install -y chromium fonts-noto-cjk (or run `make browser`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# How long an action or an `expect` waits for the UI: one question is ≈ 0.1 s, but on this shared 2-core machine
# a Gradio event has taken over 5 s (Playwright's own default for `expect`, which the context's does not set).
UI_TIMEOUT_MS = 15_000


def open_page(browser, server: Server, width: int = 1280, height: int = 800):
    from playwright.sync_api import expect

    expect.set_options(timeout=UI_TIMEOUT_MS)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url)
    page.locator("#ask-button").wait_for()
    return page


@pytest.fixture
def page(browser, server):
    page = open_page(browser, server)
    yield page
    page.context.close()


def ask(page, question: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("tab", name="提问").click()
    page.locator("#question textarea, #question input").first.fill(question)
    page.locator("#ask-button").click()
    # a previous answer stays on the page until this one arrives: wait for the one that names this question
    expect(page.locator("#result .gzqa[data-question]")).to_have_attribute("data-question", question)


def shoot(page, name: str, full_page: bool = False) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)


def upload(page, server: Server, tmp_path: Path, name: str, text: str) -> None:
    from playwright.sync_api import expect

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.get_by_role("tab", name="索引").click()
    page.locator("#upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#log textarea")).to_have_value(re.compile("索引已更新"), timeout=30_000)
    expect(page.locator("#index-status")).to_contain_text(name)


@pytest.mark.browser
def test_answer_with_figure_citation_and_article_scrolled_to_the_cited_lines(page):
    from playwright.sync_api import expect

    ask(page, "白云区2026年固投目标是多少")
    expect(page.locator("#result .card.answered mark.figure")).to_have_text("1400亿元")
    first = page.locator("#result li.citation").first
    expect(first).to_have_attribute("data-source", BAIYUN_2026)
    expect(first.locator("blockquote mark.figure")).to_have_text("1400亿元")
    shoot(page, "answered")
    first.locator("summary").click()
    cited = first.locator(".article-view .line.cited").first
    expect(cited).to_be_in_viewport()
    view, line = first.locator(".article-view").bounding_box(), cited.bounding_box()
    assert view["y"] <= line["y"] and line["y"] + line["height"] <= view["y"] + view["height"]
    shoot(page, "article")


@pytest.mark.browser
def test_not_found_shows_the_nearest_other_year_passages_labelled(page):
    from playwright.sync_api import expect

    ask(page, "从化区2026年GDP增速目标是多少")
    expect(page.locator("#result .card.not-found")).to_contain_text("未找到")
    expect(page.locator("#result .badge.other-year").first).to_have_text("其他年份")
    expect(page.locator("#result mark")).to_have_count(0)
    shoot(page, "not-found")


@pytest.mark.browser
def test_an_empty_question_says_what_to_type(page):
    from playwright.sync_api import expect

    page.locator("#ask-button").click()
    expect(page.locator("#result .card.problem")).to_contain_text("白云区2026年固投目标是多少")


@pytest.mark.browser
def test_year_filter_overrides_the_question(page):
    from playwright.sync_api import expect

    page.get_by_text("筛选：年份、文章、段落数").click()
    page.locator("#year input").click()
    page.get_by_role("option", name="2024").click()
    ask(page, "白云区固投目标是多少")
    expect(page.locator("#result .card.answered mark.figure")).to_contain_text("1410亿元")


@pytest.mark.browser
def test_uploaded_article_is_indexed_and_answers(page, server, tmp_path):
    from playwright.sync_api import expect

    upload(page, server, tmp_path, "荔湾区2025年推进会.txt", LIWAN)
    assert (server.seeds / "荔湾区2025年推进会.txt").read_text(encoding="utf-8") == LIWAN
    shoot(page, "index", full_page=True)
    ask(page, "荔湾区2025年力争引进多少个重点产业项目")
    expect(page.locator("#result .card.answered mark.figure")).to_have_text("87个")
    expect(page.locator("#result li.citation").first).to_have_attribute("data-source", "荔湾区2025年推进会.txt")


@pytest.mark.browser
def test_markup_in_an_article_shows_as_text_and_never_runs(page, server, tmp_path):
    from playwright.sync_api import expect

    upload(page, server, tmp_path, "haizhu.txt", XSS)
    ask(page, "海珠区2025年力争新增多少家数字经济企业")
    expect(page.locator("#result .card.answered mark.figure")).to_have_text("369家")
    source = page.locator("#result li.citation[data-source='haizhu.txt']").first
    source.locator("summary").click()
    expect(source.locator(".article-view")).to_contain_text("<script>window.__pwned=1</script>")
    expect(page.locator("#result")).to_contain_text('<img src=x onerror="window.__pwned=2">')
    assert page.locator("#result script, #result img").count() == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"


@pytest.mark.browser
def test_phone_width_has_no_sideways_scrolling(browser, server):
    from playwright.sync_api import expect

    page = open_page(browser, server, width=375, height=812)
    try:
        ask(page, "白云区2026年固投目标是多少")
        expect(page.locator("#result .card.answered mark.figure")).to_have_text("1400亿元")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        shoot(page, "phone")
    finally:
        page.context.close()


@pytest.mark.browser
def test_a_comparison_question_shows_both_figures_each_with_its_citation(page):
    from playwright.sync_api import expect

    ask(page, "白云区2026年固投目标比2024年多还是少")
    card = page.locator("#result .card.compared")
    expect(card.locator(".answer-text mark.figure")).to_have_text("少10亿元")
    expect(card.locator("table.compare")).to_contain_text("1400亿元")
    expect(card.locator("table.compare")).to_contain_text("突破1410亿元")
    expect(card.locator(".computed")).to_contain_text("计算得出")
    cites = page.locator("#result li.citation")
    expect(cites).to_have_count(2)
    expect(cites.nth(0)).to_have_attribute("data-source", BAIYUN_2026)
    expect(cites.nth(1)).to_have_attribute("data-source", "000_9ea15003a87d280f.txt")
    expect(cites.nth(0).locator("blockquote mark.figure")).to_have_text("1400亿元")
    expect(cites.nth(1).locator("blockquote mark.figure")).to_have_text("突破1410亿元")
    shoot(page, "compare")
    ask(page, "2026年哪个区GDP增速目标最高")
    expect(page.locator("#result table.compare tr.row")).to_have_count(6)
    expect(page.locator("#result li.citation")).to_have_count(6)
    expect(page.locator("#result .card.compared .note")).to_contain_text("越秀区、荔湾区、番禺区、从化区、增城区")


@pytest.mark.browser
def test_facts_tab_filters_links_each_row_to_its_lines_compares_years_and_downloads_csv(page):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="指标一览").click()
    page.locator("#facts-year input").click()
    page.get_by_role("option", name="2026").click()
    page.locator("#facts-indicator textarea, #facts-indicator input").first.fill("固投")
    page.locator("#facts-button").click()
    table = page.locator("#facts-result table.facts-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table.locator("tbody tr td:first-child")).to_have_text(["南沙区", "白云区", "白云区", "海珠区", "天河区", "黄埔区"])
    table.locator("tbody tr").filter(has=page.locator("td.figure", has_text="1400亿元")).locator("a.fact-link").click()
    cited = page.locator("#fact-article .line.cited")
    expect(cited).to_have_count(1)
    expect(cited).to_have_attribute("data-ln", "59")
    expect(cited).to_be_in_viewport()
    shoot(page, "facts")
    grid = page.locator("#facts-result table.facts-grid")
    expect(grid.locator("thead th")).to_contain_text(["2024年", "2026年"])
    baiyun = grid.locator("tbody tr", has_text="白云区").filter(has_text="总量")
    expect(baiyun.locator("td.cell[data-year='2024']")).to_have_text("突破1410亿元")
    expect(baiyun.locator("td.cell[data-year='2026']")).to_have_text("1400亿元")
    conghua = grid.locator("tbody tr", has_text="从化区").filter(has_text="总量")
    expect(conghua.locator("td.cell[data-year='2024']")).to_have_text("达230亿元")
    expect(conghua.locator("td.cell[data-year='2026']")).to_have_text("—")  # 2026 says nothing: never 2024's figure
    with page.expect_download() as download:
        page.locator("#facts-csv").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert content.count("\n") == 7 and "1400亿元" in content and "003_ceb711fc79301318.txt,59,59" in content


@pytest.mark.browser
def test_facts_tab_at_phone_width_scrolls_its_tables_not_the_page(browser, server):
    from playwright.sync_api import expect

    page = open_page(browser, server, width=375, height=812)
    try:
        page.get_by_role("tab", name="指标一览").click()
        page.locator("#facts-place textarea, #facts-place input").first.fill("白云")
        page.locator("#facts-button").click()
        expect(page.locator("#facts-result table.facts-table tbody tr").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        page.context.close()
