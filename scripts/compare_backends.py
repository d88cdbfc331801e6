"""Both backends on the same build: do they give the same top-1 passages and answers? And which fusion
matches the embedded path better, Milvus' hybrid_search(RRFRanker(60)) or the project's qa.fuse.rrf?

    python scripts/compare_backends.py [--model PATH] [--index-dir DIR] [--sets FILE ...] [--json]

Builds (or updates) the index at --index-dir with the Milvus backend (GZQA_MILVUS_URI, default a fresh
milvus-lite folder next to the index): the build directory is also a complete embedded index, so both
backends read the same chunks and vectors. Prints per set: questions, same top-1 passage, same answer
(answered? and text), and for fusion the share of questions whose fused top-1 (before qa's ranking)
equals the embedded path's, by each fusion; then every question where the backends differ.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = [ROOT.parent / "shared" / "eval" / "dev.jsonl"] + sorted((ROOT / "tests" / "eval").glob("heldout*.jsonl"))


def top(answer) -> str | None:
    return answer.citations[0].chunk_id if answer.citations else None


def fused_top(index, question, fusion: str, candidates: int) -> str | None:
    """The fused top-1 chunk id before qa's ranking: project rrf over the two lists, or Milvus hybrid_search."""
    from qa.fuse import rrf
    from qa.question import dense_text

    if fusion == "rrf":
        lexical = [r for r, _ in index.lexical(question.search_terms, candidates)]
        dense = [r for r, _ in index.dense(dense_text(question), candidates)]
        fused = rrf([lexical, dense])
        return index.chunks[fused[0][0]].id if fused else None
    from pymilvus import AnnSearchRequest, RRFRanker
    from index.milvus import word

    words = " ".join(word(t) for t in dict.fromkeys(question.search_terms))
    vector = index.query_encoder().query(dense_text(question)).ravel().tolist()
    requests = [AnnSearchRequest([vector], "vector", {"metric_type": "IP"}, candidates)]
    if words:
        requests.insert(0, AnnSearchRequest([words], "sparse", {"metric_type": "BM25"}, candidates))
    found = index.conn.hybrid_search(index.collection, requests, RRFRanker(60), limit=candidates,
                                     output_fields=["id"])
    return found[0][0]["id"] if found[0] else None


def main() -> int:
    from index import DEFAULT_MODEL, milvus, store
    from index.build import update
    from qa.answer import ask
    from qa.evaluate import read_gold
    from qa.question import QuestionError, parse
    from qa.candidates import CANDIDATES
    from qa.retrieve import latest_year

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=DEFAULT_MODEL)
    ap.add_argument("--index-dir", type=Path, default=ROOT / "var" / "compare" / "index")
    ap.add_argument("--sets", type=Path, nargs="*", default=SETS)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ["GZQA_BACKEND"] = "milvus"
    os.environ.setdefault("GZQA_MILVUS_URI", str(args.index_dir.parent / "milvus.db"))
    started = time.monotonic()
    update(ROOT / "seeds", args.index_dir, model=args.model)
    print(f"build (both backends) {time.monotonic() - started:.1f}s", file=sys.stderr)
    embedded, remote = store.load(args.index_dir), milvus.load(args.index_dir)
    latest = latest_year(embedded)
    rows, differences = [], []
    for path in args.sets:
        counts = dict(questions=0, same_top1=0, same_answer=0, rrf_top1=0, hybrid_top1=0)
        for gold in read_gold(path):
            q = gold["question"]
            try:
                a, b = ask(embedded, q), ask(remote, q)
                parsed = parse(q, latest)
            except QuestionError:
                continue
            counts["questions"] += 1
            counts["same_top1"] += top(a) == top(b)
            counts["same_answer"] += (a.answered, a.text) == (b.answered, b.text)
            reference = fused_top(embedded, parsed, "rrf", CANDIDATES)
            counts["rrf_top1"] += fused_top(remote, parsed, "rrf", CANDIDATES) == reference
            counts["hybrid_top1"] += fused_top(remote, parsed, "hybrid", CANDIDATES) == reference
            if top(a) != top(b) or (a.answered, a.text) != (b.answered, b.text):
                differences.append({"set": path.name, "question": q, "embedded": [top(a), a.text],
                                    "milvus": [top(b), b.text]})
        rows.append({"set": path.name, **counts})
    if args.json:
        for r in rows + differences:
            print(json.dumps(r, ensure_ascii=False))
        return 0
    print(f"{'set':18} {'questions':>9} {'same top-1':>10} {'same answer':>11} {'fused top-1 = embedded: rrf':>28} {'hybrid_search':>13}")
    for r in rows:
        print(f"{r['set']:18} {r['questions']:>9} {r['same_top1']:>10} {r['same_answer']:>11} {r['rrf_top1']:>28} {r['hybrid_top1']:>13}")
    for d in differences:
        print(f"differs [{d['set']}] {d['question']}: embedded {d['embedded']} | milvus {d['milvus']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
