"""A passage + a question → the words that answer (≤ ~120 chars) and the figure in them.

The passage is cut into clauses at ，；。：. Windows of one to three adjacent
clauses are scored by the share of the question's concepts they hold (qa.coverage: weighted by √idf),
plus a bonus when they carry what the question wants (a figure for "多少", a
speaker or title for "谁", a date for "哪年"), minus a little for each extra
clause. A clause spoken about another place than the one asked (a passage may
list several districts) is penalised: the last place named before it decides.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from index.tokenize import tokens
from qa.shapes import COUNT_UNITS, TITLED_NAME, figures, has_figure, speaks
from qa.question import SAID_RELATIVE, Question, asks_money
from qa.coverage import coverage, synonym_forms
from qa.binding import (PLACE_NAME, answers_kind, counts_other, date_said, foreign_indicator, lead,
                        measure_matches, respective)
from qa.judge import place_context, speaks_of

CLAUSE = re.compile(r"[^，,；;。！？!?：:]+[，,；;。！？!?：:]*")
MAX_ANSWER = 120
MAX_CLAUSES = 3
SHORT_CONTINUATION = 10
# A who- or when-question is answered only by words holding a person (named in them, or speaking them: a titled
# name before them in the passage) or a date: a window without one loses more than any coverage gains, so the
# best window that holds one is chosen when the passage has it ("市长孙志洋主持", not "召开全市高质量发展大会"
# for "大会由谁主持"; "2023年12月28日，…搭载乘客" for "首飞是哪一天").
KIND_ABSENT = 2.0
# Words that hold nothing the question asks do not lead an answer: "全年增长5.5%、迈上2000亿元新台阶。规上工业总产值
# 增长10%以上" ties with "规上工业总产值增长10%以上,跨越2500亿元关口" for "规上工业总产值要跨过多少" (both add a
# clause and an amount), and the earlier would win and answer with the other indicator's 2000亿元. Less than a
# clause's cost (0.08), so a window that needs its first clause still takes it when it gains anything else.
EMPTY_LEAD = 0.05
# A figure is said of the words before it ("计划总投资30亿元" of 总投资): a window whose figure is said of asked words
# gains, by the share of the question those lead words hold, over one that merely names the asked project ("预计达产
# 年产值17.8亿元，…打造颠覆性技术创新的策源地" for "颠覆性技术创新园总共投多少钱"). The same scale as a figure in the
# asked unit (0.3, `_bonus`), chosen so, not fitted; `_bonus`'s +0.2 for asked words ending right before a figure
# is the narrow case of it, kept: without it the sets lose 2 answers and gain 1 wrong (measured with this). The
# `bound` signal (qa/signals.py) is the decision's view of the same, from the lead words only (not a count's things,
# `said_of`).
BOUND_WEIGHT = 0.3


@dataclass(frozen=True)
class Extract:
    """The words of a passage that answer, and the figure in them."""

    text: str
    start: int  # offset of `text` in the passage
    figure: str | None
    off_place: bool = False  # the best words speak of another place than the one asked


def clauses(text: str) -> list[tuple[int, int]]:
    """(start, end) of each clause, cut after ，；。：！？ (the punctuation stays with its clause)."""
    return [(m.start(), m.end()) for m in CLAUSE.finditer(text)]


def _bonus(question: Question, text: str) -> float:
    """What the words offer beyond the question's terms: the kind of thing it asks for."""
    if question.relative and not question.years and any(w in text for w in SAID_RELATIVE[question.relative]):
        return 0.3 + _bonus(replace(question, relative=None), text)  # "过去一年…突破6500亿元", not this year's target
    if question.wants == "number":
        found = figures(text)
        bonus = 0.3 if has_figure(text, question.unit) else 0.15 if found else 0.0
        if question.measure and any(measure_matches(question, m.group()) for m in found):
            bonus += 0.1
        asked = tuple(question.terms)
        if asked and any(text[:m.start()].endswith(asked) for m in found):
            bonus += 0.2  # "计划总投资30亿元": a figure right after the asked words
        return bonus
    if question.wants == "person":
        return 0.3 if TITLED_NAME.search(text) else 0.15 if speaks(text) else 0.0
    if question.wants == "date" and answers_kind(question, text):  # "哪天": a day, "19日" too
        return 0.3
    if question.wants == "place" and PLACE_NAME.search(text):
        return 0.3
    if question.wants == "list" and ("、" in text or "和" in text):
        return 0.15 + 0.05 * min(text.count("、"), 3)
    return 0.0


def answer_span(question: Question, passage: str, idf: Callable[[str], float]) -> Extract:
    """The window of `passage` that best answers `question`, with its figure."""
    return next(answer_spans(question, passage, idf))


def answer_spans(question: Question, passage: str, idf: Callable[[str], float], n: int = 1) -> Iterator[Extract]:
    """The `n` best windows of `passage` for `question`, best first, whose clauses overlap no better one's (each
    finished as it is asked for: most passages need only the first; a finished window may reach into a better one's
    words by its continuation or speaker)."""
    spans = clauses(passage) or [(0, len(passage))]
    marks = place_context(passage, question) if question.places else []
    words = [set(tokens(passage[a:b])) for a, b in spans]  # once per clause: jieba never joins across ，；。
    scored = []  # (score, i, j, off): every window of clauses i … j-1
    # each figure's share of the question said right before it (its lead words: the same in any window holding it)
    counting = question.unit in COUNT_UNITS  # "有几个", "多少家": a count's things are asked
    bound = [(m.start(), coverage(question.terms, (), idf, said_of(passage, m, counting)))
             for m in (figures(passage) if question.wants == "number" else ())]
    for i in range(len(spans)):
        empty = coverage(question.terms, words[i], idf, passage[spans[i][0]:spans[i][1]]) == 0.0
        for j in range(i + 1, min(i + MAX_CLAUSES, len(spans)) + 1):
            start, end = spans[i][0], spans[j - 1][1]
            if end - start > MAX_ANSWER and j > i + 1:
                break
            text = passage[start:end]
            score = coverage(question.terms, set().union(*words[i:j]), idf, text) + _bonus(question, text)
            score -= 0.08 * (j - i - 1) + EMPTY_LEAD * (empty and j > i + 1)
            found = figures(text) if question.wants == "number" else []
            score += BOUND_WEIGHT * max((said for at, said in bound if start <= at < end), default=0.0)
            off = speaks_of(marks, start + found[0].start() if found else end) is False
            score -= 0.5 * off
            score -= KIND_ABSENT * lacks_kind(question, passage, start, text)
            scored.append((score, i, j, off))
    # the best first (on a tie, the earliest and shortest: as a strict "better than" scan in order would keep)
    scored.sort(key=lambda w: (-round(w[0], 9), w[1], w[2]))
    chosen: list[tuple[int, int, bool]] = []
    for _, i, j, off in scored:
        if len(chosen) == n:
            break
        if all(j <= a or i >= b for a, b, _ in chosen):
            chosen.append((i, j, off))
    return (_finish(question, passage, spans, i, j, off, idf) for i, j, off in chosen)


def _finish(question: Question, passage: str, spans: list[tuple[int, int]], i: int, j: int, off: bool,
            idf: Callable[[str], float]) -> Extract:
    """The window of clauses i … j-1 as an answer: a short continuation added, the speaker or place when asked."""
    start, end = spans[i][0], spans[j - 1][1]
    nxt = j  # a short continuation completes the figure: "完成固投1400亿元" + ",增长5%以上"
    while (nxt < len(spans) and spans[nxt][1] - spans[nxt][0] <= SHORT_CONTINUATION
           and spans[nxt][1] - start <= MAX_ANSWER and not re.search(r"[。！？!?；;]$", passage[start:end])):
        end = spans[nxt][1]
        nxt += 1
    if question.wants == "person" and not (TITLED_NAME.search(passage, start, end) or speaks(passage[start:end])):
        start, end = speaker(passage, spans, start, end, TITLED_NAME)
    if question.wants == "place" and not PLACE_NAME.search(passage, start, end):
        start, end = speaker(passage, spans, start, end, PLACE_NAME)
    text = passage[start:end].rstrip("，,；;：:")[:MAX_ANSWER]
    return Extract(text, start, pick_figure(question, text, idf), off)


def said_of(text: str, m: re.Match, counting: bool = True) -> str:
    """The words the figure `m` is said of: its lead words ("计划总投资30亿元"), and when `counting`, for a count the
    things it counts, after it up to the next mark ("聚焦1593个重点项目“攻城拔寨”")."""
    counted = COUNT_END.split(text[m.end():], 1)[0] if counting and COUNTED.search(m.group()) else ""
    return lead(text, m.start()) + counted


def lacks_kind(question: Question, passage: str, start: int, text: str) -> bool:
    """Do the words at `start` lack the person or date a who- or when-question asks (a person: in them, or
    speaking them — a titled name before them, as `speaker` finds)?"""
    if question.wants == "person":
        return not (TITLED_NAME.search(text) or speaks(text) or TITLED_NAME.search(passage, 0, start))
    if question.wants == "date":
        return not answers_kind(question, text)
    return False


def speaker(passage: str, spans: list[tuple[int, int]], start: int, end: int,
            who: re.Pattern = TITLED_NAME) -> tuple[int, int]:
    """Who said the words at start:end: the span from the last clause naming `who` (an official, a
    district) before them through them when that fits in an answer, else that clause alone; the words
    themselves when nobody is named."""
    named = list(who.finditer(passage, 0, start))
    if not named:
        return start, end
    clause = next((a, b) for a, b in spans if a <= named[-1].start() < b)
    return (clause[0], end) if end - clause[0] <= MAX_ANSWER else clause


# How a figure is read as said of the asked words: one after them past a clause break is as far as this many more
# characters (the words after the break are its own), and a count before them reaches this far over words without
# marks ("120家企业开展技术改造": a noun and a verb).
BREAK = re.compile(r"[，,；;。！？!?]")
BREAK_COST = 8
COUNT_REACH = 4
COUNT_END = re.compile(r"[，,；;。！？!?、：:]|\d")  # the things a count counts end at a mark or the next figure
COUNTED = re.compile(f"(?:{'|'.join(COUNT_UNITS)})$")  # "1.3万家高新技术企业": the count comes first


def pick_figure(question: Question, text: str, idf: Callable[[str], float] | None = None) -> str | None:
    """The quantity the question asks about, in `text`.

    In the asked unit first, then one not said of another indicator, then a rate if it asks a rate (else an amount),
    then the one closest to the question's most specific term found
    (highest idf): after it ("固定资产投资增长8%"), or right before it for a
    count ("1.3万家高新技术企业").
    """
    found = figures(text)
    if question.wants == "date" and (day := date_said(question, text)):
        return day.group()
    if not found:
        return None
    # the question's words as the text says them: a synonym, or a term defined by them ("预制…拼装" → 装配式建筑)
    forms = synonym_forms()
    present = [f for t in question.terms if t for f in forms.get(t, (t,)) if f and f in text]
    key = max(present, key=lambda t: ((idf or (lambda _: 0.0))(t), len(t)), default=None)
    anchors = [m.span() for m in re.finditer(re.escape(key), text)] if key else [(0, 0)]

    def item_said(words: str) -> float:  # how much of the question an item of a list names
        return sum((idf or (lambda _: 1.0))(t) for t in present if t in words)

    items = {m.start(): respective(text, m.start()) for m in found}  # "储能、美妆…200亿元、450亿元": item by item
    best_item = max((item_said(item) for item in items.values() if item is not None), default=0.0)

    def distance(m: re.Match) -> int:
        if (item := items[m.start()]) is not None:  # the figure of the item that names the most of the question
            return 0 if item_said(item) >= best_item > 0 else 10_000
        # after the asked words, farther past a clause break ("技术改造,80家企业增资扩产": the 80家 are another thing's)
        after = min((m.start() - end + BREAK_COST * bool(BREAK.search(text, end, m.start()))
                     for _, end in anchors if m.start() >= end), default=10_000)
        before = min((start - m.end() for start, _ in anchors if m.end() <= start), default=10_000)
        # a count comes before what it counts, a verb between or not ("1.3万家高新技术企业", "120家企业开展技术改造");
        # any figure is said of the asked words right after it, past no mark ("居住用地100%实施装配式建筑", not
        # "…，城中村改造…比例提升至15%")
        plain = not re.search(r"[^\u4e00-\u9fff]", text[m.end():m.end() + before])
        counted = COUNTED.search(m.group())
        reach = COUNT_REACH if counted and plain else 2 if counted or plain else -1
        return min(after, before if before <= reach else 10_000)

    def in_unit(m: re.Match) -> bool:
        return not question.unit or has_figure(m.group() + text[m.end():m.end() + 4], question.unit)

    def foreign(m: re.Match) -> bool:  # said of an indicator not asked ("工业投资增长28%" for 固投's growth), or a
        # count of something not asked ("5个乡镇" for a harvest)
        return foreign_indicator(question, lead(text, m.start())) or counts_other(question, text, m.start(), m.group())

    # unless a rate is asked, an amount is the figure ("1410亿元", not "16%")
    asked = replace(question, measure=question.measure or "amount")
    money = asks_money(question)  # "年产值多少": a figure in 元, not "300万套" or "370余个"
    return min(found, key=lambda m: (not in_unit(m), foreign(m),
                                     money and not has_figure(m.group() + text[m.end():m.end() + 4], "元"),
                                     not measure_matches(asked, m.group()),
                                     distance(m), m.start())).group()
