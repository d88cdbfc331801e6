"""What answers look like in Chinese official prose: figures ("1400亿元", "5%以上", "21个"),
dates ("2月19日"), and officials named after their titles ("区委书记洪谦").

A bare year ("2024年") is a date, not a figure: it names when, not how much.
"""
from __future__ import annotations

import re

from index.lexicon import OFFICIAL_TITLES

UNITS = ("亿元|万元|元|%|个|家|项|条|场|人次|万人次|万人|人|套|亩|公顷|平方米|万方|方|吨|名|所|座|宗|户|倍|"
         "公里|千米|年|月|强|城|版")
FIGURE = re.compile(
    r"(?:超过?|突破|达到?|约|近|逾|不低于|不少于)?"
    r"\d+(?:\.\d+)?(?:万|亿|千|百)*"
    rf"(?:{UNITS})?"
    r"(?:以上|左右|以内)?")
DATE = re.compile(r"(?:19|20)\d\d年(?:\d{1,2}月)?(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日")


def figures(text: str) -> list[re.Match]:
    """Quantities in `text`, in order; bare years are left out."""
    return [m for m in FIGURE.finditer(text)
            if m.group() and not re.fullmatch(r"(?:19|20)\d\d年?", m.group())]


def has_figure(text: str, unit: str | None = None) -> bool:
    """Does `text` state a quantity (in `unit`, when one is asked: "多少个" wants "21个", not "5%")?"""
    if unit is None:
        return bool(figures(text))
    return any(re.search(rf"\d(?:万|亿|千|百)*余?{re.escape(unit)}", m.group() + text[m.end():m.end() + 4])
               for m in figures(text))


SPEAKER = re.compile(r"[\u4e00-\u9fff]{2,4}(?:表示|指出|介绍|强调|说|称)")
# A title followed by a name: "主任艾学峰在会上表示", "区委书记洪谦:"; not "主任，" nor "书记、主任".
TITLED_NAME = re.compile("(?:" + "|".join(sorted(OFFICIAL_TITLES, key=len, reverse=True)) + ")"
                         r"[\u4e00-\u9fff]{2,3}(?=表示|指出|介绍|强调|说|称|在|发言|认为|透露|提出|讲话|主持|[，,：:。\s])")
