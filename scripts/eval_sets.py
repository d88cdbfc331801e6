"""Every question set asked of one loaded index, as `gzqa eval` grades each, and what moved against an earlier run.

    python scripts/eval_sets.py [--index-dir var/index] [--out DIR] [--against DIR] [--hide PREFIX ...] [SET.jsonl …]

Default sets: the dev set (../shared/eval/dev.jsonl) and tests/eval/heldout*.jsonl. Prints one line per set and the
pooled figures; with `--out`, writes DIR/<set>.jsonl (one graded question a line, `qa.evaluate.grade`'s fields) and
DIR/summary.json, so a later run can be compared with `--against DIR`: every question whose outcome (right, not found,
wrong) or highlighted figure changed is listed, and the totals of what was gained and lost. `--hide` keeps the
questions of sealed sets out of that list (ids starting with the prefix; they still count in the totals), so a set
kept for an honest measurement is measured without its misses being read.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.backend import load  # noqa: E402
from qa.evaluate import grade, ok, read_gold, summarise  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


def default_sets() -> list[Path]:
    numbered = sorted((ROOT / "tests" / "eval").glob("heldout*.jsonl"), key=lambda p: int(p.stem[7:] or 1))
    return ([DEV] if DEV.is_file() else []) + numbered


def outcome(result: dict) -> str:
    return "ok" if ok(result) else "wrong" if result["answered"] else "not found"


def line(name: str, s: dict) -> str:
    return (f"{name:12s} {s['questions']:5d}  answer@1 {s['answer@1']}  figure@1 {s['figure@1']}  "
            f"abstained {s['abstention']}  false not-found {s['false_abstention']}  wrong {s['answered_wrong']}")


def compare(before: Path, results: dict[str, list[dict]], hide: tuple[str, ...]) -> None:
    """What moved, question by question, against the run saved in `before`."""
    gained = lost = figure_gained = figure_lost = 0
    for name, rows in results.items():
        path = before / f"{name}.jsonl"
        if not path.is_file():
            continue
        earlier = {r["id"] or r["question"]: r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}
        for r in rows:
            old = earlier.get(r["id"] or r["question"])
            if old is None or (outcome(old) == outcome(r) and old.get("figure1") == r.get("figure1")):
                continue
            if outcome(old) != outcome(r):  # right, or not found instead of wrong, is better
                better = outcome(r) == "ok" or outcome(old) == "wrong"
                gained, lost = gained + better, lost + (not better)
            figure_gained += old.get("figure1") is False and r.get("figure1") is True
            figure_lost += old.get("figure1") is True and r.get("figure1") is False
            if not (hide and str(r["id"]).startswith(hide)):
                print(f"{name:12s} {r['id']} {outcome(old)} → {outcome(r)}, figure {old.get('figure1')} → "
                      f"{r.get('figure1')} | {r['question']} | {(r['answer'] or '')[:60]}")
    print(f"better {gained}, worse {lost}; highlighted figure right {figure_gained} more, {figure_lost} fewer")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--index-dir", type=Path, default=ROOT / "var" / "index")
    parser.add_argument("--out", type=Path, help="write the graded questions and the summary here")
    parser.add_argument("--against", type=Path, help="a folder an earlier run wrote with --out")
    parser.add_argument("--hide", nargs="*", default=[], help="id prefixes of sealed sets: counted, not listed")
    args = parser.parse_args()
    index = load(args.index_dir)
    results: dict[str, list[dict]] = {}
    summaries: dict[str, dict] = {}
    for path in args.sets or default_sets():
        results[path.stem] = [grade(index, gold) for gold in read_gold(path)]
        summaries[path.stem] = {k: v for k, v in summarise(results[path.stem]).items() if k != "misses"}
        print(line(path.stem, summaries[path.stem]), flush=True)
    summaries["all"] = {k: v for k, v in summarise([r for rows in results.values() for r in rows]).items()
                        if k != "misses"}
    print(line("all", summaries["all"]))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, rows in results.items():
            (args.out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                                    encoding="utf-8")
        (args.out / "summary.json").write_text(json.dumps(summaries, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.against:
        compare(args.against, results, tuple(args.hide))
    return 0


if __name__ == "__main__":
    sys.exit(main())
