"""The words around a figure → the indicator it measures, in a canonical name or the report's own words.

Before the figure: the words back to the previous clause mark or figure, less the
modal verbs, time words and the statement's verb (`trim`); a list gives one name
per item (`split_list`). After it: the noun a count (or "X的Y") qualifies
(`after_noun`: "培养500名技术经理人" → 技术经理人). `indicators_for` weighs the two.
"""
from __future__ import annotations

import re
from functools import lru_cache

from index import lexicon
from index.figures import COUNT_UNITS, figure_kind, figure_value

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
    ("年产值",),  # a project's output value, not its capacity: "年产能300万套" does not say it
    ("年产能",),  # not 产能 alone: a substring of 生产能力, 生产能级
)


@lru_cache(maxsize=1)
def named_indicators() -> tuple[tuple[str, ...], ...]:
    """Every indicator a question or an answer may name: the groups above, each with the lexicon's forms of it
    ("经济增速" for GDP), then the lexicon's other synonym groups of measured things (高新技术企业, 城中村改造 …);
    增长, 规上, 项目 qualify, they measure nothing. What answering judges "the indicator asked" by."""
    groups = [list(g) for g in INDICATORS]
    for g in lexicon.SYNONYMS:
        if g[0] in ("增长", "规模以上", "项目") or any(d in g[0] for d in lexicon.DISTRICTS) or g in lexicon.BODIES:
            continue
        same = next((known for known in groups if {f.lower() for f in g} & {f.lower() for f in known}), None)
        if same is None:
            groups.append(list(g))
        else:
            same += [f for f in g if f not in same]
    return tuple(tuple(g) for g in groups)


KNOWN_FORMS = frozenset(form for group in INDICATORS for form in group)  # `words in KNOWN_FORMS`: one of the table's


# Words that only point back at the indicator just named: "总量突破3000亿元", "增速不低于6%".
PRONOUN_INDICATORS = frozenset("总量 规模 总额 总值 增速 增幅 增长 全年 其中 各 均 分别 年".split())
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
LIST_MARK = re.compile(r"、|和|及|与")
SHARED_HEAD = re.compile(r"(总产值|增加值|产值)$")
DIGIT = re.compile(r"\d")
NOT_WORD = re.compile(r"[^\u4e00-\u9fffA-Za-z]")


@lru_cache(maxsize=1 << 14)  # a build asks it for every figure of every article, mostly the same few words
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
    parts = [p for p in LIST_MARK.split(words) if p]
    known = bool(parts) and parts[-1] in KNOWN_FORMS
    if len(parts) < 2 or not (known or len(parts) == run or parts[-1] in ("增加值", "总产值")):
        return [words]
    out = [parts[0]]
    for p in parts[1:]:
        if p in ("增加值", "总产值", "产值") and out:  # the head is shared: 规上工业总产值和增加值
            stem = SHARED_HEAD.sub("", out[0])
            p = stem + p
        out.append(p)
    return out


def after_noun(sentence: str, m: re.Match) -> str:
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


def indicators_for(words: str, sentence: str, m: re.Match, previous: list[str], run: int) -> tuple[list[str], int]:
    """The indicator names a figure is bound to (one per listed indicator; [] when none can be told),
    and how many characters after the figure they used.

    The words before the figure name it, unless they end in a verb whose object the figure counts
    ("新增十个概念验证中心", "拥有1.3万家高新技术企业") or the figure is a count of the noun after it;
    empty words point back at the previous figure's ("完成固投1400亿元,增长5%以上") when nothing but a
    clause mark follows the figure.
    """
    after = after_noun(sentence, m)
    own = words if words and words not in PRONOUN_INDICATORS and len(words) > 1 else ""
    explicit = sentence[m.end():m.end() + 1] == "的"
    if DIGIT.search(own):
        return [], 0  # a figure we did not read sits in the words ("仅用4年零8个月迎来了"): the binding is unsure
    known = own in KNOWN_FORMS
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
            own = NOT_WORD.split(own)[-1]
            parts = [own] if 1 < len(own) <= MAX_INDICATOR else []
        return parts, 0
    following = sentence[m.end():m.end() + 4]
    if following[:1] in ("", "，", ",", "。", "；", ";", "、", "）", ")", "的") or AFTER_STOP.match(following):
        return list(previous), 0
    return [], 0
