"""An article → its facts: one row per figure, bound to a place, a year and an indicator, cited verbatim.

A fact is "<indicator><verb><figure>" as the reports state it: "完成固投1400亿元"
→ (白云区, 2026, 固定资产投资, 1400 亿元, amount, target). The text is read in
sentences of the cleaned blocks (OCR breaks joined), so a clause split over two
raw lines is one clause, cited by both lines.

Binding, in order of evidence:
- place (`index.places`): the last place named before the figure in its section,
  else the section heading's, else the article's city. In a bureau's section only
  another bureau takes over ("广州将…" is still the bureau speaking); in a
  district's, neither its city nor the province does.
- year: a year named earlier in the paragraph ("力争到2027年", "在过去的2023年";
  "过去一年" = the article's year − 1; "今年" back to the article's), else the
  article's year.
- indicator: the words before the figure, back to the previous clause mark or
  figure, less the verbs and time words around them. A count binds the noun after
  it ("新增十个概念验证中心", "拥有1.3万家高新技术企业"); empty words point back at
  the previous figure's indicator ("完成固投1400亿元,增长5%以上" → 固投 twice).
  A list before one figure gives one row each ("规上工业、社零增长5%"); as many
  figures as items pair in order ("A、B突破200亿元、450亿元").
- target or result: a result when the paragraph speaks of the past (过去, 去年,
  拥有, 据统计, 已…了) or the year is before the article's, or when neither the
  sentence nor the one before says it is a goal (将, 力争, 计划, 今年, 全年 …):
  "占地约12万平方米" describes, it does not aim.

Concessions: a figure whose words are unsure (a number inside them, a bare verb,
an amount that qualifies the noun after it: "投资超10亿元制造业项目") is left out
rather than guessed; figures in headings are left out (the text repeats them).
"""
from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from index.chunk import quote, sections
from index.clean import Block, blocks
from index.figures import COUNT_UNITS, FIGURE, figure_kind, figure_value, is_figure
from index.indicators import PERIODS, after_noun, canonical_indicator, indicators_for, trim
from index.places import HOME, PLACE, PROVINCE, Place, heading_place, parse_place, places_in, takes_over
from index.records import Article, line_of

# Bump when extraction changes (here or in figures.py, places.py, indicators.py): part of the pipeline version.
# 2, 3: 年产值 and 年产能 are indicators.
VERSION = "3"

CLAUSE_MARK = re.compile(r"[，,；;：:。！？!?（）()]")
SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+['\"”’」』）)]*|$)")


def _led(first: str, pattern: str) -> re.Pattern:
    """`pattern`, behind a lookahead on the characters `first` that every match of it starts with: the scan
    skips every other position at once (the same matches, 1.5–2 × faster; as `places.PLACE`)."""
    return re.compile(f"(?=[{first}])(?:{pattern})")


RESULT_CUES = _led("过去上拥据已目截连集申汇迎取获",
                   r"过去|去年(?!\d{1,2}月)|上一年|拥有|据统计|已经|已达|目前|截至|连续\d+年|已[\u4e00-\u9fff]{1,3}了|"
                   r"(?:集聚|申请|汇集|迎来|取得|获得)了")
# What sets the year of a paragraph: "力争到2027年", "在过去的2023年", "过去一年" (the report's year − 1), "今年".
CONTEXT_YEAR = _led("过到至从2去上今新",
                    r"(?P<past_named>过去的?)?(?:到|至|从)?(?P<named>20\d\d)年(?!\d{1,2}月|以前|前|一季度)"
                    r"|(?P<past>过去一年|过去的一年|去年(?!\d{1,2}月)|上一年)|今年|新的一年")
STRIVE = re.compile(r"力争|争取")
GOAL = _led("将要力争确计预规目努锚紧冲全加尽推举安提今年新到从",
            r"将(?!军)|(?<![主重需只紧])要(?![求素点闻])|力争|争取|确保|计划|预计|预估|规划|目标|努力|锚定|紧盯|"
            r"冲刺|全力|加快|尽快|推进|推动|举措|安排|提升至|提升到|提高至|提高到|今年(?!的)|全年|年内|新的一年|力促|"
            r"到20\d\d年|从20\d\d年起")
FULL_STOP = re.compile(r"[。！？!?]")
SPEAKER = re.compile(r"^.*?(?:书记|区长|市长|局长|主任)[\u4e00-\u9fff]{2,3}(?:表示|指出|介绍|强调)")
WORDS_KEPT = 1 << 14  # indicator words remembered (`_indicator_words`): reports repeat their phrasing


@dataclass(frozen=True)
class Fact:
    """One figure of one article, bound to place, year and indicator, with the clause it was read from."""

    source: str
    place: str
    place_kind: str
    city: str
    year: int | None
    indicator: str  # canonical name ("固定资产投资") or the report's own words for other indicators
    value: float
    unit: str  # "亿元", "%", "个" … as written (a bare "亿" is "亿元")
    kind: str  # "amount" | "rate" (growth) | "count" | "share"
    qualifier: str  # "以上", "不低于", "约", "突破", "力争" … joined by "、"; "" for none
    status: str  # "target" | "result"
    figure: str  # the figure as written: "1400亿元", "5%以上"
    clause: str  # the sentence it stands in, verbatim (line breaks removed)
    lines: tuple[int, int]  # 1-based inclusive lines of the clause in seeds/<source>
    char_start: int  # raw offsets of the figure in the article text
    char_end: int

    def to_json(self) -> dict:
        """This fact as a line of facts.jsonl."""
        out = {name: getattr(self, name) for name in _FIELDS}  # not `asdict`: it deep-copies every (flat) value
        out["lines"] = list(self.lines)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Fact":
        """A line of facts.jsonl → the fact again."""
        return cls(**{**data, "lines": tuple(data["lines"])})


_FIELDS = tuple(f.name for f in fields(Fact))


def year_context(sentence: str, year: int | None, past: bool, article_year: int | None) -> tuple[int | None, bool]:
    """The year (and past-ness) a sentence leaves in effect for the rest of its paragraph."""
    for m in CONTEXT_YEAR.finditer(sentence):
        if m["named"]:
            year = int(m["named"])
            past = bool(article_year and year < article_year) or bool(m["past_named"])
        elif m["past"]:
            year, past = (article_year - 1 if article_year else None), True
        else:  # 今年, 新的一年
            year, past = article_year, False
    return year, past


def extract(article: Article) -> list[Fact]:
    """An article → its facts, in reading order."""
    text, city = article.text, (article.city.value if article.city else HOME)
    year = article.year_number
    out: list[Fact] = []
    for path, section_blocks in sections(blocks(text), captions=False):
        section_place = heading_place(path, city)
        current = section_place or Place(city, "province" if city == PROVINCE else "city", city)
        for block in section_blocks:
            context = (year, False)  # a year named in one sentence holds for the rest of its paragraph
            stops = [m.end() for m in FULL_STOP.finditer(block.text)]
            for m in SENTENCE.finditer(block.text):
                if m.end() > m.start():
                    current = _sentence_facts(article, block, stops, m.group(), m.start(), current, section_place,
                                              context, year, city, out)
                    context = year_context(m.group(), *context, year)
    return out


def _sentence_facts(article: Article, block: Block, stops: list[int], sentence: str, offset: int, current: Place,
                    section_place: Place | None, context: tuple[int | None, bool], year: int | None, city: str,
                    out: list[Fact]) -> Place:
    """Append the facts of one sentence to `out`; → the place in effect at its end (`stops`: the block's
    full stops' ends, for `_previous_sentence_start`)."""
    named = places_in(sentence, city)
    figures = [m for m in FIGURE.finditer(sentence) if is_figure(sentence, m)]
    if not figures:  # most sentences: no fact, only the place they name may carry over
        return _place_after(named, current, section_place)
    raw_start = block.raw_offset(offset)
    raw_end = block.raw_offset(offset + len(sentence.rstrip()), is_end=True)
    clause = quote(article.text, raw_start, raw_end)
    lines = (line_of(article.text, raw_start), line_of(article.text, raw_end))
    runs: list[list[re.Match]] = []  # figures joined by "、" only: "突破200亿元、450亿元"
    for m in figures:
        if runs and sentence[runs[-1][-1].end():m.start()].strip() == "、":
            runs[-1].append(m)
        else:
            runs.append([m])
    first_row = len(out)
    previous: list[str] = []
    consumed = 0  # the end of the words the last figure used (its figure, or the noun after it)
    for run in runs:
        first = run[0]
        place = current
        for at, p in named:
            if at < first.start() and takes_over(p, place, section_place):
                place = p
        before = sentence[:first.start()]
        fy, past = year_context(before, *context, year)
        # a goal is stated as one: a word of its sentence or of the sentence before says so ("将", "力争",
        # "今年", "计划" …); without one the sentence describes what is ("占地约12万平方米", "该基金规模达15亿元")
        aimed = GOAL.search(block.text, _previous_sentence_start(stops, offset + first.start()),
                            offset + first.start()) is not None
        past = past or bool(RESULT_CUES.search(before)) or not aimed
        cut = max([0, consumed if consumed <= first.start() else 0]
                  + [c.end() for c in CLAUSE_MARK.finditer(sentence, 0, first.start())]
                  + [f.end() for f in figures if f.end() <= first.start()])
        own = sentence[cut:first.start()]
        period = PERIODS.search(own)
        words = _indicator_words(own, city)
        names, used = indicators_for(words, sentence, first, previous, len(run))
        consumed = max(consumed, first.end() + used)
        if not names:
            continue
        previous = names if not used else []  # a count's noun is no indicator for the figures after it
        read = [figure_value(m) for m in run]
        first_unit = read[0][1]
        kind_of_run = figure_kind(first_unit, before)
        strive = "力争" if STRIVE.search(before) else ""
        for i, m in enumerate(run):
            value, unit = read[i]
            own_names = [names[i]] if len(names) == len(run) > 1 else names
            if i > 0 and m["unit"] in COUNT_UNITS:  # "十个概念验证中心、百个成果应用场景": each its own noun
                after = after_noun(sentence, m)
                own_names = [after] if after else own_names
                consumed = max(consumed, m.end() + len(after))
            kind = kind_of_run if unit == first_unit else figure_kind(unit, before)
            qualifiers = [q for q in (strive, m["pre"] or "", m["about"] or "",
                                      m["post"] or "") if q and q != "向"]
            f_start, f_end = block.raw_offset(offset + m.start()), block.raw_offset(offset + m.end(), is_end=True)
            for name in own_names:
                indicator = canonical_indicator(name) + (f"（{period.group()}）" if period else "")
                out.append(Fact(article.source, place.name, place.kind, place.city, fy, indicator, value, unit, kind,
                                "、".join(dict.fromkeys(qualifiers)), "result" if past else "target",
                                m.group(), clause, lines, f_start, f_end))
    _share_heads(out, first_row)
    return _place_after(named, current, section_place)


def _place_after(named: list[tuple[int, Place]], current: Place, section_place: Place | None) -> Place:
    """The place in effect after a sentence naming `named`, `current` before it."""
    for _, p in named:
        if takes_over(p, current, section_place):
            current = p
    return current


def _share_heads(out: list[Fact], start: int) -> None:
    """Graded counts of one sentence share the last one's head noun: "2个百亿级、10个十亿级、100个亿级项目"."""
    rows = out[start:]
    heads = [f.indicator.split("级", 1)[1] for f in rows if "级" in f.indicator and not f.indicator.endswith("级")]
    if not heads:
        return
    for i, f in enumerate(rows, start=start):
        if f.kind == "count" and f.indicator.endswith("级"):
            out[i] = replace(f, indicator=f.indicator + heads[-1])


def _previous_sentence_start(stops: list[int], at: int) -> int:
    """Where the sentence before the one holding offset `at` starts (sentences end at 。！？, not at ；),
    from the ends of a block's full stops in order (one character each: those before `at` end at or before it)."""
    k = bisect_left(stops, at + 1)
    return stops[k - 2] if k >= 2 else 0


@lru_cache(maxsize=WORDS_KEPT)  # a pure function of its arguments: reports repeat their indicator words
def _indicator_words(own: str, city: str) -> str:
    """The words before a figure → the indicator in them: places, speaker and periods removed, trimmed."""
    return trim(PERIODS.sub("", _drop_places(own, city)))


def _drop_places(words: str, city: str) -> str:
    """Indicator words with the place names and the speaker in them removed ("白云区固投" → "固投")."""
    words = PLACE.sub(lambda m: "" if parse_place(m, city) else m.group(), words)
    return SPEAKER.sub("", words)


def extract_all(articles: list[Article]) -> list[Fact]:
    """Every article's facts, in the articles' order (milliseconds an article: recomputed on every update)."""
    return [f for a in articles for f in extract(a)]


def write_facts(path: Path, articles: list[Article], previous=None) -> tuple[int, int]:
    """The articles' facts → `path` as JSON lines (facts.jsonl of a build); → (rows written, articles reused).

    `previous` (the published index, or None): an article whose text (sha256) it holds, read by the same
    pipeline version, keeps its facts from there; only new or changed articles are read again.
    """
    from index.pipeline import pipeline_version  # the pipeline version includes this module's VERSION

    kept: dict[str, list[Fact]] = {}
    if previous is not None and previous.manifest.get("pipeline_version") == pipeline_version():
        same = {a.source for a in articles if (old := previous.articles.get(a.source)) and old.sha256 == a.sha256}
        for f in previous.facts():
            if f.source in same:
                kept.setdefault(f.source, []).append(f)
        kept.update({source: [] for source in same if source not in kept})
    found = [f for a in articles for f in (kept[a.source] if a.source in kept else extract(a))]
    with open(path, "w", encoding="utf-8") as handle:
        for f in found:
            handle.write(json.dumps(f.to_json(), ensure_ascii=False) + "\n")
    return len(found), len(kept)
