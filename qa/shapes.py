"""What answers look like in Chinese official prose: figures ("1400亿元", "5%以上", "21个"),
dates ("2月19日"), and officials named after their titles ("区委书记洪谦").

A bare year ("2024年") or month ("12月") is a date, not a figure: it names when, not how much.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from index.lexicon import OFFICIAL_TITLES
from index.tokenize import cut, is_word

# Measure words that count things ("21个", "1.3万家", "20栋"): one list, which questions, figures and
# "the count comes before the thing counted" (qa/extract.py) all read.
COUNT_UNITS = ("个", "家", "项", "条", "场", "所", "座", "栋", "幢", "套", "名", "人", "位", "户", "宗", "辆", "台")
UNITS = ("亿元|万元|元|%|人次|万人次|万人|" + "|".join(COUNT_UNITS) + "|亩|公顷|平方米|万方|方|吨|倍|"
         "公里|千米|年|月|强|城|版")
# A round figure in words: "超千亿元", "超百项", "两万个", "千家" — a numeral (a digit word with 万/亿, or 十/百/千) and a
# unit of money or of items, the units no idiom pairs with a numeral ("千家万户", "百家争鸣", "千人计划", "百强" are not
# figures); not "千亿级" (a class), nor a bare "万元"/"亿元" ("万元GDP能耗", "亿元以上企业": a unit, no figure).
NUMERAL = r"(?:[一二两三四五六七八九][十百千万亿]|[十百千])[十百千万亿]*"
NUMERAL_FIGURE = NUMERAL + r"(?:亿元|万元|元|亿(?!级)|项|个|家(?!万户|争鸣))"
FIGURE = re.compile(
    r"(?:超过?|突破|达到?|约|近|逾|不低于|不少于)?"
    r"(?:\d+(?:\.\d+)?(?:万|亿|千|百)*"
    rf"(?:{UNITS})?|{NUMERAL_FIGURE})"
    r"(?:以上|左右|以内)?")
WHEN = re.compile(r"(?:19|20)\d\d年?|(?:1[0-2]|0?[1-9])月")  # a bare year or month: when, not how much
WITHIN_DAYS = re.compile(r"[日号]以?内")  # "15日内": a duration, a figure
DATE = re.compile(r"(?:19|20)\d\d年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日")


def figures(text: str) -> list[re.Match]:
    """Quantities in `text`, in order. Left out: bare years, months and days, which say when ("2024年",
    "12月27日", "19日，…召开"; a duration is "8个月", "15日内"), and ordinals ("第2位")."""
    return list(each_figure(text))


def each_figure(text: str) -> Iterator[re.Match]:
    """`figures`, one at a time: a question of whether there is one stops at the first."""
    return (m for m in FIGURE.finditer(text)
            if m.group() and not WHEN.fullmatch(m.group())
            and not (text[m.end():m.end() + 1] in ("日", "号") and not WITHIN_DAYS.match(text, m.end()))
            and text[m.start() - 1:m.start()] != "第")


# Measure words that count the same things: a question's word and the report's often differ ("多少人" is
# answered by "165万名高校学生", "多少家经营主体" by "71万户市场主体", "多少台" by "100万辆").
# So do the units of one dimension: a length, an area, a sum of money ("多少钱" is answered by "40亿元").
SAME_COUNT = (("人", "名", "位"), ("家", "户"), ("台", "辆"), ("座", "栋", "幢"), ("所", "家"),
              ("公里", "千米", "米"), ("平方米", "亩", "公顷", "万方", "方", "平方公里"), ("元", "亿元", "万元"))


def units_like(unit: str) -> tuple[str, ...]:
    """`unit` and the measure words that count the same things ("万人" is 人 counted in ten thousands: a figure's
    own 万/亿 is read by `has_figure`)."""
    bare = unit[1:] if unit[:1] in ("万", "亿") and unit[1:] in COUNT_UNITS else unit
    return tuple(dict.fromkeys([unit, bare] + [u for group in SAME_COUNT if bare in group for u in group]))


def says(text: str | None, expected: str) -> bool:
    """Does `text` hold `expected`, not as the tail of a longer number ("5%" is not in "15%" nor "2.5%")?"""
    return any(not (m.start() and re.match(r"[\d.]", text[m.start() - 1]))
               for m in re.finditer(re.escape(expected), text or ""))


def has_figure(text: str, unit: str | None = None) -> bool:
    """Does `text` state a quantity (in `unit`, or a measure word counting the same things, when one is asked:
    "多少个" wants "21个", not "5%")?"""
    if unit is None:
        return next(each_figure(text), None) is not None
    in_unit = unit_figure(unit)
    return any(in_unit.search(m.group() + text[m.end():m.end() + 4]) for m in each_figure(text))


def speaks(text: str) -> bool:
    """Does someone named speak in `text` ("吴扬表示", "冯忠华强调")? Not a body or a role: the word before the verb
    is no word of the dictionary, as a name is not ("大会强调", "负责人表示", "该区表示" name nobody)."""
    return any(names_someone(m[1]) for m in SPEAKER.finditer(text))


@functools.lru_cache(maxsize=4096)  # asked of every window of every candidate passage of a who-question
def names_someone(subject: str) -> bool:
    """Is the last word of `subject` (the 2–4 characters before a speech verb) a name: no word of the dictionary?"""
    return not is_word(cut(subject)[-1])


@functools.lru_cache(maxsize=64)  # a handful of units are ever asked; read for every candidate passage
def unit_figure(unit: str) -> re.Pattern:
    """A number followed by `unit` or a measure word counting the same things ("21个", "1.3万家"); a numeral of
    magnitude only where the figure begins ("超千亿元"), not one in the words after it ("5%，万元GDP能耗")."""
    units = units_like(unit)
    # a sum in 亿 says no 元 when a noun follows ("2600亿基建", "产值突破600亿"): money, unless a unit follows; in
    # digits only ("冲刺千亿投资", "万亩千亿" are no sums)
    bare_yi = (rf"|\d+(?:\.\d+)?亿(?!{'|'.join(u for u in UNITS.split('|') if u != '元')}|{OTHER_MEASURES})"
               if "亿元" in units else "")
    return re.compile(rf"(?:(?:\d|^(?:超过?|突破|达到?|约|近|逾|不低于|不少于)?{NUMERAL})"
                      rf"(?:万|亿|千|百)*余?(?:{'|'.join(map(re.escape, units))}){bare_yi})")


# Measure words after 亿 that make it no sum of money ("3000亿级", "50亿美元", "10亿度", "5亿立方米", "50亿件")
OTHER_MEASURES = "级|美元|港元|欧元|度|千瓦|立方|件|斤|册|只|股|份|次|头|条|张|颗|片|盒|瓶|箱"


SPEAKER = re.compile(r"([\u4e00-\u9fff]{2,4})(?:表示|指出|介绍|强调|说|称)")
# A title followed by a name: "主任艾学峰在会上表示", "区委书记洪谦:"; not "主任，" nor "书记、主任".
TITLED_NAME = re.compile("(?:" + "|".join(sorted(OFFICIAL_TITLES, key=len, reverse=True)) + ")"
                         r"[\u4e00-\u9fff]{2,3}(?=表示|指出|介绍|强调|说|称|在|发言|认为|透露|提出|讲话|主持|对记者|[，,：:。\s])")
