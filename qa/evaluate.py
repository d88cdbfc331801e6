"""Measure answering on a gold file (the format of shared/eval/dev.jsonl).

Per question: hit@1 / hit@5 (a passage contains an expected string), answer@1
(the answer text contains one, not as the tail of a longer number: "5%" is not in
"15%"), figure@1 (of the questions whose expected answer is a figure, the share answered with it as the figure
the answer highlights: the words may hold the asked figure beside the one shown), answered-but-wrong (an answerable question answered wrongly, or an
unanswerable one answered: the confident wrong answers), candidate recall@50
(what the retrievers find before ranking), abstention on unanswerable questions, false
abstention on answerable ones, and citation validity (each cited passage is the
source text of its span, line breaks aside, and its lines are the span's lines).
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from index.chunk import quote
from index.records import line_of
from index.api import Index
from qa.answer import Answer, ask
from qa.question import QuestionError, parse
from qa.candidates import RETRIEVERS, candidates
from qa.retrieve import latest_year
from qa.shapes import figures, says


class GoldError(ValueError):
    """A gold file line that is not a question record; the message names the file and line."""


def read_gold(path: Path) -> list[dict]:
    """The gold file's records: {"question": str, "answerable": bool, "answers": [str, …], …} per line."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as err:
                raise GoldError(f"{path}:{number}: not JSON ({err.msg})") from err
            if not (isinstance(row, dict) and isinstance(row.get("question"), str)
                    and isinstance(row.get("answerable"), bool)
                    and isinstance(row.get("answers", []), list)
                    and all(isinstance(a, str) for a in row.get("answers", []))):
                raise GoldError(f"{path}:{number}: needs a string 'question', a true/false 'answerable' "
                                "and a list of strings 'answers'")
            rows.append(row)
    return rows


def citations_valid(index: Index, answer: Answer) -> bool:
    """Is every citation its chunk's source text on the lines it names, and the answer inside its citation?"""
    chunks = {c.id: c for c in index.chunks}
    for c in answer.citations:
        chunk = chunks[c.chunk_id]
        text = index.articles[c.source].text
        lines = (line_of(text, chunk.char_start), line_of(text, chunk.char_end))
        if quote(text, chunk.char_start, chunk.char_end) != c.text or lines != c.lines:
            return False
    if answer.answered and answer.text not in answer.citations[answer.citation - 1].text:
        return False
    return True


def grade(index: Index, gold: dict, retrievers: tuple[str, ...] = RETRIEVERS) -> dict:
    """One gold question asked and graded; a question the parser refuses counts as an abstention.

    Besides the answer: whether any of the `CANDIDATES` candidates the retrievers
    give (before ranking) holds an expected string, to tell what each retriever contributes.
    """
    expected = gold.get("answers") or []
    try:
        answer = ask(index, gold["question"], retrievers=retrievers)
        recalled = [index.chunks[row].text for row in candidates(index, parse(gold["question"], latest_year(index)), retrievers).rows]
    except QuestionError as err:
        answer = Answer(gold["question"], False, None, None, None, str(err), (), (), False)
        recalled = []

    def contains(text: str | None) -> bool:
        return any(says(text, e) for e in expected)

    passages = [c.text for c in answer.citations]
    return {
        "id": gold.get("id"), "question": gold["question"], "type": gold.get("type", "?"),
        "answerable": gold["answerable"], "answered": answer.answered,
        "hit1": bool(passages) and contains(passages[0]), "hit5": any(contains(p) for p in passages[:5]),
        "answer1": answer.answered and contains(answer.text),
        # the figure the answer highlights is the expected one (None: the expected answer is no figure — a place, a
        # name): answer@1 reads the whole answering words, which may hold the asked figure beside the one shown
        "figure1": (answer.answered and answer.figure is not None
                    and any(says(answer.figure, e) or says(e, answer.figure) for e in expected))
        if any(figures(e) for e in expected) else None,
        "recall50": any(contains(p) for p in recalled),
        "confidence": answer.confidence,
        "citations_valid": citations_valid(index, answer),
        "answer": answer.text, "top_source": answer.citations[0].source if answer.citations else None,
        "expected": expected,
    }


def summarise(results: list[dict]) -> dict:
    """Graded questions → the figures `gzqa eval` prints: rates, per question type, the misses."""
    answerable = [r for r in results if r["answerable"]]
    unanswerable = [r for r in results if not r["answerable"]]

    def share(rows: list[dict], key: str) -> float | None:
        return round(sum(bool(r[key]) for r in rows) / len(rows), 3) if rows else None

    by_type: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_type[r["type"]].append(r)
    return {
        "questions": len(results),
        "hit@1": share(answerable, "hit1"), "hit@5": share(answerable, "hit5"),
        "answer@1": share(answerable, "answer1"),
        "figure@1": share([r for r in answerable if r.get("figure1") is not None], "figure1"),
        "abstention": round(sum(not r["answered"] for r in unanswerable) / len(unanswerable), 3) if unanswerable else None,
        "false_abstention": round(sum(not r["answered"] for r in answerable) / len(answerable), 3) if answerable else None,
        "answered_wrong": sum(r["answered"] and not (r["answerable"] and r["answer1"]) for r in results),
        "recall@50": share(answerable, "recall50"),
        "citation_validity": share(results, "citations_valid"),
        "by_type": {t: {"n": len(rows), "ok": sum(ok(r) for r in rows)} for t, rows in sorted(by_type.items())},
        "misses": [r for r in results if not ok(r)],
    }


def ok(result: dict) -> bool:
    """A question is right when it is answered with an expected string, or honestly not answered."""
    if result["answerable"]:
        return result["answered"] and result["answer1"] and result["hit1"]
    return not result["answered"]


def evaluate(index: Index, path: Path, retrievers: tuple[str, ...] = RETRIEVERS) -> tuple[dict, list[dict]]:
    """Every question of the gold file at `path` asked of `index` → (summary, per-question results)."""
    results = [grade(index, gold, retrievers) for gold in read_gold(path)]
    return summarise(results), results
