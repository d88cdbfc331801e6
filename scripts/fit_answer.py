"""Fit the answer decision (qa/calibration.py): logistic regression over qa.signals.Signals, threshold for precision.

    PYTHONPATH=$PWD .venv/bin/python scripts/fit_answer.py [--index-dir var/index ...] [--meaning] [SET.jsonl …]

Every question of the sets (default: the dev set and tests/eval/heldout*.jsonl but the blind sets kept for
measuring, `BLIND`) is asked as
`qa.answer.ask` asks it; each candidate answer (a top passage of the asked year
and place, with its answering words) is one row, labelled right when its words
hold an expected answer (boundary-aware, as `gzqa eval` grades). Rows of one
question set form one fold (leave one set out: each set was written apart, in its own style, so a fold is
a set the fit has not seen, as the next set of questions will be), and the decision is
simulated per question as `ask` makes it: the most confident candidate answers
when its confidence reaches the threshold, else the open-year retry of "今年"
questions may. The threshold printed is the lowest from which on every
threshold's cross-validated answered-but-wrong rate is ≤ MAX_WRONG of all
questions: the most answers that precision allows. One difference from `ask`: a
question of no year is searched here over all years at once, where `ask` tries one
year's reports at a time, newest first (`qa.decide.newest_answering`): the fit sees
the candidates, not that order. Prints the weights to
paste into qa/calibration.py, the cross-validated figures per set and the
reliability table (confidence bin → accuracy) for the README.

It fits every signal of `qa.signals.NAMES`, "unit" too; qa/calibration.py keeps "unit" at the weight set beside the
fit (its comment says why: a refit with it answered more wrongly), so paste the others and leave that one.

`--meaning` adds a trial signal, not used by `ask`: the dense similarity of the
question and each candidate's answering words (qa/meaning.py), to measure
whether judging the words by meaning would help (README, Quality: it did not).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.store import load  # noqa: E402
from qa.answer import prepare  # noqa: E402
from qa.calibration import MAX_WRONG  # noqa: E402
from qa.evaluate import read_gold  # noqa: E402
from qa.shapes import says  # noqa: E402
from qa.signals import NAMES  # noqa: E402
from qa.question import QuestionError  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
# Blind sets measured on the final code of the session that wrote them, never fitted on by default (README, Quality).
BLIND = ("heldout10", "heldout13", "heldout14", "heldout15", "heldout17", "heldout18", "heldout20", "heldout21",
         "heldout23", "heldout24", "heldout27", "heldout29", "heldout31", "heldout32")
SHOWN = 0.05  # the trade-off table shows the thresholds this close to the chosen one
# --meaning: e5 cosines of question and answering words sit in a narrow band (real model, held-out 1–5: right
# answers' median 0.91, wrong ones' 0.88); mapped linearly from [MEANING_LOW, MEANING_HIGH] onto [0, 1].
MEANING_LOW, MEANING_HIGH = 0.84, 0.94
C = 1.0  # sklearn's default L2 strength: the signals are few and in [0, 1]; the fit is not sensitive to it


def meaning_of(index, question, texts: list[str]) -> list[float]:
    """The --meaning signal of each answering text, in [0, 1]."""
    from qa.meaning import similarities
    from qa.question import dense_text

    return [min(max((s - MEANING_LOW) / (MEANING_HIGH - MEANING_LOW), 0.0), 1.0)
            for s in similarities(index, dense_text(question), texts)]


def rows_of(index, gold: dict, meaning: bool = False) -> list[list[tuple[list[float], bool]]]:
    """A question's candidates, as `ask` tries them: [first attempt, open-year retry], each [(signals, right)]."""
    try:
        q, _ = prepare(index, gold["question"])
    except QuestionError:
        return []
    expected = gold.get("answers") or [] if gold["answerable"] else []

    def scored(question) -> list[tuple[list[float], bool]]:
        from qa.decide import candidates
        from qa.retrieve import ranking
        hits = ranking(index, question).answering()
        found = [c for c in candidates(index, question, hits) if not c.vetoed]  # a vetoed one never answers
        extra = meaning_of(index, question, [c.extract.text for c in found]) if meaning else []
        return [(c.signals.vector() + ([extra[n]] if meaning else []), any(says(c.extract.text, e) for e in expected))
                for n, c in enumerate(found)]

    tries = [scored(q)]
    if q.year_assumed:
        tries.append(scored(replace(q, years=(), year_assumed=False)))
    return tries


def decide(tries: list[list[float]], rights: list[list[bool]], threshold: float) -> tuple[bool, bool, float]:
    """(answered, right, confidence) as `ask` decides from per-try candidate confidences."""
    best_p = 0.0
    for ps, rs in zip(tries, rights):
        if not ps:
            continue
        i = int(np.argmax(ps))
        best_p = max(best_p, ps[i])
        if ps[i] >= threshold:
            return True, rs[i], ps[i]
    return False, False, best_p


def main() -> int:
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--index-dir", type=Path, action="append",
                        help="an index to draw candidates from (default var/index); given twice — say the seeds' and "
                             "one with look-alike articles — each question is asked of both, in the same fold")
    parser.add_argument("--meaning", action="store_true", help="add the trial signal: answering words' dense similarity")
    args = parser.parse_args()
    sets = args.sets or [DEV, *(path for path in sorted((ROOT / "tests" / "eval").glob("heldout*.jsonl"))
                                if path.stem not in BLIND)]
    indexes = args.index_dir or [ROOT / "var" / "index"]
    questions = []  # (set name, gold, tries, the question's number in every index)
    for at, index_dir in enumerate(indexes):
        index, label = load(index_dir), "" if at == 0 else f" @{index_dir.parent.name}"
        n = 0
        for path in sets:
            for gold in read_gold(path):
                questions.append((path.stem + label, gold, rows_of(index, gold, args.meaning), n))
                n += 1
    x, y, group = [], [], []
    sets_seen = list(dict.fromkeys(name.split(" @")[0] for name, _, _, _ in questions))
    for name, _, tries, _ in questions:
        for t in tries:
            for v, right in t:
                x.append(v)
                y.append(right)
                group.append(sets_seen.index(name.split(" @")[0]))
    x, y, fold_of = np.array(x), np.array(y), np.array(group)
    oof = np.zeros(len(y))
    for f in range(len(sets_seen)):
        model = LogisticRegression(C=C, max_iter=1000).fit(x[fold_of != f], y[fold_of != f])
        oof[fold_of == f] = model.predict_proba(x[fold_of == f])[:, 1]
    # the per-question decision, from the out-of-fold confidences
    per_q, at = [], 0
    for name, gold, tries, _ in questions:
        ps, rs = [], []
        for t in tries:
            ps.append(list(oof[at:at + len(t)]))
            rs.append([r for _, r in t])
            at += len(t)
        per_q.append((name, gold, ps, rs))
    total = len(per_q)
    every = sorted(set(np.round(np.linspace(0.05, 0.95, 91), 2)))

    def wrong_rate(t: float) -> float:
        return sum(a and not r for a, r, _ in (decide(ps, rs, t) for _, _, ps, rs in per_q)) / total

    within = [wrong_rate(t) <= MAX_WRONG for t in every]
    # the lowest threshold from which on every threshold stays within MAX_WRONG: the most answers that allows
    chosen = next((t for i, t in enumerate(every) if all(within[i:])), every[-1])
    model = LogisticRegression(C=C, max_iter=1000).fit(x, y)
    print("WEIGHTS = {")
    for name, w in zip(NAMES + (("meaning",) if args.meaning else ()), model.coef_[0]):
        print(f'    "{name}": {w:.3f},')
    print("}")
    print(f"INTERCEPT = {model.intercept_[0]:.3f}")
    print(f"THRESHOLD = {chosen}")
    print(f"\ncross-validated (leave one set out: {len(sets_seen)} folds, {len(y)} candidates of {total} questions), "
          f"threshold {chosen}:")
    print("| set | questions | answer@1 | false not-found | unanswerable abstained | answered but wrong |")
    print("|---|---|---|---|---|---|")
    by_set: dict[str, list] = {}
    for name, gold, ps, rs in per_q:
        by_set.setdefault(name, []).append((gold, decide(ps, rs, chosen)))
    for name, rows in list(by_set.items()) + [("all", [r for rows in by_set.values() for r in rows])]:
        answerable = [d for g, d in rows if g["answerable"]]
        unanswerable = [d for g, d in rows if not g["answerable"]]
        wrong = sum(a and not r for _, (a, r, _) in rows)
        print(f"| {name} | {len(rows)} | {sum(r for _, r, _ in answerable) / max(len(answerable), 1):.3f} "
              f"| {sum(not a for a, _, _ in answerable) / max(len(answerable), 1):.3f} "
              f"| {sum(not a for a, _, _ in unanswerable) / max(len(unanswerable), 1):.3f} "
              f"| {wrong} ({wrong / len(rows):.1%}) |")
    print("\nthe trade-off (cross-validated, all questions):")
    print("| threshold | answer@1 | answered but wrong |")
    print("|---|---|---|")
    for t in [u for u in every if abs(u - chosen) <= SHOWN + 1e-9]:
        decided = [(gold["answerable"], decide(ps, rs, t)) for _, gold, ps, rs in per_q]
        right = sum(r for answerable, (_, r, _) in decided if answerable)
        wrong = sum(a and not r for _, (a, r, _) in decided)
        print(f"| {t:.2f} | {right / max(sum(a for a, _ in decided), 1):.3f} | {wrong} ({wrong / total:.1%}) |")
    print("\nreliability (cross-validated confidence of the answers given → share right):")
    print("| confidence | answers | right |")
    print("|---|---|---|")
    bins = sorted({chosen} | {b for b in (0.7, 0.8, 0.9, 0.95) if b > chosen} | {1.0001})
    answered = [decide(ps, rs, chosen) for _, _, ps, rs in per_q]
    for lo, hi in zip(bins, bins[1:]):
        inside = [r for a, r, p in answered if a and lo <= p < hi]
        if inside:
            print(f"| {lo:.2f}–{min(hi, 1):.2f} | {len(inside)} | {sum(inside) / len(inside):.2f} |")
    print(json.dumps({"questions": total, "candidates": int(len(y))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
