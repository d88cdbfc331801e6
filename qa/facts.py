"""The facts table: every figure by place, year and indicator, filtered the way users write them.

`select` takes a user's words ("白云", "固投", "GDP增速") and finds the rows: a
place in any lexicon form (白云 = 白云区, 住房和城乡建设局 = 住建局, 广州 = 广州市;
"深圳南山区" is 深圳市's), an indicator by its canonical name or its own words
(固投 → 固定资产投资), a year, a kind (amount, rate, count, share), target or
result. `comparison_grid` lays rows out place × indicator with one column per
year, a cell empty where the corpus says nothing for that year.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from weakref import finalize

from index import lexicon
from index.api import Index
from index.facts import Fact
from index.indicators import indicator_forms
from qa.places import find_places

PERIOD = re.compile(r"（[^）]*）$")  # "地区生产总值（一季度）": a period of the year, not the year's figure
# A loaded index (by identity, while it lives) → its facts by article, grouped on first need: a question asking a
# year's result reads the facts of its candidate passages' articles (47k facts beside 300 look-alike reports took
# 6.6 ms a passage to scan whole).
_BY_SOURCE: dict[int, dict[str, list[Fact]]] = {}


def facts_of(index: Index, source: str) -> Sequence[Fact]:
    """The facts article `source` states, in reading order."""
    grouped = _BY_SOURCE.get(id(index))
    if grouped is None:
        grouped = defaultdict(list)
        for fact in index.facts():
            grouped[fact.source].append(fact)
        _BY_SOURCE[id(index)] = grouped = dict(grouped)
        finalize(index, _BY_SOURCE.pop, id(index), None)  # an index let go (an update published) takes its grouping
    return grouped.get(source, ())


@dataclass(frozen=True)
class PlaceFilter:
    """A place as a user names it: the names a fact's place may have, and the city when one is named."""

    names: tuple[str, ...]
    city: str | None = None
    words: str = ""  # the user's words, matched inside a fact's place when no lexicon form is known


def place_filter(words: str) -> PlaceFilter:
    """"白云" → 白云区 (in 广州市); "深圳南山区" → 南山区 in 深圳市; "住房和城乡建设局" → 住建局; "广州" → 广州市."""
    words = words.strip()
    found = find_places(words)
    names, city = [], None
    for p in found:
        if p.kind in ("district", "body"):
            names.append(p.name)
        elif p.kind == "scope":
            names.append(p.name if p.name.endswith(("市", "省")) else p.forms[1])
        elif p.kind == "other" and p.name.endswith("市"):
            city = p.name
        else:
            names.append(p.name)
    if city and not names:
        names.append(city)
    if names and city is None and any(n[:-1] in lexicon.DISTRICTS for n in names):
        city = lexicon.HOME_CITY  # a bare district name means Guangzhou's
    return PlaceFilter(tuple(dict.fromkeys(names)), city, words)


def place_matches(fact: Fact, wanted: PlaceFilter) -> bool:
    """Is `fact` about the place a user named?"""
    if wanted.city and fact.city != wanted.city and fact.place != wanted.city:
        return False
    if wanted.names:
        return fact.place in wanted.names or (fact.place_kind == "city" and fact.place in wanted.names)
    return bool(wanted.words) and wanted.words in fact.place


def base_indicator(fact: Fact) -> str:
    """The indicator without its period: "地区生产总值（一季度）" → "地区生产总值"."""
    return PERIOD.sub("", fact.indicator)


def indicator_matches(fact: Fact, words: str) -> bool:
    """Does `fact` measure what a user named ("固投", "GDP", "游客", "城市更新投资")?"""
    wanted = indicator_forms(words)
    return base_indicator(fact) in wanted or any(w and w in fact.indicator for w in (words.strip(), *wanted))


def select(facts: Iterable[Fact], place: str | None = None, year: int | None = None, indicator: str | None = None,
           kind: str | None = None, status: str | None = None, source: str | None = None) -> list[Fact]:
    """The facts that match every filter given (None: any), in the index's order."""
    wanted = place_filter(place) if place else None
    return [f for f in facts
            if (wanted is None or place_matches(f, wanted))
            and (year is None or f.year == year)
            and (not indicator or indicator_matches(f, indicator))
            and (kind is None or f.kind == kind)
            and (status is None or f.status == status)
            and (source is None or f.source == source)]


SORTS = {
    "place": lambda f: (f.city, f.place, f.indicator, f.year or 0),
    "year": lambda f: (f.year or 0, f.city, f.place, f.indicator),
    "indicator": lambda f: (f.indicator, f.city, f.place, f.year or 0),
    "value": lambda f: (f.unit, -f.value),
    "source": lambda f: (f.source, f.lines),
}


def ordered(facts: Sequence[Fact], by: str = "source") -> list[Fact]:
    """Facts sorted by one of SORTS' keys (stable: ties keep the index's order)."""
    return sorted(facts, key=SORTS[by])


@dataclass(frozen=True)
class GridRow:
    """One place × indicator (× kind) line of the comparison view: a cell per year, None where the corpus is silent."""

    place: str
    city: str
    indicator: str
    kind: str
    cells: tuple[Fact | None, ...]


def comparison_grid(facts: Sequence[Fact], years: Sequence[int] | None = None,
                    status: str | None = "target") -> tuple[tuple[int, ...], list[GridRow]]:
    """Facts → (the years, one row per place × indicator × kind with a cell per year).

    A cell holds the first fact of exactly that year; a year with no fact stays empty — it is
    never filled from another year, however close.
    """
    chosen = [f for f in facts if status is None or f.status == status]
    years = tuple(sorted(set(years) if years else {f.year for f in chosen if f.year}))
    rows: dict[tuple, dict[int, Fact]] = {}
    for f in chosen:
        cells = rows.setdefault((f.city, f.place, f.indicator, f.kind), {})
        if f.year in years and f.year not in cells:
            cells[f.year] = f
    out = [GridRow(place, city, indicator, kind, tuple(cells.get(y) for y in years))
           for (city, place, indicator, kind), cells in rows.items() if cells]
    return years, sorted(out, key=lambda r: (r.city != lexicon.HOME_CITY, r.city, r.place, r.indicator, r.kind))
