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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from index import lexicon
from index.chunk import quote, sections
from index.clean import Block, blocks
from index.figures import COUNT_UNITS, FIGURE, figure_kind, figure_value, is_figure
from index.places import HOME, PLACE, PROVINCE, Place, heading_place, parse_place, places_in, takes_over
from index.records import Article, line_of

VERSION = "1"  # bump when extraction changes: part of the pipeline version an index is checked against

# Canonical indicator names (first) and the forms the reports and users write. Data, not logic.
INDICATORS: tuple[tuple[str, ...], ...] = (
    ("地区生产总值", "GDP", "gdp", "生产总值", "经济总量", "地区生产总值总量"),
    ("固定资产投资", "固投", "固定资产投资额", "固定资产投资总额", "完成固投"),
    ("规上工业总产值", "规模以上工业总产值", "规上工业产值", "规模以上工业产值"),
    ("规上工业增加值", "规模以上工业增加值"),
    ("社会消费品零售总额", "社零", "社零额", "社消零", "社消零总额", "社会消费品零售额", "社零总额"),
    ("外贸进出口", "外贸进出口总值", "进出口总值", "外贸", "进出口"),
    ("工业投资", "工投", "工业投资额"),
    ("技改投资", "技术改造投资"),
    ("新开工项目",),
    ("游客", "接待游客", "年接待游客"),
    ("研发经费投入", "研发投入", "研发经费"),
)
# Words that only point back at the indicator just named: "总量突破3000亿元", "增速不低于6%".
PRONOUN_INDICATORS = frozenset("总量 规模 总额 总值 增速 增幅 增长 全年 其中 各 均 分别 年".split())

CLAUSE_MARK = re.compile(r"[，,；;：:。！？!?（）()]")
SENTENCE = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+['\"”’」』）)]*|$)")

# Leading words that are no part of an indicator: modal verbs, time words, the speaker's frame.
LEAD = re.compile(
    r"^(?:[“”\"'、]|今年|全年|年内|新的一年|当年|将|要|再|并|和|及|以及|同时|其中|推动|推进|努力|力争|争取|确保|"
    r"实现|完成|锚定|紧盯|全力|冲刺|计划|预计|预估|可|能|该区|尽快|把|全区|全市|全省|主要|经济发展主要目标是|"
    r"主要经济增长目标是|目标是|目标为|的目标是|目标|是|为|在|了|都|也|还|就|更|进一步|如(?=推动|推进)|力促|着力|[一二三四五]年|"
    r"累计|共|均|各|实际中|我们|继续|持续|加快|大力|更加|深入|加大力度|以超常规的举措|"
    r"(?:20\d\d)年(?:底|末)?|到|至|从|起|向)+")
# Trailing words between an indicator and its figure: the verb of the statement.
TRAIL = re.compile(
    r"(?:[“”\"'、]|增速目标为|增速为|增长率|同比增长|年均增长|增长|增速|增幅|提升至|提升到|提高至|提高到|提升|提高|"
    r"达到|达|突破|超过|超|完成|实现|迈上|跨越|迈进|为|是|约|近|逾|均|各|分别|计划|保持|至|到|在|将|"
    r"不低于|不少于|再|共计|共|累计|已|要|可|预计|预估|力争|争取|确保|努力|连续\d+年)+$")
# Words ending in a verb: the figure after them counts the verb's object ("新增十个概念验证中心").
VERB_END = re.compile(r"(?:推进|推动|形成|打造|实施|新增|引进|新引进|培育|建设|布局|举办|推出|拥有|集聚了|申请了|汇集了|"
                      r"组织|启动|加快|聚焦|挖掘|提供|培养|支持|新开工|开工|招引|新招引|抓好|安排|引育|获批|"
                      r"对接|用好|出让|建成|完成|增加|筹建|分布|发挥|有)$")
# A figure before a noun counts that noun: "培养500名技术经理人" → 技术经理人.
AFTER_LIMIT = 16  # a counted noun is at most this long ("省级专精特新中小企业和创新型中小企业" is 18: cut at 和)
AFTER_NOUN = re.compile(rf"[\u4e00-\u9fffA-Za-z]{{1,{AFTER_LIMIT}}}")
AFTER_VERB = re.compile(r"促进|推动|实现|加快|助力|带动|实施|开展")
AFTER_STOP = re.compile(r"(?:集中攻坚|攻坚|落地|(?<!新)开工|动工|建成|投产|取得|开展|实施|增资|加快|率先|以上|以及|"
                        r"新台阶|关口|大关|台阶|一季度|全覆盖|完成|实现|等|齐聚|里程碑|目标|到|产业导入|共计|迈进|“|和$|外$|(?<=[\u4e00-\u9fff]{4})和).*$")
MAX_INDICATOR = 20  # longer words before a figure are a clause, not a name: only their tail after a mark is kept
PERIODS = re.compile(r"[一二三四]季度|上半年|下半年")
PERIOD_VERB = re.compile(r"(?P<period>[一二三四]季度|上半年|下半年)(?P<verb>新开工|开工|竣工|投产|动工)")
RESULT_CUES = re.compile(r"过去|去年(?!\d{1,2}月)|上一年|拥有|据统计|已经|已达|目前|截至|连续\d+年|已[\u4e00-\u9fff]{1,3}了|"
                         r"(?:集聚|申请|汇集|迎来|取得|获得)了")
# What sets the year of a paragraph: "力争到2027年", "在过去的2023年", "过去一年" (the report's year − 1), "今年".
CONTEXT_YEAR = re.compile(r"(?P<past_named>过去的?)?(?:到|至|从)?(?P<named>20\d\d)年(?!\d{1,2}月|以前|前|一季度)"
                          r"|(?P<past>过去一年|过去的一年|去年(?!\d{1,2}月)|上一年)|今年|新的一年")
STRIVE = re.compile(r"力争|争取")
GOAL = re.compile(r"将(?!军)|(?<![主重需只紧])要(?![求素点闻])|力争|争取|确保|计划|预计|预估|规划|目标|努力|锚定|紧盯|"
                  r"冲刺|全力|加快|尽快|推进|推动|举措|安排|提升至|提升到|提高至|提高到|今年(?!的)|全年|年内|新的一年|力促|到20\d\d年|从20\d\d年起")
FULL_STOP = re.compile(r"[。！？!?]")


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
        out = asdict(self)
        out["lines"] = list(self.lines)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Fact":
        """A line of facts.jsonl → the fact again."""
        return cls(**{**data, "lines": tuple(data["lines"])})


def canonical_indicator(words: str) -> str:
    """An indicator as written ("固投", "GDP", "规模以上工业总产值") → its canonical name; other words unchanged."""
    words = words.strip()
    for group in INDICATORS:
        if words in group or words.lower() in group:
            return group[0]
    for form, canonical in lexicon.canonical_forms().items():  # 社消零总额 → 社会消费品零售总额, via the lexicon
        if words == form and any(canonical == g[0] for g in INDICATORS):
            return canonical
    return words


def indicator_forms(words: str) -> tuple[str, ...]:
    """A user's indicator ("固投", "GDP增速") → the canonical names and words to match facts by."""
    words = words.strip()
    found = {canonical_indicator(words)}
    for group in INDICATORS:
        if any(form.lower() in words.lower() for form in group if len(form) > 1):
            found.add(group[0])
    return tuple(sorted(found))


def trim(words: str) -> str:
    """The words between a clause mark and a figure → the indicator in them ("" when only verbs remain)."""
    words = words.strip()
    previous = None
    while words != previous:
        previous = words
        words = LEAD.sub("", words)
        words = TRAIL.sub("", words)
        words = words.strip("“”\"' 、")
    return words


def split_list(words: str, run: int = 1) -> list[str]:
    """"地区生产总值、社消零总额和固定资产投资" → the three; "规上工业总产值和增加值" → 规上工业总产值, 规上工业增加值.

    Split only when the last item is an indicator the table knows, or when as many figures follow as
    there are items ("新型储能、美妆产业规模突破200亿元、450亿元"): "国家、省重大科技项目" is one thing.
    """
    parts = [p for p in re.split(r"、|和|及|与", words) if p]
    known = bool(parts) and any(parts[-1] in group for group in INDICATORS)
    if len(parts) < 2 or not (known or len(parts) == run or parts[-1] in ("增加值", "总产值")):
        return [words]
    out = [parts[0]]
    for p in parts[1:]:
        if p in ("增加值", "总产值", "产值") and out:  # the head is shared: 规上工业总产值和增加值
            stem = re.sub(r"(总产值|增加值|产值)$", "", out[0])
            p = stem + p
        out.append(p)
    return out


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
    for path, section_blocks in sections(blocks(text)):
        section_place = heading_place(path, city)
        current = section_place or Place(city, "province" if city == PROVINCE else "city", city)
        for block in section_blocks:
            context = (year, False)  # a year named in one sentence holds for the rest of its paragraph
            for m in SENTENCE.finditer(block.text):
                if m.end() > m.start():
                    current = _sentence_facts(article, block, m.group(), m.start(), current, section_place,
                                              context, year, city, out)
                    context = year_context(m.group(), *context, year)
    return out


def _sentence_facts(article: Article, block: Block, sentence: str, offset: int, current: Place,
                    section_place: Place | None, context: tuple[int | None, bool], year: int | None, city: str,
                    out: list[Fact]) -> Place:
    """Append the facts of one sentence to `out`; → the place in effect at its end."""
    named = places_in(sentence, city)
    figures = [m for m in FIGURE.finditer(sentence) if is_figure(sentence, m)]
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
        aimed = GOAL.search(block.text, _previous_sentence_start(block.text, offset + first.start()),
                            offset + first.start()) is not None
        past = past or bool(RESULT_CUES.search(before)) or not aimed
        cut = max([0, consumed if consumed <= first.start() else 0]
                  + [c.end() for c in CLAUSE_MARK.finditer(sentence, 0, first.start())]
                  + [f.end() for f in figures if f.end() <= first.start()])
        own = sentence[cut:first.start()]
        period = PERIODS.search(own)
        words = trim(PERIODS.sub("", _drop_places(own, city)))
        names, used = _indicators(words, sentence, first, previous, len(run))
        consumed = max(consumed, first.end() + used)
        if not names:
            continue
        previous = names if not used else []  # a count's noun is no indicator for the figures after it
        kind_of_run = figure_kind(figure_value(first)[1], before)
        for i, m in enumerate(run):
            value, unit = figure_value(m)
            own_names = [names[i]] if len(names) == len(run) > 1 else names
            if i > 0 and m["unit"] in COUNT_UNITS:  # "十个概念验证中心、百个成果应用场景": each its own noun
                after = _after_noun(sentence, m)
                own_names = [after] if after else own_names
                consumed = max(consumed, m.end() + len(after))
            kind = kind_of_run if unit == figure_value(first)[1] else figure_kind(unit, before)
            qualifiers = [q for q in (("力争" if STRIVE.search(before) else ""), m["pre"] or "", m["about"] or "",
                                      m["post"] or "") if q and q != "向"]
            f_start, f_end = block.raw_offset(offset + m.start()), block.raw_offset(offset + m.end(), is_end=True)
            for name in own_names:
                indicator = canonical_indicator(name) + (f"（{period.group()}）" if period else "")
                out.append(Fact(article.source, place.name, place.kind, place.city, fy, indicator, value, unit, kind,
                                "、".join(dict.fromkeys(qualifiers)), "result" if past else "target",
                                m.group(), clause, lines, f_start, f_end))
    _share_heads(out, first_row)
    for at, p in named:
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


def _previous_sentence_start(text: str, at: int) -> int:
    """Where the sentence before the one holding offset `at` starts (sentences end at 。！？, not at ；)."""
    ends = [m.end() for m in FULL_STOP.finditer(text, 0, at)]
    return ends[-2] if len(ends) >= 2 else 0


def _drop_places(words: str, city: str) -> str:
    """Indicator words with the place names and the speaker in them removed ("白云区固投" → "固投")."""
    words = PLACE.sub(lambda m: "" if parse_place(m, city) else m.group(), words)
    return re.sub(r"^.*?(?:书记|区长|市长|局长|主任)[\u4e00-\u9fff]{2,3}(?:表示|指出|介绍|强调)", "", words)


def _after_noun(sentence: str, m: re.Match) -> str:
    """The noun a figure qualifies when it stands before it: "培养500名技术经理人" → 技术经理人 ("" when none).

    "X的Y" after the figure is Y ("100公里的活力创新轴"); otherwise the noun stops at its first 的.
    """
    if m["unit"] in ("%", "倍") and sentence[m.end():m.end() + 1] != "的":
        return ""  # "增长5%以上": a rate qualifies no noun, unless it says so ("70%的国家和省重点实验室")
    found = AFTER_NOUN.match(sentence, m.end())
    if not found or AFTER_VERB.match(found.group()):
        return ""  # "20条促进外资…": a verb follows, no noun
    words = found.group()
    truncated = len(words) == AFTER_LIMIT and AFTER_NOUN.match(sentence, found.end()) is not None
    parts = [p for p in words.split("的") if p]
    if not parts:
        return ""
    if len(parts) > 1 and len(parts[-1]) <= 2 and len(parts[-2]) <= 2:
        words = parts[-2] + parts[-1]  # "2条村的改造" → 村改造
    else:
        words = parts[-1] if len(parts[-1]) > 2 or len(parts) == 1 else parts[-2]
    stopped = AFTER_STOP.sub("", words)
    if truncated and stopped == words:
        return ""  # longer than a noun and nothing ends it: a clause, not what the figure counts
    timed = PERIOD_VERB.match(words, len(stopped))
    if timed and len(stopped) > 1:  # "30个项目一季度新开工" → 新开工项目（一季度）
        return f"{timed['verb']}{stopped}（{timed['period']}）"
    return stopped if len(stopped) > 1 else ""


def _indicators(words: str, sentence: str, m: re.Match, previous: list[str], run: int) -> tuple[list[str], int]:
    """The indicator names a figure is bound to (one per listed indicator; [] when none can be told),
    and how many characters after the figure they used.

    The words before the figure name it, unless they end in a verb whose object the figure counts
    ("新增十个概念验证中心", "拥有1.3万家高新技术企业") or the figure is a count of the noun after it;
    empty words point back at the previous figure's ("完成固投1400亿元,增长5%以上") when nothing but a
    clause mark follows the figure.
    """
    after = _after_noun(sentence, m)
    own = words if words and words not in PRONOUN_INDICATORS and len(words) > 1 else ""
    explicit = sentence[m.end():m.end() + 1] == "的"
    if re.search(r"\d", own):
        return [], 0  # a figure we did not read sits in the words ("仅用4年零8个月迎来了"): the binding is unsure
    known = any(own in group for group in INDICATORS)
    if after and own and not known and not explicit and not VERB_END.search(own) \
            and figure_kind(figure_value(m)[1], "") == "amount" and len(own) > 2:
        return [], 0  # "投资超10亿元制造业项目": the amount is an attribute of the noun after it, not a figure of its own
    if after and m["unit"] in ("%", "倍") and own and not VERB_END.search(own):
        after = ""  # "工业投资增长28%的经济发展目标": the rate is the words before it
    if after and (not own or VERB_END.search(own) or m["unit"] in COUNT_UNITS or explicit):
        short = own if own and len(own) <= 4 and not VERB_END.search(own) else ""
        return [short + after], len(after) + explicit
    if own and VERB_END.fullmatch(own):
        return [], 0  # "对接21条…": a verb and a figure, the noun unread
    if own:
        parts = split_list(own, run)
        if len(parts) == 1 and len(own) > MAX_INDICATOR:
            own = re.split(r"[^\u4e00-\u9fffA-Za-z]", own)[-1]
            parts = [own] if 1 < len(own) <= MAX_INDICATOR else []
        return parts, 0
    following = sentence[m.end():m.end() + 4]
    if following[:1] in ("", "，", ",", "。", "；", ";", "、", "）", ")", "的") or AFTER_STOP.match(following):
        return list(previous), 0
    return [], 0


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
