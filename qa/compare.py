"""Questions that compare or rank, answered from the facts table with a citation per figure.

"白云区2026年固投目标比2024年多还是少" → 1400亿元 (2026, 003 line 59) vs 1410亿元
(2024, 000 line 41): 少10亿元, the arithmetic labelled as computed. "2026年哪个区GDP
增速目标最高" → every district with a figure, ranked, each cited, and a note
naming the districts the corpus gives none for. A side the corpus is silent on is
named, never filled from another year or place.

`answer` returns None for any other question (and for one whose indicator it
cannot tell), so `qa.answer.ask` goes on to retrieval as before.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from index import lexicon
from index.api import Index
from index.facts import Fact
from index.indicators import INDICATORS
from qa.answer import Answer, Citation
from qa.facts import base_indicator, indicator_matches
from qa.question import YEAR, parse

COMPARE = re.compile(r"比.{0,12}?(?:多|少|高|低|大|小|快|慢)|哪个(?:区|更)?(?:高|低|多|少|大|小)|多还是少|高还是低|大还是小|增加还是减少|相比|对比|比较|变化|差多少|差距")
RANK = re.compile(r"(?:哪个|哪些|哪一个|哪几个|各)(?:区|部门|局|地方)?.{0,24}?(?:最高|最低|最多|最少|最大|最小|最快|最慢)|排名|排序|排行")
ASCENDING = re.compile(r"最低|最少|最小|最慢")
DISTRICTS = tuple(f"{d}区" for d in lexicon.DISTRICTS)
MIN_OWN_INDICATOR = 3  # a report's own indicator words a question must hold: "投资", "项目" alone name too much
KIND_WORDS = {"amount": "", "rate": "增速", "count": "", "share": "比重"}


def label_of(indicator: str, kind: str, status: str) -> str:
    """"固定资产投资", "rate", "target" → "固定资产投资增速目标"."""
    return f"{indicator}{KIND_WORDS[kind]}{'目标' if status == 'target' else ''}"


@dataclass(frozen=True)
class TableRow:
    """One line of a comparison or ranking: what it is about, its figure, and the citation behind it."""

    label: str  # "2026年" or "白云区"
    place: str
    year: int | None
    figure: str | None  # as written ("1400亿元"); None: the corpus gives none
    value: float | None
    unit: str | None
    citation: int | None  # the number of the citation (in Answer.citations) it comes from
    rank: int | None = None

    def to_json(self) -> dict:
        """This row in `gzqa ask --json`'s "table"."""
        return {"label": self.label, "place": self.place, "year": self.year, "figure": self.figure,
                "value": self.value, "unit": self.unit, "citation": self.citation, "rank": self.rank}


def asked_indicator(text: str, facts: Sequence[Fact] = ()) -> str | None:
    """The indicator a question names: a canonical one by any form ("固投" → 固定资产投资), else the longest
    indicator of the facts the question holds ("城市更新投资"; at least MIN_OWN_INDICATOR characters); None if none."""
    found = [(len(form), group[0]) for group in INDICATORS for form in group if form.lower() in text.lower()]
    if found:
        return max(found)[1]
    own = {base_indicator(f) for f in facts if len(base_indicator(f)) >= MIN_OWN_INDICATOR}
    named = [name for name in own if name in text]
    return max(named, key=lambda name: (len(name), name)) if named else None


def asked_kind(text: str, facts: list[Fact]) -> str:
    """rate when the question says 增速/增长 (and not 总量/规模); else the kind the indicator's figures mostly
    are besides rates (an amount for 固投, a count for 游客), else rate."""
    if parse(text).measure == "rate":  # the question's own reading of 增速 vs 总量 (qa.question: one home)
        return "rate"
    kinds = Counter(f.kind for f in facts if f.kind != "rate")
    return kinds.most_common(1)[0][0] if kinds else "rate"


def pick(facts: list[Fact], place: str, year: int | None, indicator: str, kind: str, status: str) -> Fact | None:
    """The fact for one cell: this place, year, indicator (the whole year's, not a quarter's), kind; the status
    asked preferred. The first in the index's order when several articles say it."""
    cell = [f for f in facts if f.place == place and f.year == year and f.kind == kind
            and base_indicator(f) == indicator == f.indicator]
    preferred = [f for f in cell if f.status == status]
    return (preferred or cell or [None])[0]


def citation(n: int, fact: Fact, index: Index) -> Citation:
    """A fact → a numbered citation of its clause (the same record retrieval citations are)."""
    article = index.articles.get(fact.source)
    return Citation(n, fact.clause, fact.source, article.title.value if article else fact.source,
                    article.date_value if article else None, fact.year, fact.place, fact.lines, 1.0, True,
                    f"{fact.source}#L{fact.lines[0]}")


def number(value: float) -> str:
    """1400.0 → "1400", 0.50 → "0.5" (two decimals at most: differences of figures written with one)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def amount_text(value: float, unit: str) -> str:
    """A difference: 12.0, "亿元" → "12亿元"; 0.5, "%" → "0.5个百分点" (a difference of rates is in points)."""
    return f"{number(value)}个百分点" if unit == "%" else f"{number(value)}{unit}"


def answer(index: Index, question: str, year: int | None = None) -> Answer | None:
    """A comparison or ranking question → its answer from the facts; None when the question is neither."""
    text = question.strip()
    ranking, comparing = bool(RANK.search(text)), bool(COMPARE.search(text))
    if not (ranking or comparing):
        return None
    indicator = asked_indicator(text, index.facts())
    if indicator is None:
        return None
    facts = [f for f in index.facts() if base_indicator(f) == indicator or indicator_matches(f, indicator)]
    kind = asked_kind(text, facts)
    years = tuple(dict.fromkeys(int(y) for y in YEAR.findall(text)))  # in the question's order: its subject first
    if year is not None and (ranking or not years):  # a comparison names its own years; the flag fills a gap
        years = (year,)
    q = parse(text)
    status = "result" if q.asks_result else "target"
    asked = [p for p in q.places if p.kind in ("district", "body", "scope")]
    at = {p.name: min((i for i in (text.find(f) for f in p.forms) if i >= 0), default=len(text)) for p in asked}
    places = sorted(at, key=at.get)  # in the question's order: its subject first
    if ranking:
        return rank(index, text, facts, indicator, kind, status, years[0] if years else None)
    return compare(index, text, facts, indicator, kind, status, places, list(years))


def rank(index: Index, question: str, facts: list[Fact], indicator: str, kind: str, status: str,
         year: int | None) -> Answer:
    """Every Guangzhou district with a figure for `indicator` in `year`, ranked; the ones without named.

    No year asked: the newest year any district has a figure for, and the note says so.
    """
    assumed = ""
    if year is None:
        year = max((f.year for f in facts if f.place in DISTRICTS and f.year and f.kind == kind
                    and f.status == status and f.indicator == indicator), default=None)
        assumed = f"问题未指定年份，按有数字的最新年份{year}年排序。" if year else ""
    found = [(d, pick(facts, d, year, indicator, kind, status)) for d in DISTRICTS]
    ranked = [(d, f) for d, f in found if f is not None]
    ranked.sort(key=lambda x: x[1].value, reverse=not ASCENDING.search(question))
    cites = tuple(citation(n, f, index) for n, (_, f) in enumerate(ranked, start=1))
    rows, place_rank = [], 0
    for i, (d, f) in enumerate(ranked):
        if i == 0 or f.value != ranked[i - 1][1].value:
            place_rank = i + 1
        rows.append(TableRow(d, d, f.year, f.figure, f.value, f.unit, i + 1, place_rank))
    silent = [d for d, f in found if f is None]
    what = f"{year}年" if year else ""
    label = label_of(indicator, kind, status)
    note = assumed + (f"语料中没有{'、'.join(silent)}{what}的{label}数字。" if silent else "") + \
        ("名次按数值比较（“以上”“左右”等限定词照录，未计入）。" if ranked else "")
    if not ranked:
        return Answer(question, False, None, None, None, f"语料中没有任何区{what}的{label}数字。", (),
                      (year,) if year else (), False, table=(), computed=None)
    top = [r for r in rows if r.rank == 1]
    head = "、".join(f"{r.place}（{r.figure}）" for r in top)
    best, order = ("最低", " < ") if ASCENDING.search(question) else ("最高", " > ")
    text = f"{what}{label}{best}的是{head}。"
    computed = f"按数值排序（计算得出）：{order.join(f'{r.place} {r.figure}' for r in rows)}"
    return Answer(question, True, text, top[0].figure, 1, note, cites, (year,) if year else (), False,
                  table=tuple(rows), computed=computed)


def compare(index: Index, question: str, facts: list[Fact], indicator: str, kind: str, status: str,
            places: list[str], years: list[int]) -> Answer | None:
    """Two sides — one place in two years, or two places in one year — with both citations and the difference."""
    if len(places) == 1 and len(years) == 2:
        sides = [(places[0], y, f"{y}年") for y in years]
    elif len(places) == 2 and len(years) <= 1:
        y = years[0] if years else max((f.year for f in facts if f.place in places and f.year), default=None)
        sides = [(p, y, p) for p in places]
    else:
        return None
    picked = [(place, y, label, pick(facts, place, y, indicator, kind, status)) for place, y, label in sides]
    found = [(place, y, label, f) for place, y, label, f in picked if f is not None]
    cites = tuple(citation(n, f, index) for n, (_, _, _, f) in enumerate(found, start=1))
    numbered = {id(f): n for n, (_, _, _, f) in enumerate(found, start=1)}
    rows = tuple(TableRow(label, place, y, f.figure if f else None, f.value if f else None, f.unit if f else None,
                          numbered.get(id(f)) if f else None) for place, y, label, f in picked)
    label = label_of(indicator, kind, status)
    asked_years = tuple(sorted({y for _, y, _, _ in picked if y}))
    if len(found) < 2:
        silent = "、".join(f"{place}{y}年" if y else place for place, y, _, f in picked if f is None)
        known = "；".join(f"{place}{y}年为{f.figure}（引文[{numbered[id(f)]}]）" for place, y, _, f in found)
        note = f"语料中没有{silent}的{label}数字，无法比较" + (f"；{known}。" if known else "。")
        return Answer(question, False, None, None, None, note, cites, asked_years, False, table=rows, computed=None)
    (p1, y1, l1, a), (p2, y2, l2, b) = found
    if a.unit != b.unit:
        note = f"两个数字单位不同（{a.figure}、{b.figure}），不作比较。"
        return Answer(question, False, None, None, None, note, cites, asked_years, False, table=rows, computed=None)
    diff = a.value - b.value
    who = f"{p1}{label}" if p1 == p2 else label
    if diff == 0:
        verdict, figure = "持平", "持平"
    else:
        word = ("多" if kind in ("amount", "count") else "高") if diff > 0 else ("少" if kind in ("amount", "count") else "低")
        figure = f"{word}{amount_text(abs(diff), a.unit)}"
        verdict = figure
    text = f"{who}：{l1}{a.figure}，比{l2}的{b.figure}{verdict}。"
    computed = f"{number(a.value)}{a.unit} − {number(b.value)}{b.unit} = {'' if diff >= 0 else '−'}" \
               f"{amount_text(abs(diff), a.unit)}（计算得出，非原文）"
    qualifiers = [f"{f.figure}" for f in (a, b) if f.qualifier]
    note = f"按原文数字相减；{'、'.join(qualifiers)}带限定词，差额只是按数字计算。" if qualifiers else None
    return Answer(question, True, text, figure, 1, note, cites, asked_years, False, table=rows, computed=computed)
