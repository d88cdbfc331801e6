"""Which places and bodies a question names: the 11 districts and the lexicon's bodies in any of their forms, the
scopes 广州/广东 ("全市", "全省"), any other "XX区/市/县" (深圳南山区) or bureau the lexicon does not know, and the
level a body is named at ("市发改委" is the city's). The question's reading (qa/question.py) and the judge's "does
this text speak of the asked place" (qa/judge.py) both read them here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index import lexicon
from index.tokenize import is_word, tokens


# Words ending in 区/市/县 that are not places: 园区, 自贸区, 城市 …
NOT_PLACES = frozenset("园 城 湾 社 景 片 新 市 辖 全 本 该 各 老 郊 城中 示范 功能 开发 自贸 高新 保税 试验 重点 核心"
                       " 中心 先行 商务 产业 大湾 校 街 小 学 居 居住 住宅 生活 工业 物流 合作 集聚 都市 城区 超大城 大城"
                       " 一线城 特大城 省会城 中心城 门户城 国际大都 老城 新城 主城".split())

# A bureau the lexicon does not know, named after 市/区/省: "市卫健委", "省商务厅", "市文旅局".
OTHER_BODY = re.compile(r"[市区省]((?:(?![的和与是要将在])[\u4e00-\u9fff]){2,6}?(?:委员会|局|委|厅))")
PARTY = re.compile(r"(?:区委|市委|省委|党委|纪委|常委|党工委)$")  # committees of the party, not bureaus


@dataclass(frozen=True)
class Place:
    """A place or body the question names: canonical name, every form to look for, and its kind.

    kind: "district" (one of Guangzhou's 11), "body" (a bureau), "scope" (广州 or
    广东 as a whole), "other" (a place the lexicon does not know).
    """

    name: str
    forms: tuple[str, ...]
    kind: str = "district"
    level: str | None = None  # a body asked as the city's or the province's: "市发改委" → 市, "省发改委" → 省


def group_kind(group: tuple[str, ...]) -> str:
    """"district" for one of the 11 districts' forms, else "body"."""
    return "district" if group[0][:-1] in lexicon.DISTRICTS else "body"


def place_groups() -> list[tuple[str, ...]]:
    """Every district's and body's forms, canonical name first: ("白云区", "白云"), ("住建局", …)."""
    districts = [(f"{d}区", d) for d in lexicon.DISTRICTS]
    return districts + list(lexicon.BODIES)


HOME_SCOPES = (lexicon.HOME_CITY, lexicon.HOME_PROVINCE)
PROVINCE_NAMED = re.compile("|".join(sorted((f for g in lexicon.SCOPES if g[1] == lexicon.HOME_PROVINCE for f in g
                                            if not f.endswith(("委", "政府"))), key=len, reverse=True)))


def province_as_frame(text: str) -> bool:
    """Is the province named only as the whole a share is taken of ("全省70%", "全广东…当中"), not as a place asked
    of beside the city ("广东和广州的GDP")?"""
    return all(m[0] == "全省" or text[m.start() - 1:m.start()] == "全" for m in PROVINCE_NAMED.finditer(text))


# Two characters and 区/县 where a name can begin (the question's start, after a year, a blank or a punctuation
# mark): jieba cuts unknown names as it likes ("萝岗区" is 萝/岗区 to it), and a place it does not know must not be
# dropped ("萝岗区的GDP目标" answered with another district's).
NOT_IN_NAME = "的在和与是要将为对哪几每各个些两本该全这那"  # characters of grammar no place name is made of: "哪个区", "多个区"
NAME_AT_START = re.compile(r"(?:^|(?<=\d年)|(?<=[\s，,。？?、；;：:]))"
                           rf"((?:(?![{NOT_IN_NAME}])[\u4e00-\u9fff]){{2}}[区县])")


def place_words(text: str) -> list[str]:
    """The words of `text` that may name a place: jieba's, and the names where a name can begin (`NAME_AT_START`)
    that are no word of jieba's dictionary before 区/县 ("萝岗"; not "城乡区域", "试点区") nor go on ("区域", "区级")."""
    return tokens(text) + [m[1] for m in NAME_AT_START.finditer(text)
                           if not is_word(m[1][:2]) and text[m.end():m.end() + 1] not in ("域", "级", "划")]


# The level a body is named at, right before its name: the country's, the province's, the city's or a district's
# ("国家发展改革委", "省发改委", "市发改委", "白云区发展改革局"); a question that says one is not answered by another's
LEVELS = ("国家", "省", "市", "区", "县")


def level_before(text: str, start: int) -> str | None:
    """The level named right before offset `start` of `text` ("市" of "市发改委"), if any."""
    return next((level for level in LEVELS if text.endswith(level, 0, start)), None)


def find_places(text: str) -> tuple[Place, ...]:
    """The places and bodies named in `text`, known ones by their lexicon forms."""
    said = {group: [m.span() for form in group for m in re.finditer(re.escape(form), text)]
            for group in place_groups()}
    spans = [span for group_spans in said.values() for span in group_spans]

    def inside_longer(span: tuple[int, int]) -> bool:  # "住建部" in "住建部门" (住建局): the longest name is the one meant
        return any(start <= span[0] and span[1] <= end and end - start > span[1] - span[0] for start, end in spans)

    def level(group: tuple[str, ...]) -> str | None:
        return next((lv for start, _ in said[group] if (lv := level_before(text, start))), None)

    found = [Place(group[0], group, group_kind(group), level(group) if group_kind(group) == "body" else None)
             for group, group_spans in said.items() if any(not inside_longer(span) for span in group_spans)]
    specific = bool(found)
    for group in lexicon.SCOPES:  # "市委书记" names no city: only 广州/广州市/全市 and the like count
        forms = tuple(f for f in group if not f.endswith(("委", "政府")))
        named = any(form in text for form in forms)
        if group[0] == "广东" and any(f"省{form}" in text for p in found for form in p.forms):
            named = True  # "省发改委": the province's bureau, not the city's
        if named and not (specific and group[1] == lexicon.HOME_CITY):  # 广州市发改委 is simply 发改委
            found.append(Place(group[1], group, "scope"))
    if {p.name for p in found} >= set(HOME_SCOPES) and province_as_frame(text):
        found = [p for p in found if p.name != lexicon.HOME_PROVINCE]  # "广州集聚了全省70%的…": the city is asked of
    taken = [m.span() for p in found for form in p.forms for m in re.finditer(re.escape(form), text)]
    for city in lexicon.CITIES:  # another city by its bare name: "贵阳白云区" is not Guangzhou's 白云区
        spans = [m.span() for m in re.finditer(f"{city}(?!大学)", text)]
        free = [s for s in spans if not any(s[0] < end and start < s[1] for start, end in taken)]
        if f"{city}市" != lexicon.HOME_CITY and free:  # "会上海珠区" names 海珠区, not 上海
            found.append(Place(f"{city}市", (f"{city}市", city), "other"))
    known = {form for p in found for form in p.forms} | {f for g in lexicon.SCOPES for f in g}
    others = [w for w in place_words(text) if len(w) >= 3 and w[-1] in "市区县" and w[:-1] not in NOT_PLACES]
    others += [m[1] for m in OTHER_BODY.finditer(text) if not PARTY.search(m[1])]
    for word in others:
        stem = re.sub(r"(?:委员会|市|区|县|局|委|厅|办)$", "", word)
        if not (word in known or any(stem in k or k in word for k in known)):
            forms = (word, stem) if word[-1] in "市区县" or len(stem) >= 3 else (word,)
            found.append(Place(word, forms, "other"))
            known.add(word)
    return tuple(found)


def without_levels(text: str, places: tuple[Place, ...]) -> str:
    """`text` with the level read before an asked body cut off from the words around it: it is the body's
    (`Place.level`), no content word, and jieba would join it to what comes before ("2024年市发改委": 年市, a fair)."""
    for body in (p for p in places if p.level):
        forms = "|".join(map(re.escape, sorted(body.forms, key=len, reverse=True)))
        text = re.sub(f"{re.escape(body.level)}(?={forms})", "，", text)
    return text
