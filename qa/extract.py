"""A passage + a question → the words that answer (≤ ~120 chars) and the figure in them.

The passage is cut into clauses at ，；。：. Windows of one to three adjacent
clauses are scored by the idf-weighted share of the question's terms they hold,
plus a bonus when they carry what the question wants (a figure for "多少", a
speaker or title for "谁", a date for "哪年"), minus a little for each extra
clause. A clause spoken about another place than the one asked (a passage may
list several districts) is penalised: the last place named before it decides.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.lexicon import OFFICIAL_TITLES
from index.tokenize import tokens
from qa.question import Question, place_groups
from qa.retrieve import coverage

CLAUSE = re.compile(r"[^，,；;。！？!?：:]+[，,；;。！？!?：:]*")
FIGURE = re.compile(
    r"(?:超过?|突破|达到?|约|近|逾|不低于|不少于)?"
    r"\d+(?:\.\d+)?(?:万|亿|千|百)*"
    r"(?:亿元|万元|元|%|个|家|项|条|场|人次|万人次|套|亩|公顷|平方米|方|吨|名|所|座|宗|户|倍|年|月|强|城|版)?"
    r"(?:以上|左右|以内)?")
DATE = re.compile(r"(?:19|20)\d\d年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日")
SPEAKER = re.compile(r"[\u4e00-\u9fff]{2,4}(?:表示|指出|介绍|强调|说|称)")
MAX_ANSWER = 120
MAX_CLAUSES = 3
SHORT_CONTINUATION = 10


@dataclass(frozen=True)
class Extract:
    text: str
    start: int  # offset of `text` in the passage
    figure: str | None


def clauses(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in CLAUSE.finditer(text)]


def figures(text: str) -> list[re.Match]:
    """Quantities in `text`; a bare year ("2024年") is a date, not a figure."""
    return [m for m in FIGURE.finditer(text)
            if m.group() and not re.fullmatch(r"(?:19|20)\d\d年?", m.group())]


def place_context(passage: str, question: Question) -> list[tuple[int, bool]]:
    """(offset, is an asked place) for every district/body named in the passage."""
    asked = {p.name for p in question.places}
    marks = []
    for group in place_groups():
        for form in group:
            for m in re.finditer(re.escape(form), passage):
                marks.append((m.start(), group[0] in asked))
    return sorted(marks)


def _bonus(question: Question, text: str) -> float:
    if question.wants == "number" and figures(text):
        return 0.3
    if question.wants == "person" and (SPEAKER.search(text) or any(t in text for t in OFFICIAL_TITLES)):
        return 0.3
    if question.wants == "date" and DATE.search(text):
        return 0.3
    return 0.0


def answer_span(question: Question, passage: str, idf: dict[str, float]) -> Extract:
    """The window of `passage` that best answers `question`, with its figure."""
    spans = clauses(passage) or [(0, len(passage))]
    marks = place_context(passage, question) if question.places else []
    best, best_score = (0, 1), float("-inf")
    for i in range(len(spans)):
        for j in range(i + 1, min(i + MAX_CLAUSES, len(spans)) + 1):
            start, end = spans[i][0], spans[j - 1][1]
            if end - start > MAX_ANSWER and j > i + 1:
                break
            text = passage[start:end]
            score = coverage(question.terms, {t: 1 for t in tokens(text)}, idf) + _bonus(question, text)
            score -= 0.08 * (j - i - 1)
            context = [asked for at, asked in marks if at < end]
            if marks and context and not context[-1]:
                score -= 0.5
            if score > best_score + 1e-9:
                best, best_score = (i, j), score
    start, end = spans[best[0]][0], spans[best[1] - 1][1]
    nxt = best[1]  # a short continuation completes the figure: "完成固投1400亿元" + ",增长5%以上"
    while (nxt < len(spans) and spans[nxt][1] - spans[nxt][0] <= SHORT_CONTINUATION
           and spans[nxt][1] - start <= MAX_ANSWER and not re.search(r"[。！？!?；;]$", passage[start:end])):
        end = spans[nxt][1]
        nxt += 1
    text = passage[start:end].rstrip("，,；;：:")[:MAX_ANSWER]
    return Extract(text, start, pick_figure(question, text))


def pick_figure(question: Question, text: str) -> str | None:
    """The quantity the question asks about: a rate if it asks a rate, nearest after its terms."""
    found = figures(text)
    if question.wants == "date" and DATE.search(text):
        return DATE.search(text).group()
    if not found:
        return None
    at = [text.find(t) for t in question.terms if t and text.find(t) >= 0]
    anchor = min(at) if at else 0
    wants_rate = any(t in ("增长", "增速", "增幅", "比重", "比例") for t in question.terms)
    return min(found, key=lambda m: (("%" in m.group()) != wants_rate, m.start() < anchor,
                                     abs(m.start() - anchor))).group()
