"""Does a text speak of what the question asks: its year, its place, a place as its subject?

One home for these judgements, used by ranking (qa/retrieve.py), extraction
(qa/extract.py) and the answer decision (qa/decide.py, through qa/signals.py).
Whether a figure is said of the asked indicator, part or measure is qa/binding.py's.
"""
from __future__ import annotations

import re

from index import lexicon
from index.records import Chunk
from qa.places import HOME_SCOPES, Place, group_kind, level_before, place_groups
from qa.question import OWN_PAST_YEAR, SAID_RELATIVE, Question

# A chunk's opening words, where these reports name who speaks or what follows is about ("南沙区委副书记、区长吴扬表示，
# …" is 14 characters; 40 holds a title, a name and a speech verb without reaching the statement itself)
OPENING = 40


def said_relative(question: Question, year: int | None, text: str) -> bool:
    """Does a report of `year` speak of the year the question asks relative to its own ("过去一年", "2023年")?"""
    delta = question.relative or 0
    return any(w in text for w in SAID_RELATIVE.get(delta, ())) or (year is not None and f"{year + delta}年" in text)


# A passage that opens on a past year as the frame of all it says ("在过去的2023年，广州…地区生产总值突破3万亿元…一般
# 公共预算收入增长5%"; "去年，…"; "过去一年，…") speaks of that year, not of its report's: its figures are
# results, and answer no question of the report's year ("2024年一般公共预算收入增长目标").
PAST_FRAME = re.compile(r"在?(?:过去的?(?:一年|(20\d\d)年)|去年|(20\d\d)年(?:全年)?)[，,]")  # not "2023年以来": to now


def framed_year(year: int | None, chunk: Chunk) -> int | None:
    """The past year a chunk of a `year` report opens on as the frame of all it says, if it does: not when it goes
    on to its report's year ("2023年，…增长4.6%。2024年，…力争增长5%以上"; "去年，…，今年力争…")."""
    m = PAST_FRAME.match(chunk.text)
    if not m or year is None:
        return None
    said = int(m[1] or m[2] or year - 1)
    rest = chunk.text[m.end():]
    return said if said < year and f"{year}年" not in rest and "今年" not in rest else None


def year_matches(question: Question, year: int | None, chunk: Chunk) -> bool:
    """Is the chunk of an asked year (its article's, one it names: "到2027年", or one its report says relative to
    its own: a 2024 report's "过去一年" is 2023)? Any year when none is asked. A chunk opening on a past year
    (`framed_year`) is of that year only."""
    if not question.years:
        return not question.relative or said_relative(question, year, chunk.text)
    framed = framed_year(year, chunk)
    if framed is not None:
        return framed in question.years
    return (year in question.years or any(f"{y}年" in chunk.text for y in question.years)
            or (year is not None and year - 1 in question.years and any(w in chunk.text for w in OWN_PAST_YEAR)))


def city_matches(question: Question, city: str | None) -> bool:
    """Is an article of `city` one the question can be about: Guangzhou/Guangdong's, or a city it names?"""
    return (not city or city in HOME_SCOPES or city in {p.name for p in question.places}
            or city[:-1] in question.text)


def place_matches(question: Question, chunk: Chunk, city: str | None = None) -> bool:
    """Does the chunk speak of the places the question names, in the city it means?

    One of the asked districts must be named in the chunk or its section path
    ("花都区和从化区…" is asked of each), and one of the asked bodies; every other
    place too. The article must be about Guangzhou/Guangdong unless the question
    names the article's city (贵阳市白云区 is not 白云区). A scope (广州, 全省) is
    met by a chunk not about one district, that names it in its text (every
    section of a Guangzhou article sits under a headline naming 广州) or whose
    article is of that scope.
    """
    named_in = where(chunk)
    if not city_matches(question, city):
        return False
    elsewhere = OTHER_CITY.search(opening(chunk))  # "茂名市副市长…" in a Guangzhou report
    if question.places and elsewhere and elsewhere[1] not in question.text:
        return False
    for kind in ("district", "body"):
        asked = [p for p in question.places if p.kind == kind]
        if asked and not any(form in named_in for p in asked for form in p.forms):
            return False
    for body in (p for p in question.places if p.level):  # "市发改委" is not the words' "省发展改革委"
        said = [m.start() for form in body.forms for m in re.finditer(re.escape(form), named_in)]
        if said and all(other_level(body, named_in, at) for at in said):
            return False
    for place in question.places:
        if place.kind == "scope":  # by its proper name: a district's "全市" speaks of the district's part
            if about_a_district(chunk) or not (city == place.name
                                               or any(form in chunk.text for form in place.forms[:2])):
                return False
        elif place.kind == "other" and not any(form in named_in for form in place.forms):
            return False
    return True


def where(chunk: Chunk) -> str:
    """A chunk's text and section path: where the places it speaks of are named."""
    return chunk.text + "\n" + "\n".join(chunk.section)


def opening(chunk: Chunk) -> str:
    """Where a chunk says what it is about: its section path and first words."""
    return " ".join(chunk.section) + " " + chunk.text[:OPENING]


# A district as the subject of what follows: "天河区委书记…", "白云今年将…"; not "南沙科学城".
DISTRICT_SUBJECT = re.compile(f"(?:{'|'.join(lexicon.DISTRICTS)})区?(?:委|区长|副区长|书记|将|今年|要|力争|提出|召开|实现|的目标)")


OTHER_CITY = re.compile(f"({'|'.join(c for c in lexicon.CITIES if f'{c}市' != lexicon.HOME_CITY)})市")


def about_a_district(chunk: Chunk) -> bool:
    """Is the chunk a district's statement (its section names one, or it opens with one as subject)?"""
    return (any(d in " ".join(chunk.section) for d in lexicon.DISTRICTS)
            or bool(DISTRICT_SUBJECT.search(chunk.text[:OPENING])))


def is_subject(question: Question, chunk: Chunk) -> bool:
    """Is an asked district or body what the chunk is about (in its section path or opening words)?"""
    asked = [p for p in question.places if p.kind in ("district", "body")]
    return any(form in opening(chunk) for p in asked for form in p.forms)


def place_context(passage: str, question: Question) -> list[tuple[int, bool]]:
    """(offset, is an asked place) for every district/body named in the passage."""
    asked = {p.name for p in question.places}
    kinds = {p.kind for p in question.places}
    marks = []
    for group in place_groups():
        if group_kind(group) not in kinds:
            continue  # a bureau named in a district's statement does not change whose figures follow
        for form in group:
            for m in re.finditer(re.escape(form), passage):
                at_level = not any(other_level(p, passage, m.start()) for p in question.places if p.name == group[0])
                marks.append((m.start(), group[0] in asked and at_level))
    return sorted(marks)


def other_level(body: Place, text: str, at: int) -> bool:
    """Is the body named at `at` of `text` at another level than the one asked ("省发展改革委" for "市发改委")?"""
    said = level_before(text, at)
    return bool(body.level and said and said != body.level)


def speaks_of(marks: list[tuple[int, bool]], at: int) -> bool | None:
    """Is the place named last before offset `at` an asked one (None: no place named yet)?"""
    before = [asked for offset, asked in marks if offset < at]
    return before[-1] if before else None
