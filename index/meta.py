"""Article metadata inferred from content: title, publisher, meeting date, the year and the city spoken of.

Every value comes with the words it was read from (a `Clue`), so a user can
check why an article counts as "2024". The year is the heart of it: most
articles say only "今年", so the year is scored from cues of several strengths.

The city is counted, not parsed: every city named scores its mentions (a known
city by its bare name too, any other as "XX市"); 广东省 scores 广东/全省/省委/
省政府 if the article names 广东 at all; the most mentioned wins. Guangzhou's
districts count only when no city is named, so an article about 贵阳市白云区 is
贵阳市's. Concessions: an unknown city of three characters is read by its last
two ("驻马店市" → 马店市); other provinces are not scopes (an article about
贵州省 gets its top city).
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Callable

from index import lexicon
from index.clean import blocks, heading_title
from index.records import Article, Clue, line_of

VERSION = "2"  # 2: city; bump when inference changes, so indexes built before are reported stale

CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

# (pattern, match → year, weight). Strong cues name the year outright in other
# words; a bare "2024年" is a vote; a dated past event ("2023年4月") barely counts.
# A leading lookahead on the first characters a match can start with lets the scan skip other positions at once.
YEAR_CUES: list[tuple[str, Callable[[re.Match], int], float]] = [
    (r"新中国成立(\d{2,3})周年", lambda m: 1949 + int(m[1]), 3),
    (r"改革开放(\d{2})周年", lambda m: 1978 + int(m[1]), 3),
    (r"(?=[建中])(?:建党|中国共产党成立)(\d{2,3})周年", lambda m: 1921 + int(m[1]), 3),
    (r"(?=[“十])“?十五五”?(?:规划)?(?:时期)?的?开局之年", lambda m: 2026, 3),
    (r"(?=[“十])“?十四五”?(?:规划)?的?收官之年", lambda m: 2025, 3),
    (r"(?=[“十])“?十四五”?(?:规划)?的?开局之年", lambda m: 2021, 3),
    (r"过去的(20\d\d)年", lambda m: int(m[1]) + 1, 2),
    (r"自(20\d\d)年[^。]{0,40}?第([二三四五六七八九十])年", lambda m: int(m[1]) + CN_DIGITS[m[2]] - 1, 2),
    (r"(?=2)(?<![到至向前的])(20\d\d)年(?![\d一二三四五六七八九十]{1,2}月|前|以前|底前)", lambda m: int(m[1]), 1),
    (r"(20\d\d)年\d{1,2}月", lambda m: int(m[1]), 0.3),
]

PUBLISHER = re.compile(r"([\u4e00-\u9fa5]{2,5}?(?:晚报|日报|快报|建设报|时报|商报|新闻|报|社|网))\s*(讯|记者)")
DATE = re.compile(r"(?=[1-9])(?<![\d年])(1[0-2]|[1-9])月([1-3]?\d)日")


def snippet(text: str, start: int, end: int, pad: int = 12) -> str:
    """The matched words with a little context from their own line."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return text[max(line_start, start - pad):min(line_end, end + pad)].strip()


def infer_title(text: str) -> Clue:
    """The level-1 heading; else a headline-like first line; else the first heading or line."""
    found = blocks(text)
    pick = next((b for b in found if b.kind == "heading" and b.level == 1), None)
    if pick is None and found and len(found[0].text) <= 80 and "。" not in found[0].text:
        pick = found[0]
    pick = pick or next((b for b in found if b.kind == "heading"), found[0])
    return Clue(heading_title(pick.text)[:80], pick.text[:80], line_of(text, pick.spans[0][0]))


def infer_publisher(text: str) -> Clue | None:
    """The outlet of a "XX讯" dateline, else the one whose reporters are named most."""
    found = [(m, m[2] == "讯") for m in PUBLISHER.finditer(text)]
    if not found:
        return None
    datelines = [m for m, is_dateline in found if is_dateline]
    if datelines:
        m = datelines[0]
    else:
        top, _ = Counter(m[1] for m, _ in found).most_common(1)[0]
        m = next(m for m, _ in found if m[1] == top)
    return Clue(m[1], snippet(text, m.start(), m.end()), line_of(text, m.start()))


def infer_date(text: str) -> Clue | None:
    """The meeting date: the first "M月D日" in a line about convening, else the first one."""
    matches = list(DATE.finditer(text))
    if not matches:
        return None
    lines = text.split("\n")
    for m in matches:
        line = lines[line_of(text, m.start()) - 1]
        if re.search("召开|举行|开幕", line):
            break
    else:
        m = matches[0]
    return Clue(f"{int(m[1])}月{int(m[2])}日", snippet(text, m.start(), m.end()), line_of(text, m.start()))


def infer_year(text: str) -> Clue | None:
    """The year the article speaks of, by weighted vote of year cues; None if no cue."""
    votes: dict[int, float] = defaultdict(float)
    best_cue: dict[int, tuple[float, re.Match]] = {}
    for pattern, to_year, weight in YEAR_CUES:
        for m in re.finditer(pattern, text):
            year = to_year(m)
            if not 1990 <= year <= 2100:
                continue
            votes[year] += weight
            if year not in best_cue or weight > best_cue[year][0]:
                best_cue[year] = (weight, m)
    if not votes:
        return None
    year = max(votes, key=lambda y: (votes[y], y))
    m = best_cue[year][1]
    return Clue(str(year), snippet(text, m.start(), m.end()), line_of(text, m.start()))


PROVINCE = (lexicon.HOME_PROVINCE, re.compile(r"广东省?|全省|省委|省政府"))
NAMED_CITY = re.compile(r"([\u4e00-\u9fa5]{2})市(?!场)")
# Last characters that make "X市" no city: 全市 城市 强市 副市长 上市 花市 两市 省市 担任市长 广大市民 …
NOT_CITY_END = set("全城都强立兴超副本该各每我上入出开和与及向把在到从于对由为让给经建撤设省县区级辖个座们"
                   "任代兼大体用业股夜菜集早楼房车黑闭休罢花街墟书球牛熊汇债期互利一二三四五六七八九十两几多")


def mentions(text: str, name: str) -> list[re.Match]:
    """Where a place name occurs, not counting a university named after it (中山大学 is no mention of 中山)."""
    return list(re.finditer(f"{re.escape(name)}(?!大学)", text))


def infer_city(text: str) -> Clue | None:
    """The city (or 广东省) the article speaks of most: its name and its first mention; None if none is named."""
    scores = {f"{n}市": mentions(text, n) for n in lexicon.CITIES if n in text}
    for m in NAMED_CITY.finditer(text):  # any other "XX市", counted as such (a bare "XX" may be any word)
        if m[1][-1] not in NOT_CITY_END and not any(m[1] in known for known in lexicon.CITIES):
            scores.setdefault(m[0], []).append(m)
    if "广东" in text:  # 全省 and 省委 in an article about 贵阳 speak of 贵州
        scores[PROVINCE[0]] = list(PROVINCE[1].finditer(text))
    scores = {place: found for place, found in scores.items() if found}
    if not scores:  # no city named: a district of Guangzhou still places the article there
        found = [m for d in lexicon.DISTRICTS for m in mentions(text, f"{d}区")]
        scores = {lexicon.HOME_CITY: sorted(found, key=lambda m: m.start())} if found else {}
    if not scores:
        return None
    # most mentions; a city beats the province on a tie; then the place named first
    place = max(scores, key=lambda p: (len(scores[p]), p != PROVINCE[0], -scores[p][0].start()))
    m = scores[place][0]
    return Clue(place, snippet(text, m.start(), m.end()), line_of(text, m.start()))


def describe(source: str, text: str, sha256: str) -> Article:
    """A decoded seed → an Article with its inferred metadata."""
    return Article(source, text, sha256, infer_title(text), infer_publisher(text),
                   infer_date(text), infer_year(text), infer_city(text))
