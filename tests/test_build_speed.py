"""The build's fast paths against the slow code they replace: the same words, matches and facts.

Each fast path (regular expressions led by a lookahead, sentence starts by
bisection, remembered blocks and indicator words) must give what the obvious version gives, on the seeds and
on generated text; a full build is byte-identical to one without them (README, "At scale").
"""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from index import facts, figures, meta, tokenize
from index.chunk import chunk_article, indexed_text
from index.clean import blocks
from index.load import read_seeds
from tests.conftest import SEEDS


def _seed_chunks() -> list[str]:
    texts, _ = read_seeds(SEEDS)
    return [indexed_text(c) for t in texts for c in chunk_article(t.source, t.text)]


def _unled(pattern: re.Pattern) -> re.Pattern:
    """A pattern without the first-character lookahead that leads it."""
    inner = re.sub(r"^\(\?=(?:\[[^\]]*\]|\w)\)", "", pattern.pattern, count=1)
    assert inner != pattern.pattern, "no leading lookahead"
    if inner.startswith("(?:") and inner.endswith(")"):
        inner = inner[3:-1]
    return re.compile(inner)


LED = [facts.RESULT_CUES, facts.CONTEXT_YEAR, facts.GOAL, figures.FIGURE, tokenize.INSIDE_WORD, meta.DATE,
       *(re.compile(cue) for cue, _, _ in meta.YEAR_CUES if cue.startswith("(?="))]


def _matches(pattern: re.Pattern, text: str) -> list:
    return [(m.span(), m.groups(), m.groupdict()) for m in pattern.finditer(text)]


def test_led_patterns_find_what_they_found_before_on_the_seeds():
    texts, _ = read_seeds(SEEDS)
    lines = [line for t in texts for line in t.text.split("\n")] + _seed_chunks() + [
        "庆祝中国共产党成立100周年", "建党105周年", "“十五五”规划开局之年", "十四五的收官之年", "“十四五”开局之年"]
    for pattern in LED:
        plain = _unled(pattern)
        assert plain.groupindex == pattern.groupindex
        found = 0
        for line in lines:
            assert _matches(pattern, line) == _matches(plain, line), (pattern.pattern[:30], line)
            found += bool(pattern.search(line))
        assert found, pattern.pattern[:30]


LED_ALPHABET = ("过去年上一今新的到至从将要主力争取确保计划目标全年内拥有已经达了集聚突破超约近不低于向十百千万亿元个家%·• \n2019034"
                "建党中国共产成立周“”五四规划时期开局收官月日")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=LED_ALPHABET, max_size=30))
def test_led_patterns_find_what_they_found_before_on_generated_text(text):
    for pattern in LED:
        assert _matches(pattern, text) == _matches(_unled(pattern), text)
        assert pattern.sub("", text) == _unled(pattern).sub("", text)


def _previous_sentence_start_by_scan(text: str, at: int) -> int:
    ends = [m.end() for m in facts.FULL_STOP.finditer(text, 0, at)]
    return ends[-2] if len(ends) >= 2 else 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="一二。！？!?；", max_size=30), st.data())
def test_previous_sentence_start_by_bisection_equals_the_scan(text, data):
    stops = [m.end() for m in facts.FULL_STOP.finditer(text)]
    at = data.draw(st.integers(0, len(text)))
    assert facts._previous_sentence_start(stops, at) == _previous_sentence_start_by_scan(text, at)


def test_remembered_blocks_are_a_new_list_each_time():
    text = (SEEDS / "001_0d211377d81efd56.txt").read_text("utf-8")
    first = blocks(text)
    first.clear()
    assert blocks(text) and blocks(text) == blocks(text[:] + "")
