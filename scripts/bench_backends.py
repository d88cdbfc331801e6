"""Both backends side by side at 10k and 100k chunks: build, one-article update, load, query latency, memory, disk.

    python scripts/bench_backends.py [--chunks 10000 100000] [--questions 60]

The corpus is made here, not read: look-alike articles whose paragraphs are drawn from seeds/ with their
districts, years and figures changed (a seeded random generator, so every run makes the same corpus).
Vectors come from the fake hashing encoder at e5-small's 384 dimensions: embedding 100k chunks with the
real model would take hours on 2 cores, and it costs the same on both backends; a warm question with the
real model adds ≈17 ms of encoding to each figure here. Milvus is milvus-lite (embedded, in the query
process); a Milvus server takes its memory out of the query process.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import machine  # noqa: E402

DIM = 384  # e5-small's
DISTRICTS = ("越秀", "海珠", "荔湾", "天河", "白云", "黄埔", "番禺", "花都", "南沙", "从化", "增城")
PARAGRAPHS = 24  # per look-alike article: ≈ 21 chunks of the seeds' size
CHUNKS_PER_ARTICLE = 21


def paragraphs() -> list[str]:
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        out += [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 30]
    return out


def article(rng: random.Random, pool: list[str], n: int) -> str:
    """One look-alike report: a headline, then paragraphs of the seeds with places, years and figures changed."""
    year = rng.choice((2023, 2024, 2025, 2026))
    district = rng.choice(DISTRICTS)
    lines = [f"# 广州市{district}区召开{year}年高质量发展大会（第{n}篇）", ""]
    for p in rng.sample(pool, min(len(pool), PARAGRAPHS)):
        p = re.sub(r"20[12]\d年", f"{year}年", p)
        p = re.sub("|".join(DISTRICTS), lambda m: rng.choice(DISTRICTS), p)
        p = re.sub(r"\d+(\.\d+)?", lambda m: str(round(float(m.group()) * rng.uniform(0.5, 1.5), 1)), p)
        lines += [p, ""]
    return "\n".join(lines)


def make_seeds(folder: Path, chunks: int) -> None:
    rng, pool = random.Random(chunks), paragraphs()
    folder.mkdir(parents=True)
    for n in range(max(1, chunks // CHUNKS_PER_ARTICLE)):
        (folder / f"{n:06d}.txt").write_text(article(rng, pool, n), encoding="utf-8")


def size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


QUERY = """
import json, os, statistics, sys, time
from index.embed import HashingEncoder
HashingEncoder.__init__.__defaults__ = (%d,)
from index.backend import load
from qa.answer import ask
from qa.question import dense_text, parse
from qa.candidates import CANDIDATES
from qa.retrieve import latest_year
index_dir, questions = sys.argv[1], json.loads(sys.argv[2])
start = time.perf_counter()
index = load(index_dir)
index.query_encoder()
loaded = time.perf_counter() - start
ask(index, questions[0])
asks, lexical, dense = [], [], []
latest = latest_year(index)
for q in questions:
    parsed = parse(q, latest)
    t = time.perf_counter(); index.lexical(parsed.search_terms, CANDIDATES); lexical.append(time.perf_counter() - t)
    t = time.perf_counter(); index.dense(dense_text(parsed) + " ", CANDIDATES); dense.append(time.perf_counter() - t)
    t = time.perf_counter(); ask(index, q); asks.append(time.perf_counter() - t)
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM")][0]
ms = lambda xs, p: 1000 * sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]
print(json.dumps({"load_s": loaded, "ask_p50": ms(asks, .5), "ask_p95": ms(asks, .95), "lexical_p50": ms(lexical, .5),
                  "dense_p50": ms(dense, .5), "peak_mib": int(peak) / 1024}))
""" % DIM


def queries(index_dir: Path, questions: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", QUERY, str(index_dir), json.dumps(questions, ensure_ascii=False)],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env,
                                                                        "PYTHONPATH": str(ROOT)})
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(chunks: int, questions: list[str], tmp: Path, updates: bool) -> dict[str, dict]:
    """One build written to Milvus, read by both backends (a Milvus build is a whole embedded build too).

    The embedded backend's build and update cost is the same pipeline without the Milvus write, so it is
    the total minus the time `milvus_sync.sync` took, timed around that call.
    """
    from index import milvus, milvus_sync
    from index.build import update
    from index.embed import FAKE

    seeds = tmp / f"seeds{chunks}"
    make_seeds(seeds, chunks)
    index_dir, uri = tmp / f"index{chunks}" / "index", str(tmp / f"milvus{chunks}.db")
    env = {"GZQA_BACKEND": "milvus", "GZQA_MILVUS_URI": uri}
    os.environ.update(env)
    synced: list[float] = []
    original = milvus_sync.sync

    def timed_sync(*args, **kwargs):
        start = time.perf_counter()
        entry = original(*args, **kwargs)
        synced.append(time.perf_counter() - start)
        return entry

    milvus_sync.sync = timed_sync
    builds = []
    start = time.perf_counter()
    report = update(seeds, index_dir, model=FAKE)
    builds.append(time.perf_counter() - start)
    for line in ("会议还强调，要持续优化营商环境，办好民生实事。", "会议要求，各区要抓好落实。") if updates else ():
        first = sorted(seeds.iterdir())[0]  # one article changes; the second update is the steady state
        first.write_text(first.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
        start = time.perf_counter()
        update(seeds, index_dir, model=FAKE)
        builds.append(time.perf_counter() - start)
    milvus_sync.sync = original
    milvus.close(uri)
    build = index_dir.resolve()
    disk = {"embedded": size_mib(build), "milvus": size_mib(build) + size_mib(Path(uri))}  # the build is both's
    results = {}
    for backend in ("embedded", "milvus"):
        mine = [b - (s if backend == "embedded" else 0) for b, s in zip(builds, synced)]
        row = {"chunks": report.chunks, "build_s": mine[0], "updates_s": mine[1:],
               "sync_s": synced if backend == "milvus" else [],
               **queries(index_dir, questions, {**env, "GZQA_BACKEND": backend}), "disk_mib": disk[backend]}
        print(json.dumps({"backend": backend, **row}), file=sys.stderr, flush=True)
        results[backend] = row
    return results


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--updates-up-to", type=int, default=20_000,
                    help="time two one-article updates only up to this many chunks (the embedded update re-tokenizes all)")
    args = ap.parse_args()
    from index.embed import HashingEncoder

    HashingEncoder.__init__.__defaults__ = (DIM,)
    gold = ROOT / "tests" / "eval" / "heldout.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines()
                 if line.strip()][:args.questions]
    table = []
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as tmp:
        for n in args.chunks:
            for backend, r in bench(n, questions, Path(tmp), n <= args.updates_up_to).items():
                table.append((n, backend, r))
    print(f"Backends {time.strftime('%Y-%m-%d')} on {machine()}; fake {DIM}-d vectors, {len(questions)} questions\n")
    print("| chunks | backend | build | of it: Milvus write | update, 1 article (1st / 2nd) | load | ask p50 / p95 "
          "| BM25 p50 | dense p50 | query RSS | disk |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n, backend, r in table:
        sync = " / ".join(f"{s:.1f} s" for s in r["sync_s"]) or "—"
        updates = " / ".join(f"{u:.1f}" for u in r["updates_s"]) + " s" if r["updates_s"] else "not timed"
        print(f"| {r['chunks']:,} | {backend} | {r['build_s']:.0f} s | {sync} | {updates} | {r['load_s']:.1f} s | "
              f"{r['ask_p50']:.0f} / {r['ask_p95']:.0f} ms | {r['lexical_p50']:.0f} ms | {r['dense_p50']:.0f} ms | "
              f"{r['peak_mib']:.0f} MiB | {r['disk_mib']:.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
