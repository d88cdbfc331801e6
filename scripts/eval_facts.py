"""Precision and recall of the fact extractor (index/facts.py) against the hand-checked gold rows.

    python scripts/eval_facts.py [GOLD.jsonl] [--seeds DIR] [--json]

Defaults: tests/eval/facts_gold.jsonl over seeds/. The held-out sample (two articles written for
the purpose, their gold written before the extractor first read them):
    python scripts/eval_facts.py tests/eval/facts_heldout/gold.jsonl --seeds tests/eval/facts_heldout

A row matches when source, place, year, indicator, value, unit, kind and target/result
agree (each gold row matches at most one extracted row). The gold covers every figure
of the five seeds, so precision is over every extracted row. The qualifier is
reported apart: it is not part of the key.
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.facts import Fact, extract  # noqa: E402
from index.load import read_seeds  # noqa: E402
from index.meta import describe  # noqa: E402

GOLD = ROOT / "tests" / "eval" / "facts_gold.jsonl"
KEY = ("source", "place", "year", "indicator", "value", "unit", "kind", "status")


def key(row: dict) -> tuple:
    """A fact or gold row → what must agree for a match."""
    return tuple(round(row[k], 4) if k == "value" else row[k] for k in KEY)


def score(extracted: list[Fact], gold: list[dict]) -> dict:
    """Extracted facts and gold rows → precision, recall, counts, and the rows on either side that did not match."""
    wanted = Counter(key(g) for g in gold)
    got = Counter(key(f.to_json()) for f in extracted)
    matched = sum((wanted & got).values())
    qualifiers = {key(g): g["qualifier"] for g in gold}
    same_qualifier = sum(1 for f in extracted if qualifiers.get(key(f.to_json())) == f.qualifier)
    return {
        "gold": len(gold), "extracted": len(extracted), "matched": matched,
        "precision": round(matched / len(extracted), 3) if extracted else 0.0,
        "recall": round(matched / len(gold), 3) if gold else 0.0,
        "qualifier_agreement": round(same_qualifier / matched, 3) if matched else 0.0,
        "missed": [dict(zip(KEY, k)) for k in (wanted - got).elements()],
        "wrong": [dict(zip(KEY, k)) for k in (got - wanted).elements()],
    }


def corpus_facts(seeds: Path = ROOT / "seeds") -> list[Fact]:
    """Every fact of the seed articles, as an index build extracts them."""
    texts, _ = read_seeds(seeds)  # a gold file beside the articles is no .txt: not read
    return [f for t in texts for f in extract(describe(t.source, t.text, t.sha256))]


def main(argv: list[str]) -> int:
    seeds = ROOT / "seeds"
    if "--seeds" in argv:
        at = argv.index("--seeds")
        seeds, argv = Path(argv[at + 1]), argv[:at] + argv[at + 2:]
    path = Path(next((a for a in argv if not a.startswith("--")), GOLD))
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = score(corpus_facts(seeds), gold)
    if "--json" in argv:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"gold {result['gold']}  extracted {result['extracted']}  matched {result['matched']}  "
          f"precision {result['precision']}  recall {result['recall']}  "
          f"qualifier agreement {result['qualifier_agreement']}")
    for label in ("missed", "wrong"):
        for row in result[label]:
            print(f"  {label}: " + " ".join(str(row[k]) for k in KEY))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
