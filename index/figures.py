"""Quantities as the reports write them: "1400亿元", "5%以上", "超万亩", "十个", "2500万人次" → value, unit, kind.

Unlike `qa.shapes.FIGURE` (which finds figures to mark in an answer), this grammar
parses: qualifier words before and after, the number (digits or 十/百/千/万 alone),
the unit as written. A bare year, a date, a grade ("3000亿级") and a slogan
("“万亩千亿”") are not quantities.
"""
from __future__ import annotations

import re

UNITS = ("亿元|万元|元|万亩|亩|公顷|万平方米|平方米|平方公里|万方|方|吨|公里|千米|%|倍|"
         "万人次|人次|万人|万名|名|人|万个|个|万家|家|万项|项|条|场|套|万套|所|座|宗|户|栋|辆|片|村|亿|万")
COUNT_UNITS = frozenset("个 家 项 条 场 人次 万人次 人 万人 名 万名 套 万套 所 座 宗 户 万户 栋 辆 万辆 片 村 万个 万家 万项".split())
PREFIX_QUALIFIERS = "不低于|不少于|不超过|超过|超|突破|达到|达|约|近|逾|迈上|跨越|向"
FIGURE = re.compile(
    r"(?=[不超突达约近逾迈跨向\d十百千万])"  # what every figure starts with: the scan skips other positions at once
    rf"(?P<pre>{PREFIX_QUALIFIERS})?"
    r"(?:(?P<num>\d+(?:\.\d+)?)(?P<mul>[十百千万亿]*)|(?P<bare>[十百千万]+)(?=[个家项条场名套所座宗户栋辆]|亿元|万亩|亩))"
    r"(?P<about>多|余)?"
    rf"(?P<unit>{UNITS})"
    r"(?P<post>以上|左右|以内|以下|多)?"
    r"(?![级年月日号期])")
CN_NUMBER = {"十": 10, "百": 100, "千": 1000, "万": 10000}
GROWTH = re.compile(r"(?:增长|增速|增幅|增速为|增速目标为|同比增长|年均增长|增长率|增加|提速)[^，,；;。、]{0,3}$")


def figure_value(m: re.Match) -> tuple[float, str]:
    """A FIGURE match → (value, unit) as written: "1400亿元" → (1400, "亿元"), "千家" → (1000, "家")."""
    unit = m["unit"]
    if m["num"]:
        value = float(m["num"])
        unit = (m["mul"] or "") + unit
    else:
        value = 1.0
        for ch in m["bare"]:
            value *= CN_NUMBER[ch]
    if unit == "亿":
        unit = "亿元"
    if unit.startswith("亿亿"):
        unit = unit[1:]
    return value, unit


def figure_kind(unit: str, before: str) -> str:
    """amount, rate (a growth), share (a proportion) or count, from the unit and the words before."""
    if unit == "%" or unit == "倍":
        return "rate" if GROWTH.search(before) else "share"
    if unit in COUNT_UNITS:
        return "count"
    return "amount"


def is_figure(sentence: str, m: re.Match) -> bool:
    """A quantity worth a row: not a bare year, a date, a code ("5G"), a slogan ("万亩千亿"), part of "百亿级"."""
    if m["unit"] in ("亿", "万") and not m["num"]:
        return False
    tail = sentence[m.end():m.end() + 1]
    if m["unit"] == "万" and (not tail or tail in "，,。、；;"):
        return False  # "累计建成10万" cut short
    if not m["num"] and (sentence[m.start() - 1:m.start()] in ("“", '"') or tail == "的"):
        return False  # "“万亩千亿”", "破百万辆的…": a slogan or a milestone, not a figure
    return True
