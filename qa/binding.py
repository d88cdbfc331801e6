"""Is a figure said of what the question asks: its indicator, its part (二期, 一季度), the figure it gives, a
year's result, the measure (rate or amount, new or stock, no share) and the kind of answer asked?

Read mostly from a figure's lead words (`lead`), by extraction (qa/extract.py), ranking (qa/retrieve.py), the
signals (qa/signals.py) and the decision's vetoes (qa/decide.py).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from index import indicators, lexicon
from index.facts import Fact
from index.indicators import PERIODS, split_list, trim
from index.records import Chunk
from index.tokenize import cut
from qa.places import place_groups
from qa.question import ASKS_CITY, NOT_ASKED, Question
from qa.shapes import COUNT_UNITS, DATE, TITLED_NAME, figures, has_figure, says, speaks

INDICATORS = indicators.named_indicators()  # by name: index/indicators.py


def names(form: str, text: str) -> bool:
    """Does lower-case `text` name `form`: anywhere for Chinese, as a whole word for a Latin form ("ai" is not
    in "taikoo" nor in "shanghai")?"""
    if form.isascii():
        return re.search(rf"(?<![a-z]){re.escape(form.lower())}(?![a-z])", text) is not None
    return form in text


def indicators_in(text: str) -> list[tuple[str, ...]]:
    """The indicator groups `text` names."""
    text = text.lower()
    return [g for g in INDICATORS if any(names(f, text) for f in g)]


def foreign_indicator(question: Question, said_of: str) -> bool:
    """Do a figure's lead words name an indicator the question does not ask ("全年社零额增长…" for GDP)?"""
    asked = indicators_in(question.text)
    if not asked:
        return False  # "产出增幅" names no indicator: any may be meant
    asked_forms = [f for g in asked for f in g if not f.isascii()]
    # one whose name holds an asked one's is a kind of it ("研发经费投入" is 研发's), not another
    return any(g not in asked and not any(a in f for f in g for a in asked_forms) for g in indicators_in(said_of))


def indicator_missing(question: Question, text: str) -> bool:
    """Does the question name an indicator ("工业投资", "社零") that the words never name, in any of its forms, or
    ask who holds a title ("区委书记") that the words never name?

    A district's statement lists its indicators; asked one it does not give, it still holds a figure of the
    same shape for another ("固定资产投资增长5%" for 工业投资), and asked its 区委书记 it may name only its
    区长: the words must name what is asked.
    """
    said = indicators_in(text)
    if any(g not in said for g in indicators_in(question.text)):
        return True
    if question.wants != "person":  # "城市长远发展" holds no 市长; a title only matters when its holder is asked
        return False
    titles = [t for t in lexicon.OFFICIAL_TITLES if t in question.text
              and not any(t in u for u in lexicon.OFFICIAL_TITLES if u != t and u in question.text)]
    return bool(titles) and not any(t in text for t in titles)


# A part of a whole the question asks about: a phase ("二期", "首期") or a period of the year ("一季度", "上半年",
# the facts table's `index.indicators.PERIODS`). A passage that never names that part gives the whole's figure
# ("规划总投资40亿元，分两期建设" is not 二期's), or another part's. A phase: a numeral, not after 十, and no
# 期间/期限/期望/期待 ("十四五期间", "长期", "同期" name none).
PHASE = re.compile(r"(?<!十)第?([一二三四五六七八九首1-9])期(?![间限望待])")
PHASE_NUMERALS = str.maketrans("首123456789", "一一二三四五六七八九")


def parts_named(text: str) -> set[str]:
    """The phases and periods `text` names, numerals made alike: {"一期"} for "首期" and "第一期"."""
    return {m[1].translate(PHASE_NUMERALS) + "期" for m in PHASE.finditer(text)} | set(PERIODS.findall(text))


def part_missing(question: Question, words: str, figure: str | None = None) -> bool:
    """Does the question ask of a part (a phase, a period) the words never name, or is their figure said of
    another part ("一期产线完全达产后预计年产能300万套。二期…正有序推进" for 二期's capacity)? Not what it says it does
    not ask: "总规模是多少（不是首期）"."""
    asked = parts_named(NOT_ASKED.sub(" ", question.text))
    if not asked:
        return False
    if not asked <= parts_named(words):
        return True
    # every place the figure stands, its lead words naming a part, none the asked one
    leads = [parts_named(lead(words, m.start())) for m in re.finditer(re.escape(figure), words)] if figure else []
    return bool(leads) and all(said and not asked & said for said in leads)


# A figure the question gives ("突破8600亿是哪个区的目标", "增长5%的是哪个区"): a number said with its magnitude, %
# or 元 — not a year ("2024年") nor a count word ("4大类"). A passage that never states it is not the one the
# question quotes, however well its words match.
GIVEN = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?=[万亿千]|%|元)")


def figure_missing(question: Question, text: str) -> bool:
    """Does the question give a figure that `text` never states (the same digits, not inside a longer number)?"""
    return any(not re.search(rf"(?<![\d.]){re.escape(n)}(?![\d]|\.\d)", text)
               for n in GIVEN.findall(NOT_ASKED.sub(" ", question.text)))


def result_missing(question: Question, chunk: Chunk, figure: str | None, facts: Iterable[Fact]) -> bool:
    """Is what a year achieved asked (`Question.asks_result`) and the figure stated as a target ("2024年研发经费投入
    将超千亿元" for the money spent in 2024), or as another year's result ("过去一年…地区生产总值突破6500亿元" for 2024's)?
    Read from the facts of the chunk's article (index/facts.py: status and year of every figure); a figure they do
    not hold is not judged."""
    if not (question.asks_result and figure):
        return False
    said = [f for f in facts if chunk.char_start <= f.char_start < chunk.char_end
            and (says(f.figure, figure) or says(figure, f.figure))]  # "5%" is not the fact "6.5%"
    return bool(said) and all(f.status != "result" or (question.years and f.year not in question.years)
                              for f in said)


ORDINAL = re.compile(r"第[一二三四五六七八九十百\d]+")
DAY = re.compile(r"\d{1,2}月\d{1,2}日|\d{1,2}日")
MONTH_DAY = re.compile(r"\d{1,2}月\d{1,2}日")  # "几月几号" asks the month too: "25日" alone does not say it
ASKS_DAY = re.compile(r"哪天|哪一天|几月几[日号]|几号|哪个日子|日期")
ASKS_MONTH = re.compile(r"几月|哪个月|哪一个月|月份")
SHARE = re.compile(r"比重|占比|占[^，,；;。]{0,12}$")  # "占GDP比重达到30%": a share, not the indicator itself
SHARE_ASKED = re.compile(r"比重|占比|占(?!地)|比例|百分之|份额|几成")  # a share asked: then "占…比重" answers it


CLAUSE_BREAKS = "，,；;。：:"
CLAUSE_BREAK = re.compile(f"[{CLAUSE_BREAKS}]")
CHANGE = re.compile(r"增长|增速|增幅|提高|提升|下降|降低")  # "…830亿元、增长18%": how the figure before changes
# "A、B、C均增长6%": the figure is said of every item of the list — 均/都/分别 as the adverb before the verb, not
# inside a word ("人均GDP增长", "都市圈投资增长")
ALL_OF = re.compile(r"(?:(?<![人平])均|都|分别)(?=" + CHANGE.pattern + r"|达到?|超过?|突破|不低于|保持|$)")  # $: "均超20%"


def lead(text: str, at: int) -> str:
    """The words a figure at offset `at` is said of: back to the previous figure or break ("、" included), read
    as these reports list their targets:
    - "地区生产总值、社消零总额、固定资产投资均增长6%": with 均/都/分别, of the whole 、-list;
    - "固定资产投资额超830亿元、增长18%": a change naming no indicator continues the figure before it — the rate
      is 固投's, not the next item's ("165万名高校学生、374万名技能人才" is a new item: a count comes before its thing).
    """
    before = text[:at]
    previous = [m for m in figures(before) if m.end() <= at]
    if (items := respective(text, at)) is not None:
        return items

    def after_last(marks: str) -> str:  # the words after the last of `marks` or of the figures before
        return before[max([max(before.rfind(c) for c in marks) + 1] + [m.end() for m in previous]):]

    said = after_last(CLAUSE_BREAKS + "、")
    if ALL_OF.search(said):
        return after_last(CLAUSE_BREAKS)
    last = previous[-1] if previous else None
    if last and CHANGE.search(said) and not indicators_in(said) and not CLAUSE_BREAK.search(before, last.end()):
        return lead(text, last.start()) + before[last.start():]
    return said


def respective(text: str, at: int) -> str | None:
    """The item a figure at `at` is said of when a list of k items (read as the facts table reads one) is followed by
    k figures joined by 、 ("力促新型储能、美妆产业规模突破200亿元、450亿元": 450亿元 is 美妆产业's); None if none."""
    start = max(text.rfind(c, 0, at) for c in CLAUSE_BREAKS) + 1
    chain: list[re.Match] = []
    for m in (m for m in figures(text) if m.start() >= start):
        if chain and text[chain[-1].end():m.start()] != "、":
            if chain[-1].start() >= at:
                break
            chain = []
        chain.append(m)
    starts = [m.start() for m in chain]
    items = [trim(item) or item for item in split_list(text[start:chain[0].start()], len(chain))] if chain else []
    if len(chain) < 2 or at not in starts or len(items) != len(chain) or not all(i and not figures(i) for i in items):
        return None
    return items[starts.index(at)]


def date_said(question: Question, text: str) -> re.Match | None:
    """The date in `text` a date question asks: a day for "哪天/几月几日" (a bare "2024年" does not say it), and
    not one written under another year than the asked ("2023年1月28日" does not date a 2024 meeting)."""
    said = (MONTH_DAY if ASKS_MONTH.search(question.text) else DAY) if ASKS_DAY.search(question.text) else DATE
    for m in said.finditer(text):
        other = re.search(r"((?:19|20)\d\d)年$", text[:m.start()])
        if not (question.years and other and int(other[1]) not in question.years):
            return m
    return None


def counts_other(question: Question, text: str, at: int, figure: str) -> bool:
    """Does a count the question asks no unit of count something it does not name ("5个乡镇" for "一年能收多少稻谷";
    not "165万名高校学生" for "多少在读大学生": synonyms are one thing)? The thing counted is the word after it, or,
    when none follows, the words before it: none of them asked ("推进城市更新项目494个，" for "翻新多少处老旧小区"; not
    "一期产线完全达产后预计年产能300万套" for "一期达产后年产能多少", whose verbs and nouns jieba's tags mix up)."""
    if question.unit or not figure.endswith(COUNT_UNITS):
        return False
    canonical = lexicon.canonical_forms()
    asked = {canonical.get(t, t) for t in question.terms}

    def other(word: str) -> bool:  # a word the question does not ask, whole or by parts ("技能人才": 技能, 人才)
        rest = word
        for term in sorted(question.terms, key=len, reverse=True):
            rest = rest.replace(term, "")
        return len(word) > 1 and word not in question.text and canonical.get(word, word) not in asked and bool(rest)

    after = re.match(r"(?:以上|左右|余)?([\u4e00-\u9fff]{2,6})", text[at + len(figure):])
    if after:
        return other(cut(after[1])[0])
    before = re.search(r"([\u4e00-\u9fff]{2,8})$", text[:at])
    words = [w for w in cut(before[1]) if len(w) > 1] if before else []
    return bool(words) and all(other(w) for w in words)


# A question of what is new ("新增多少家", "新培育多少") is not answered by a stock ("拥有1.3万家", "累计…"): the
# figure's lead words say which it is.
ASKS_NEW = re.compile(r"新增|新培育|新引进|新认定|新冒出|多冒出|新落地")
STOCK = re.compile(r"拥有|共有|累计|现有|总数")


def stock_for_new(question: Question, said_of: str) -> bool:
    """Does the question ask what is new, and are the figure's lead words those of a stock?"""
    return bool(ASKS_NEW.search(question.text) and STOCK.search(said_of))


def share_for_change(question: Question, said_of: str) -> bool:
    """Does the question ask how much something grows ("工业增加值增长目标"), and are the figure's lead words those of a
    share ("工业增加值占GDP比重达到30%")? A share is a level, not a change, whatever its %."""
    return bool(CHANGE.search(question.text) and not SHARE_ASKED.search(question.text) and SHARE.search(said_of))


def measure_matches(question: Question, figure: str) -> bool:
    """Is `figure` the measure asked: a rate ("5%") for "增长多少", an amount for "总量多少" (any when none is said)?"""
    return not question.measure or ("%" in figure) == (question.measure == "rate")


CITY_NAME = re.compile("|".join(map(re.escape, sorted(lexicon.CITIES, key=len, reverse=True))))
# A place named in an answer: a district or body of the lexicon, or a city ("在深圳召开").
PLACE_NAME = re.compile("|".join(sorted({re.escape(f) for g in place_groups() for f in g}
                                        | set(lexicon.CITIES), key=len, reverse=True)))


def answers_kind(question: Question, text: str) -> bool:
    """Do the words hold the kind of thing asked: a figure (in the asked unit), a date, a place, a person?"""
    if question.wants == "number":  # "第几年" is answered by an ordinal: "第二年"
        return has_figure(text, question.unit) or bool("第几" in question.text and ORDINAL.search(text))
    if question.wants == "date":  # "哪天/几月几日" asks a day: a bare "2024年" does not say it
        return date_said(question, text) is not None
    if question.wants == "place":  # "在哪座城市召开" is not answered by "广东…召开"
        return bool((CITY_NAME if ASKS_CITY.search(question.text) else PLACE_NAME).search(text))
    if question.wants == "person":
        return bool(TITLED_NAME.search(text) or speaks(text))
    return True
