"""A question in words → what it asks: years, place or body, indicator terms, the kind of answer wanted.

Years: "2026年" is explicit; "今年"/"去年" are resolved against the newest year
in the corpus and marked as assumed; no year at all leaves the year open.
Places: the 11 districts and the bodies of the lexicon, in any of their forms.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index import lexicon
from index.tokenize import normalise, tokens

MAX_CHARS = 500
RELATIVE_YEARS = {"今年": 0, "去年": -1, "明年": 1, "前年": -2}
WANTS_NUMBER = re.compile(r"多少|几[个家项条场万亿年]|几|多大|多高|增速|增幅|规模|比重|目标|产能|数量|比例|达到|突破")
WANTS_DATE = re.compile(r"哪年|哪一年|何时|什么时候|几月|哪天|哪一天|日期")
WANTS_PERSON = re.compile(r"谁|哪位|叫什么名字|姓名|那位.{0,4}叫什么|书记叫什么|局长叫什么|主任叫什么|区长叫什么")


class QuestionError(ValueError):
    """A question that cannot be searched; the message says what to change."""


@dataclass(frozen=True)
class Place:
    """A district or body the question names: canonical name and every form to look for."""

    name: str
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    text: str
    years: tuple[int, ...]
    year_assumed: bool
    places: tuple[Place, ...]
    terms: tuple[str, ...]  # content terms for matching (no years, no places, no stop words)
    search_terms: tuple[str, ...]  # everything BM25 is given
    wants: str  # "number" | "person" | "date" | "text"


def place_groups() -> list[tuple[str, ...]]:
    districts = [(f"{d}区", d) for d in lexicon.DISTRICTS]
    return districts + list(lexicon.BODIES)


def find_places(text: str) -> tuple[Place, ...]:
    found = []
    for group in place_groups():
        if any(form in text for form in group):
            found.append(Place(group[0], group))
    return tuple(found)


def find_years(text: str, latest: int | None) -> tuple[tuple[int, ...], bool]:
    explicit = sorted({int(y) for y in re.findall(r"(?<!\d)(20\d\d)(?!\d)", text)})
    if explicit:
        return tuple(explicit), False
    if latest is not None:
        for word, delta in RELATIVE_YEARS.items():
            if word in text:
                return (latest + delta,), True
    return (), False


def parse(question: str, latest_year: int | None = None) -> Question:
    """Raw question → Question; raises QuestionError when there is nothing to search for."""
    if question is None or not question.strip():
        raise QuestionError("the question is empty — type a question, e.g. 白云区2026年固投目标是多少")
    if len(question) > MAX_CHARS:
        raise QuestionError(f"the question is {len(question)} characters long; keep it under {MAX_CHARS}")
    text = normalise(question)
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise QuestionError("the question has no words in it (only punctuation or symbols)")
    years, assumed = find_years(text, latest_year)
    places = find_places(text)
    place_forms = {f.lower() for p in places for f in p.forms}
    all_terms = tokens(text)
    year_words = {str(y) for y in years} | set(RELATIVE_YEARS)
    terms = [t for t in all_terms if t not in place_forms and t not in year_words and not re.fullmatch(r"\d+", t)]
    wants = ("person" if WANTS_PERSON.search(text) else "date" if WANTS_DATE.search(text)
             else "number" if WANTS_NUMBER.search(text) else "text")
    return Question(text, years, assumed, places, tuple(dict.fromkeys(terms)),
                    tuple(dict.fromkeys(all_terms)), wants)


def dense_text(question: Question) -> str:
    """The question for the dense encoder, with abbreviations spelled out beside it."""
    canonical = lexicon.canonical_forms()
    spelled = [canonical[t] for t in question.search_terms if t in canonical and canonical[t] not in question.text]
    return question.text + (" " + " ".join(dict.fromkeys(spelled)) if spelled else "")
