"""A question in words → what it asks: years, place or body, indicator terms, the kind of answer wanted.

Years: "2026年" is explicit; "今年"/"去年" are resolved against the newest year
in the corpus and marked as assumed; no year at all leaves the year open.
Districts typed in pinyin or by a homophone slip are read as the district
(qa/spelling.py), and the reading is kept for the answer's note.
Places: the 11 districts and the bodies of the lexicon, in any of their forms;
the scopes 广州/广东 ("全市", "全省"); and any other "XX区/市/县" the question
names (深圳南山区): the corpus may not speak of it, and then the honest answer
is "not found", not Guangzhou's figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index import indicators, lexicon
from index.tokenize import function_words, normalise, tokens
from qa.places import Place, find_places, without_levels
from qa.shapes import COUNT_UNITS
from qa.spelling import read_slips

MAX_CHARS = 500
RELATIVE_YEARS = {"今年": 0, "去年": -1, "上一年": -1, "上年": -1, "明年": 1, "前年": -2}
# How the reports themselves say a year relative to their own: 去年 in a 2024 report is "2023年" or "过去一年".
SAID_RELATIVE = {-1: ("去年", "上一年", "过去一年", "过去的一年", "上年"), 1: ("明年",), -2: ("前年",)}
# How a report names its own past year unmistakably: "比上年增长5%", "较去年同期" compare, they do not speak of it.
OWN_PAST_YEAR = ("过去一年", "过去的一年")
# A threshold asked ("迈过了哪道坎", "越过哪个关口", "跨过多少"): a level, which these reports state as an amount
# ("突破6500亿元", "迈上3万亿元台阶").
THRESHOLD = re.compile(r"(?:跨过|迈过|越过|跨越|迈上|突破)了?多少|哪道"  # not "突破什么技术"
                       r"|(?:哪个|哪一个|哪一道|什么)(?:坎|台阶|关口|大关|门槛|量级)")
WANTS_NUMBER = re.compile(r"多少|多久|多长|多远|多宽|多深|多快|几[个家项条场万亿年]|几|多大|多高|增速|增幅|规模|比重|目标|产能|数量|比例|达到|突破|"
                          + THRESHOLD.pattern)
WANTS_DATE = re.compile(r"哪年|哪一年|何时|什么时候|几月|哪天|哪一天|日期")
# Question phrases that name no content: "哪三个", "分别是哪些", "是第几", "哪天", "几月几号" …
ASKING = re.compile(r"(?:分别)?(?:是)?(?:哪|几|第几)[一二三四五六七八九十两几]?[个些项家条类种大点方面位名年月日号天]?"
                    r"(?:区|部门|单位|局|地方|城市|里)?(?:是)?|是什么|有哪些|指什么|多大规模|规模多大|多大|一把手|负责人|多长时间|多久")
# "2026年", "2026 白云": a year; "2000亿元", "2050万", "2030.5": a figure
YEAR = re.compile(r"(?<![\d.])(20\d\d)(?![\d.%亿万千百元个家项条场人套亩吨倍])")
MEETING_FRAME = re.compile(r"(?:(?:广州|广东)[市省]?|全[市省]|[市省])?高质量发展(?:大会|会议)|代表(?=[^，,。？?]{0,4}[区市省])")
MEETING_DATE = re.compile(r"(?<![\d年])(?:1[0-2]|[1-9])月[1-3]?\d日")
BECOME = re.compile(r"(打造|建设|建|发展|做|变)成(?=什么|啥|哪)")  # "打造成什么": the verb is 打造, jieba cuts 打/造成
# "多少个", "几家"; not "这几个行业" (a demonstrative: those few, not how many), nor "多少项目" (项目, not 项)
ASKED_UNIT = re.compile(r"(?:多少|(?<![这那])几)(亿元|万元|万人|万|亿|" + "|".join(COUNT_UNITS)
                        + r"|亩|倍|吨|平方米|公里|千米)(?<!项(?=目))")  # "多少项目": a noun, counted in 个
# A dimension asked names its unit's kind: "多长" is answered in 公里 (or 千米, 米: qa.shapes.SAME_COUNT), "多少钱" in
# 元, "多大面积" in 亩 or 平方米 — not "40万平方米" for a length, nor "30亿元" for an area.
ASKED_DIMENSION = ((re.compile(r"多长(?!时间)|多远|长度|里程(?!碑)"), "公里"),
                   (re.compile(r"面积|占地多|多少土?地(?![区方块铁市级]|出让)"), "平方米"),  # "拿出多少地给工厂用": an area,
                   # not "多少地区", "多少地级市", "多少土地出让金"
                   (re.compile(r"多少钱|多少资金|多少经费"), "元"))
# "几个点", "多少个百分点": percentage points, a rate said in %; read before ASKED_UNIT, which would take 个
# not "几点" (o'clock), "几个点位" (sites)
ASKED_POINTS = re.compile(r"(?:多少|(?<![这那])几)(?:个|个百分|百分)点(?![位子单])|[占有]几成")  # "占几成": tenths, in %
# a city is the answer, not a province nor a district ("哪座城市", "哪个城"; not "哪个城区")
ASKS_CITY = re.compile(r"(?:哪个|哪座|哪一座|哪一个)(?:城市|城(?![区镇乡中]))")
WANTS_PLACE = re.compile(r"哪个区|哪些区|哪一个区|哪个部门|哪个单位|哪个局|哪个地方|哪里|" + ASKS_CITY.pattern)
WANTS_LIST = re.compile(r"哪些|哪几|哪[两三四五六七八九十]|分别|有什么|包括什么|包括哪")
RATE = re.compile(r"增速|增长|增幅|涨|比重|比例|占比|份额|提高|下降|百分|" + ASKED_POINTS.pattern)
AMOUNT = re.compile(r"总量|规模|总额|总值|多少(?:亿|万|元|钱)|金额|(?:达|冲|做|干|搞)到多少|完成多少|迈上|" + THRESHOLD.pattern)
# An amount asked in so many words wins over a rate word: "增长多少亿元"; otherwise a rate word does. Both are
# read without the indicators' names ("地区生产总值目标" asks no amount: "总值" is part of a name) and without
# what the question says it does not ask ("总量目标是多少（不是增速）").
SAID_AMOUNT = re.compile(r"多少(?:亿|万|元|钱)|金额")
# "涨到多少", "提高到多少": a level, an amount or a share as the rest says ("比例提高到多少" asks 75%), no rate
LEVEL = re.compile(r"(?:涨|增长|增加|提高|提升)到")
NOT_ASKED = re.compile(r"[（(]?(?:(?<!是)不是|(?<!要)不要|并非)[^，,。？?）)]*[）)]?")  # not "是不是增长5%", "要不要"
# What a year achieved asked ("实际完成了多少", "GDP达到了多少"), not what it aims at: reports state their own year's
# targets and the year before's results, and a question of either words it so. A goal word makes it a target's
# ("力争形成多少实际工作量", "要拉动多少实际投资量": 实际 is part of the thing's name there).
ASKS_RESULT = re.compile(r"实际|实绩|完成了|达到了|实现了|过去一年|去年完成")
ASKS_GOAL = re.compile(r"目标|力争|争取|计划|打算|预计|预期|规划|希望|(?<![主重需只紧])要(?![求素点闻])|将(?![军近])|准备")
# Spoken question words, as the patterns above read them: "啥时候" asks a date as "什么时候" does, "是啥" is "是什么"
SPOKEN = {"啥": "什么", "咋": "怎么", "几时": "什么时候"}
SPOKEN_WORD = re.compile("|".join(SPOKEN))
# the indicators' names, less those that say a measure themselves ("经济总量", "经济增速", and a name with a measure
# word after it: "固定资产投资总额", "工业投资额" ask an amount as "固投总额" does)
INDICATOR_NAMES = re.compile("|".join(sorted({re.escape(f) for g in indicators.named_indicators() for f in g
                                              if not f.isascii() and not f.endswith(("总量", "规模"))
                                              and not (f.startswith(g[0]) and f[len(g[0]):] in ("额", "总额", "总值"))
                                              and not RATE.search(f)}, key=len, reverse=True)))


# A sum of money asked by what it is, with no unit ("年产值多少", "投资额约多少", "交多少税"): its figure is in 元
# (亿元, 万元, "2600亿"), not "370余个" beside it — unless a change or a share is asked ("产值增多少", "投入强度"). Read
# when the figure of the answering words is chosen (qa.extract.pick_figure); as an asked unit it would also veto the
# words without one, which cost as many answers as it gained (README, Quality, eleventh session).
MONEY = re.compile(r"产值|投资额|总投资|收入|税(?!务)|资金|经费|营收|销售额|金额")
NOT_MONEY = re.compile(RATE.pattern + r"|(?<!新)增(?!城)|降|强度|率|占(?!地)")  # not 新增投资额, nor 增城


def asks_money(question: Question) -> bool:
    """Does the question ask a sum of money by what it is, in no unit and not its change or share?"""
    return (not question.unit and question.measure != "rate" and bool(MONEY.search(question.text))
            and not NOT_MONEY.search(INDICATOR_NAMES.sub(" ", question.text)))


def measure_asked(text: str) -> str | None:
    """"rate" (增速 → 5%), "amount" (总量 → 2000亿元), or None when the question does not say."""
    said = LEVEL.sub(" ", INDICATOR_NAMES.sub(" ", NOT_ASKED.sub(" ", text)))
    return ("amount" if SAID_AMOUNT.search(said) else "rate" if RATE.search(said)
            else "amount" if AMOUNT.search(said) else None)
WANTS_PERSON = re.compile(r"谁|哪位|叫什么名字|姓名|那位.{0,4}叫什么|书记叫什么|局长叫什么|主任叫什么|区长叫什么|一把手|负责人")


class QuestionError(ValueError):
    """A question that cannot be searched; the message says what to change."""


@dataclass(frozen=True)
class Question:
    """A question as understood: what to search for and what kind of answer it wants."""

    text: str
    years: tuple[int, ...]
    year_assumed: bool
    places: tuple[Place, ...]
    terms: tuple[str, ...]  # content terms for matching (no years, no places, no stop words)
    search_terms: tuple[str, ...]  # everything BM25 is given
    wants: str  # "number" | "person" | "place" | "date" | "list" | "text"
    unit: str | None = None  # the measure asked for: "多少个市委书记" → "个"
    measure: str | None = None  # "rate" (增速 → 5%) or "amount" (总量 → 2000亿元) when the question says
    dates: tuple[str, ...] = ()  # meeting dates named: "2月25日的会上…"
    relative: int | None = None  # the year asked relative to "this year": 去年 → -1 (0 for 今年)
    readings: tuple[tuple[str, str], ...] = ()  # districts typed by sound or slip: ("天和区", "天河区")
    asks_result: bool = False  # what a year achieved is asked, not its target (`ASKS_RESULT`)


SHORT_YEAR = re.compile(r"(?<![\d.])(2\d)年(?![来代间])")  # "24年" as people type 2024年; not "20年来"


def find_years(text: str, latest: int | None) -> tuple[tuple[int, ...], bool]:
    explicit = sorted({int(y) for y in YEAR.findall(text)} | {2000 + int(y) for y in SHORT_YEAR.findall(text)})
    if explicit:
        return tuple(explicit), False
    if latest is not None:
        for word, delta in RELATIVE_YEARS.items():
            if word in text:
                return (latest + delta,), True
    return (), False


def parse(question: str, latest_year: int | None = None) -> Question:
    """Raw question → Question; raises QuestionError when there is nothing to search for."""
    if question is None or not question.strip():
        raise QuestionError("问题是空的——请输入一个问题，例如：白云区2026年固投目标是多少")
    if len(question) > MAX_CHARS:
        raise QuestionError(f"问题有{len(question)}个字，太长了——请缩短到{MAX_CHARS}字以内")
    text, readings = read_slips(normalise(question))
    text = SPOKEN_WORD.sub(lambda m: SPOKEN[m.group()], normalise(text))
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise QuestionError("问题里没有文字（只有标点或符号）——请用中文提问，例如：番禺区委书记叫什么")
    years, assumed = find_years(text, latest_year)
    places = find_places(text)
    place_forms = {f.lower() for p in places for f in p.forms}
    dates = tuple(dict.fromkeys(MEETING_DATE.findall(text)))
    asked = NOT_ASKED.sub(" ", text)  # "工业投资的增速（不是GDP或固投增速）": GDP and 固投 are not searched for
    searched = BECOME.sub(r"\1 ", without_levels(asked, places))
    all_terms = tokens(MEETING_DATE.sub(" ", ASKING.sub(" ", ASKED_POINTS.sub(" ", searched))))
    function = function_words()
    year_words = {str(y) for y in years} | {str(y)[2:] for y in years} | set(RELATIVE_YEARS)
    wants = ("person" if WANTS_PERSON.search(text) else "place" if WANTS_PLACE.search(text)
             else "date" if WANTS_DATE.search(text)
             else "number" if WANTS_NUMBER.search(text) else "list" if WANTS_LIST.search(text) else "text")
    # the meeting every report is of, where the question does not ask its date or place, frames it: no word the
    # answer must hold ("2024年广州市高质量发展大会上代表南沙区发言的是谁" is answered by "南沙区委副书记、区长吴扬表示")
    frame = [m.group() for m in MEETING_FRAME.finditer(asked)] if wants not in ("date", "place") else []
    terms = [t for t in all_terms if not any(t in form for form in place_forms)  # "沙区" of 南沙区 too
             and t not in year_words and t not in function and not re.fullmatch(r"(?:19|20)\d\d|\d", t)
             and not any(t in words for words in frame)]
    unit = ("%" if ASKED_POINTS.search(text) else m[1] if (m := ASKED_UNIT.search(text))
            else next((u for said, u in ASKED_DIMENSION if said.search(text)), None))
    measure = measure_asked(text)
    result = bool(ASKS_RESULT.search(asked)) and not ASKS_GOAL.search(asked)
    return Question(text, years, assumed, places, tuple(dict.fromkeys(terms)),
                    tuple(dict.fromkeys(all_terms)), wants, unit, measure, dates,
                    next((d for w, d in RELATIVE_YEARS.items() if w in text), None) if assumed else None, readings,
                    result)


def dense_text(question: Question) -> str:
    """The question for the dense encoder, with abbreviations spelled out beside it."""
    canonical = lexicon.canonical_forms()
    spelled = [canonical[t] for t in question.search_terms if t in canonical and canonical[t] not in question.text]
    return question.text + (" " + " ".join(dict.fromkeys(spelled)) if spelled else "")
