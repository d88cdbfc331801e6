"""How much of a question a passage holds: its concepts found in its text, weighted by their words' idf (square root).

The question's jieba terms are grouped into concepts first (a compound with
its search-mode parts, synonyms together), so "工业投资" is not met by "工业"
in one phrase and "投资" in another, and "经济总量" is met by "GDP".
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Collection

from index import lexicon


@functools.cache
def synonym_forms() -> dict[str, tuple[str, ...]]:
    """Canonical form → every form of its synonym group, and the terms whose definition holds it (`lexicon.DEFINED`:
    "投入强度" holds 比重 and 地区生产总值)."""
    forms = {group[0]: group for group in lexicon.SYNONYMS}
    for term, holds in lexicon.DEFINED:
        for concept in holds:
            forms[concept] = forms.get(concept, (concept,)) + (term,)
    return forms


# A concept weighs the square root of its words' idf: rare words still count for more than common ones, but
# the weights move half as far (in ratio) when the corpus around the reports changes. With 300 look-alike
# reports added, a question word's idf moves 0.35–2.3× (deciles, 1,101 questions): its rarest word changes in
# one question of six, and with it the answering words and the decision (issue 9, item 5).
IDF_POWER = 0.5
PART_CREDIT = 0.4  # a compound that is missing, but whose parts are all there ("工业投资": 工业…投资)


@functools.lru_cache(maxsize=1024)  # asked of every candidate passage with the same question's terms
def concepts(terms: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    """Question terms grouped into concepts: (canonical head, parts, every term of it).

    jieba's search-mode parts of a compound belong to it ("工业", "投资" of
    "工业投资"); synonyms are one concept ("经济总量" and "地区生产总值").
    """
    canonical = lexicon.canonical_forms()
    wholes: dict[str, list[str]] = {}
    for term in sorted(dict.fromkeys(terms), key=len, reverse=True):
        whole = next((w for w in wholes if term in w), None)
        wholes.setdefault(term, []) if whole is None else wholes[whole].append(term)
    merged: dict[str, tuple[list[str], list[str]]] = {}
    for whole, parts in wholes.items():
        members, pieces = merged.setdefault(canonical.get(whole, whole), ([], []))
        members += [whole, *parts]
        pieces += parts
    return tuple((head, tuple(dict.fromkeys(pieces)), tuple(dict.fromkeys(members)))
                 for head, (members, pieces) in merged.items())


def coverage(terms: tuple[str, ...], doc: Collection[str], idf: Callable[[str], float], text: str = "") -> float:
    """Share of the question's concepts (weighted by √idf, `IDF_POWER`) present in a chunk: its text, or its tokens.

    A concept counts when the chunk's text holds any of its synonyms ("产值"
    inside "总产值"); half when only the chunk's section path has it (every
    chunk under "统筹推进三大科学城建设" would match otherwise); `PART_CREDIT`
    when only its parts are there, apart: "工业投资" is not in "规上工业总产值,固定资产投资".
    """
    forms = synonym_forms()
    text = text.lower()
    total = found = 0.0

    def present(term: str) -> float:
        if text and any(form in text for form in forms.get(term, (term,))):
            return 1.0
        if any(form in doc for form in forms.get(term, (term,))):
            return 0.5 if text else 1.0  # only in the section path: the heading, not these words
        return 0.0

    for head, parts, members in concepts(terms):  # a concept weighs what its words weigh
        weight = sum((max(idf(t), 0.0) or math.log(2)) ** IDF_POWER for t in members)
        total += weight
        share = present(head)
        if share < 1.0 and parts:
            share = max(share, PART_CREDIT * sum(present(p) for p in parts) / len(parts))
        found += weight * share
    return found / total if total else 1.0  # no content words asked: place and year decide
