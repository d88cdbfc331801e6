"""Issue 10, finding 5 in the browser: "替换同名文件" keeps the original, and the index tab restores it.

Uses test_browser's fixtures: its own `gzqa serve` over a private copy of the seeds (fake embedder).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_browser import BAIYUN_2026, ask, browser, page, server, upload  # noqa: F401 - fixtures

SHORT = "# 白云区短讯\n\n白云区召开会议，部署近期工作。\n"


@pytest.mark.browser
def test_a_replaced_article_is_kept_and_restored_from_the_index_tab(page, server, tmp_path: Path):  # noqa: F811
    from playwright.sync_api import expect

    original = (server.seeds / BAIYUN_2026).read_bytes()
    page.get_by_role("tab", name="索引").click()
    page.get_by_label("替换同名文件").check()
    upload(page, server, tmp_path, BAIYUN_2026, SHORT)
    expect(page.locator("#log textarea")).to_have_value(re.compile("原文件保留为 .replaced/"))
    assert (server.seeds / BAIYUN_2026).read_text(encoding="utf-8") == SHORT
    ask(page, "白云区2026年固投目标是多少")
    expect(page.locator("#result")).not_to_contain_text("1400亿元")  # what the issue saw: the answer gone

    page.get_by_role("tab", name="索引").click()
    page.locator("#kept input").click()
    page.get_by_role("option", name=re.compile(re.escape(BAIYUN_2026))).first.click()
    expect(page.locator("#kept input")).to_have_value(re.compile(re.escape(BAIYUN_2026)))
    page.locator("#restore-button").click()
    expect(page.locator("#log textarea")).to_have_value(re.compile(f"已恢复 {re.escape(BAIYUN_2026)}[^\n]*\n(.*\n)*"
                                                                   "索引已更新"), timeout=30_000)
    assert (server.seeds / BAIYUN_2026).read_bytes() == original
    ask(page, "白云区2026年固投目标是多少")
    expect(page.locator("#result .card.answered mark.figure")).to_have_text("1400亿元")
