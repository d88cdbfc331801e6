"""Places a report speaks of: Guangzhou's districts and bureaus, 广州/广东, another city's district or town.

A district is its city's: "贵阳市白云区" is 贵阳市's, "茂名电白区" 茂名市's, and a bare
"白云区" in an article about 深圳 is 深圳's (the article's city). A bureau belongs to
the city, or to the province when "省"/"广东" says so. Towns are read only after a
city name ("江门台山四九镇"); a bare district name only as a subject ("白云今年将…").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index import lexicon

HOME = lexicon.HOME_CITY
PROVINCE = lexicon.HOME_PROVINCE
CITY_NAMES = "|".join(sorted(lexicon.CITIES, key=len, reverse=True))
DISTRICT_NAMES = "|".join(lexicon.DISTRICTS)
# "XX区" that are zones, not districts: 开发区, 自贸区, 园区 … (a district named as a subject: "南山区今年将…")
NOT_DISTRICT = "开发|高新|自贸|保税|新区|中心|商务|城区|园区|片区|景区|校区|社区|街区|试验|示范|功能|核心|重点|产业|集聚|合作"
BODY_FORMS = sorted({f: g[0] for g in lexicon.BODIES for f in g}.items(), key=lambda kv: -len(kv[0]))
# The first characters any place can start with: a lookahead on them lets the scan skip every other
# position at once (six times faster over the seeds, the same matches).
FIRST = "".join(sorted({w[0] for w in (*lexicon.CITIES, *lexicon.DISTRICTS, *(f for f, _ in BODY_FORMS),
                                       "广州市", "广东省", "市", "省", "全省")}))
PLACE = re.compile(
    rf"(?=[{FIRST}]|[\u4e00-\u9fff]{{2}}区)(?:"
    rf"(?P<body_owner>广州市|广东省|广东|市|省)?(?P<body>{'|'.join(re.escape(f) for f, _ in BODY_FORMS)})"
    rf"|(?P<city_d>{CITY_NAMES})市?(?P<district>{DISTRICT_NAMES})区?"
    rf"|(?P<home_d>{DISTRICT_NAMES})(?:区|(?=将|要|今年|全年|新的|的目标|作为|坚持|推动|是全市))"
    rf"|(?P<city_o>{CITY_NAMES})市?(?P<other_d>(?!{NOT_DISTRICT})[\u4e00-\u9fff]{{2}})区"
    rf"|(?P<city_t>{CITY_NAMES})市?(?:[\u4e00-\u9fff]{{2}}(?!镇))?(?P<town>[\u4e00-\u9fff]{{2}}镇)"
    r"|(?P<province>广东省|广东|全省(?!\d))"
    rf"|(?P<subject_d>(?!{NOT_DISTRICT})(?![\u4e00-\u9fff]?[该本全各我两])[\u4e00-\u9fff]{{2}})区(?=今年|将|要|全年|新的一年|力争)"
    rf"|(?P<city>{CITY_NAMES})(?:市(?!场))?)")
BODY_CANONICAL = dict(BODY_FORMS)


@dataclass(frozen=True)
class Place:
    """Where a figure belongs: its name ("白云区", "工信局", "广州市"), kind, and the city (or province) it is in."""

    name: str
    kind: str  # "district" | "bureau" | "city" | "province" | "town"
    city: str


def parse_place(m: re.Match, city: str) -> Place | None:
    """A PLACE match → the place it names, in `city` (the article's) unless the words name another city."""
    if m["body"]:
        owner = PROVINCE if m["body_owner"] in ("广东省", "广东", "省") else city
        return Place(BODY_CANONICAL[m["body"]], "bureau", owner)
    if m["district"]:
        return Place(f"{m['district']}区", "district", f"{m['city_d']}市")
    if m["home_d"]:
        return Place(f"{m['home_d']}区", "district", HOME if city == PROVINCE else city)
    if m["other_d"]:
        return Place(f"{m['other_d']}区", "district", f"{m['city_o']}市")
    if m["town"]:
        return Place(m["town"], "town", f"{m['city_t']}市")
    if m["subject_d"]:  # a district the lexicon does not know: the article's city's (Guangzhou has only its 11)
        return Place(f"{m['subject_d']}区", "district", city) if city not in (HOME, PROVINCE) else None
    if m["province"]:
        return Place(PROVINCE, "province", PROVINCE)
    return Place(f"{m['city']}市", "city", f"{m['city']}市")


def places_in(text: str, city: str) -> list[tuple[int, Place]]:
    """(offset, place) of each place named in `text`."""
    return [(m.start(), p) for m in PLACE.finditer(text) if (p := parse_place(m, city)) is not None]


def heading_place(path: tuple[str, ...], city: str) -> Place | None:
    """The place a section is about: the last one named in its deepest heading that names one."""
    for title in reversed(path):
        found = places_in(title, city)
        if found:
            return found[-1][1]
    return None


def takes_over(p: Place, current: Place, section_place: Place | None) -> bool:
    """Does a place named in the text become the one spoken of?

    In a bureau's section only another bureau does (its figures are the bureau's, though it says "广州将…");
    in a section about a district or town, neither its city nor the province does ("广东禄归华田公司").
    """
    if section_place and section_place.kind == "bureau":
        return p.kind == "bureau"
    if section_place and section_place.kind in ("district", "town"):
        if p.kind == "province" or (p.kind == "city" and p.name == section_place.city):
            return False
    return True
