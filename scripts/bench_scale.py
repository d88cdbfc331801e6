"""Scale benchmark: cold ask, warm query, add one article, no-op update, full build — time and peak RSS —
at growing corpora of look-alike articles (scripts/make_corpus.py), with the fake embedder; then search
alone at a million chunks (the IVF index's recall@10 against exact search at ≈ 200k). Prints markdown tables for
the README.

    .venv/bin/python scripts/bench_scale.py [--chunks 1000,10000,100000] [--search-only 1000000]
                                            [--code DIR ...] [--work var/bench]

Every measurement runs in a fresh process (`os.wait4` gives each its own peak RSS). `--code DIR` adds a
column measured with another checkout's index/qa/ui (say, the previous commit's, for a "before" column);
the lexical column "rank-bm25" times rank-bm25's own `get_scores` on the same chunks (the oracle path).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import NEW_ARTICLE, machine  # noqa: E402
from scripts.make_corpus import write_corpus  # noqa: E402

QUESTION = "白云区2026年固投目标是多少"
CHUNKS_PER_ARTICLE = 32  # what make_corpus writes on average (measured: 3,000 articles → ≈ 96k chunks)
SEED_CHUNKS = 175

UPDATE = """
import json, sys, time
from index.build import update
start, cpu = time.perf_counter(), time.process_time()
report = update(sys.argv[1], sys.argv[2], model="fake-hashing", force=sys.argv[3] == "force")
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "chunks": report.chunks,
                  "embedded": report.embedded, "up_to_date": report.up_to_date, "workers": report.worker_cpu}))
"""

WARM = """
import json, sys, time
from qa.assistant import Assistant
assistant = Assistant(sys.argv[1])
questions = json.loads(sys.argv[2])
assistant.ask(questions[0])
index = assistant.index()
encoder = index.query_encoder()
times, cpus, encode = [], [], []
for question in questions:
    start, cpu = time.perf_counter(), time.process_time()
    assistant.ask(question)
    times.append(time.perf_counter() - start)
    cpus.append(time.process_time() - cpu)
    start = time.perf_counter()
    encoder.query(question)
    encode.append(time.perf_counter() - start)
print(json.dumps({"p50": sorted(times)[len(times) // 2], "cpu": sorted(cpus)[len(cpus) // 2],
                  "encode": sorted(encode)[len(encode) // 2]}))
"""

LEXICAL = """
import json, sys, time
import numpy as np
from index import store
from index.tokenize import tokens
index = store.load(sys.argv[1])
queries = [tokens(q) for q in json.loads(sys.argv[2])]
start = time.perf_counter()
for q in queries:
    index.lexical(q, 50)
ours = (time.perf_counter() - start) / len(queries)
from rank_bm25 import BM25Plus
oracle = BM25Plus.__new__(BM25Plus)
p = index.bm25
oracle.k1, oracle.b, oracle.delta = p.params.k1, p.params.b, p.params.delta
shown = np.setdiff1d(np.arange(getattr(p, "rows", p.corpus_size)), getattr(p, "hidden", []))  # rows that count
# (none of an article gone; an older checkout's postings have neither attribute)
oracle.corpus_size, oracle.avgdl, oracle.doc_len = p.corpus_size, p.avgdl, p.doc_len[shown].tolist()
oracle.doc_freqs = [p.terms(int(r)) for r in shown]
oracle.idf = {t: p.idf(t) for t in p.vocab if p.df(t)}
start = time.perf_counter()
for q in queries[:5]:
    terms = list(dict.fromkeys(q))
    scores = oracle.get_scores(terms)
    matched = np.array([any(t in d for t in terms) for d in oracle.doc_freqs])
ref = (time.perf_counter() - start) / 5
print(json.dumps({"ours": ours, "rank_bm25": ref}))
"""


def run(code: Path, args: list[str], script: str | None = None) -> tuple[str, float, float, float]:
    """A fresh process with `code` first on the path → (stdout, wall seconds, peak RSS MiB, CPU seconds)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    argv = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "ui.cli", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=code, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:4]} failed: {err.decode()[-500:]}")
    return out.decode(), wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def corpus(work: Path, chunks: int) -> Path:
    """seeds/ plus enough look-alike articles for ≈ `chunks` chunks, made once per size."""
    articles = max(0, math.ceil((chunks - SEED_CHUNKS) / CHUNKS_PER_ARTICLE))
    seeds = work / f"seeds-{chunks}"
    if not (seeds / ".complete").exists():
        shutil.rmtree(seeds, ignore_errors=True)
        shutil.copytree(ROOT / "seeds", seeds)
        write_corpus(articles, seeds)
        (seeds / ".complete").write_text("")
    return seeds


def measure(code: Path, seeds: Path, index_dir: Path, questions: list[str], runs: int) -> dict:
    """The table's row for one code version on one corpus."""
    shutil.rmtree(index_dir.parent, ignore_errors=True)
    out, _, full_rss, _ = run(code, [str(seeds), str(index_dir), "force"], UPDATE)
    full = json.loads(out)
    colds = [run(code, ["ask", QUESTION, "--json", "--index-dir", str(index_dir)]) for _ in range(runs)]
    warms = []
    for _ in range(runs):  # a warm run's p50 moves by half from run to run on this shared machine: the median run
        out, _, warm_rss, _ = run(code, [str(index_dir), json.dumps(questions, ensure_ascii=False)], WARM)
        warms.append(json.loads(out))
    warm = {key: statistics.median(w[key] for w in warms) for key in warms[0]}
    extra = seeds / "zz_bench_new_article.txt"
    extra.write_text(NEW_ARTICLE, encoding="utf-8")
    try:
        out, _, add_rss, _ = run(code, [str(seeds), str(index_dir), "update"], UPDATE)
        add = json.loads(out)
        out, noop_wall, _, _ = run(code, [str(seeds), str(index_dir), "update"], UPDATE)
        noop = json.loads(out)
        # remove one article the full build indexed (the first in name order), its file put back afterwards
        first = sorted(seeds.glob("*.txt"))[0]
        aside = seeds.parent / f".{seeds.name}-{first.name}"
        first.rename(aside)
        try:
            out, _, remove_rss, _ = run(code, [str(seeds), str(index_dir), "update"], UPDATE)
            remove = json.loads(out)
        finally:
            aside.rename(first)
    finally:
        extra.unlink()
    lexical = None
    if (code / "index" / "bm25.py").read_text().find("class Postings") >= 0:
        out, _, _, _ = run(code, [str(index_dir), json.dumps(questions[:20], ensure_ascii=False)], LEXICAL)
        lexical = json.loads(out)
    return {"chunks": full["chunks"], "full": (full["seconds"], full_rss, full["cpu"], full.get("workers", 0.0)),
            "cold": (statistics.median(c[1] for c in colds), max(c[2] for c in colds),
                     statistics.median(c[3] for c in colds)),
            "warm": (warm["p50"], warm["encode"], warm_rss, warm["cpu"]),
            "add": (add["seconds"], add_rss, add["embedded"], add["cpu"]),
            "noop": (noop["seconds"], noop_wall, noop["up_to_date"], noop["cpu"]), "lexical": lexical,
            "remove": (remove["seconds"], remove_rss, remove["cpu"])}


def table(label: str, results: list[dict]) -> str:
    lines = [f"| {label} | " + " | ".join(f"{r['chunks']:,} chunks" for r in results) + " |",
             "|---|" + "---|" * len(results)]

    def row(name, fmt):
        lines.append(f"| {name} | " + " | ".join(fmt(r) for r in results) + " |")

    row("cold `gzqa ask`: wall (CPU), peak RSS", lambda r: f"{r['cold'][0]:.2f} s ({r['cold'][2]:.2f} s), "
                                                            f"{r['cold'][1]:.0f} MB")
    row("warm query p50: wall (CPU; encoding), RSS", lambda r: f"{r['warm'][0] * 1000:.1f} ms "
        f"({r['warm'][3] * 1000:.1f}; {r['warm'][1] * 1000:.1f}), {r['warm'][2]:.0f} MB")
    row("add one article: wall (CPU), RSS", lambda r: f"{r['add'][0]:.2f} s ({r['add'][3]:.2f} s), "
                                                      f"{r['add'][1]:.0f} MB, embedded {r['add'][2]}")
    row("remove one article: wall (CPU), RSS", lambda r: "–" if "remove" not in r else
        f"{r['remove'][0]:.2f} s ({r['remove'][2]:.2f} s), {r['remove'][1]:.0f} MB")
    row("no-op update: wall (CPU); process wall", lambda r: f"{r['noop'][0] * 1000:.0f} ms ({r['noop'][3] * 1000:.0f} ms); "
        f"{r['noop'][1]:.2f} s" + ("" if r["noop"][2] else " NOT up to date"))
    row("full build: wall (CPU: parent + workers), parent's RSS", lambda r: f"{r['full'][0]:.1f} s "
        f"({r['full'][2]:.1f} + {r['full'][3]:.1f} s), {r['full'][1]:.0f} MB")
    row("lexical top-50: ours / rank-bm25", lambda r: "–" if not r["lexical"] else
        f"{r['lexical']['ours'] * 1000:.2f} ms / {r['lexical']['rank_bm25'] * 1000:.0f} ms")
    row("load average (1 min) when measured", lambda r: r.get("load", "?"))
    return "\n".join(lines)


SEARCH_ONLY = """
import json, sys, time, tempfile
from dataclasses import astuple
from pathlib import Path
import numpy as np
from index import bm25, embed, store, vectors
from index.tokenize import tokens
source, copies, ann_copies, questions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
build = Path(source).resolve()  # postings and vectors only: any build of this layout will do
manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
p, v = bm25.load(build, store.bm25_params(manifest)), vectors.rows(vectors.load(build))
n = p.corpus_size
rng = np.random.default_rng(0)
per_doc = np.diff(p.doc_ptr)
ptr_all = np.zeros(n * copies + 1, dtype=np.int64)
np.cumsum(np.tile(per_doc, copies), out=ptr_all[1:])
big = bm25.from_chunks(list(p.vocab), ptr_all, np.tile(p.doc_terms, copies), np.tile(p.doc_tf, copies),
                       np.tile(p.doc_len, copies), p.params)
queries = [tokens(q) for q in questions]
big.rank(queries[0], 50)
start = time.perf_counter()
for q in queries:
    big.rank(q, 50)
lexical = (time.perf_counter() - start) / len(queries)
del big
encoder = embed.query_encoder(manifest["model"])
dense_q = np.stack([encoder.query(q) for q in questions])
out = {"chunks": n * copies, "lexical": lexical}
with tempfile.TemporaryDirectory() as tmp:
    rows = np.lib.format.open_memmap(Path(tmp) / vectors.ROWS, mode="w+", dtype=np.float32, shape=(n * copies, v.shape[1]))
    for c in range(copies):  # each copy jittered, so no two rows are equal
        block = v + rng.normal(0, 0.01, v.shape).astype(np.float32)  # a near-duplicate: cosine ≈ 0.99
        rows[c * n:(c + 1) * n] = block / np.linalg.norm(block, axis=1, keepdims=True)
    rows.flush()
    vecs = vectors.load(Path(tmp))
    vectors.exact(vecs, dense_q[0], 50)  # pages in, BLAS threads up: time the steady state
    start = time.perf_counter()
    for q in dense_q[:10]:
        vectors.exact(vecs, q, 50)
    out["exact"] = (time.perf_counter() - start) / 10
    ann_dir = Path(tmp) / "ann"
    ann_dir.mkdir()
    start = time.perf_counter()
    vectors.save(np.asarray(rows[:n * ann_copies]), ann_dir)
    out["ann_build"] = time.perf_counter() - start
    del rows, vecs
    ann = vectors.load(ann_dir)
    out["ann_chunks"], out["ann_used"] = ann.ntotal, ann.ann() is not None
    out["ivf"] = json.loads((ann_dir / vectors.ANN_REPORT).read_text(encoding="utf-8")) if out["ann_used"] else {}
    vectors.search(ann, dense_q[0], 50)
    start = time.perf_counter()
    for q in dense_q:
        vectors.search(ann, q, 50)
    out["ann"] = (time.perf_counter() - start) / len(dense_q)
    start = time.perf_counter()
    for q in dense_q[:10]:
        vectors.exact(ann, q, 50)
    out["ann_exact"] = (time.perf_counter() - start) / 10
    probe = np.asarray(ann.rows[rng.integers(0, ann.ntotal, 200)]) + rng.normal(0, 0.1, (200, ann.d)).astype(np.float32)
    probe = probe / np.linalg.norm(probe, axis=1, keepdims=True)
    chosen = out["ivf"].get("nprobe", 0)
    out["recall_by_nprobe"] = {}
    for nprobe in sorted({max(1, chosen // 4), max(1, chosen // 2), chosen}) if chosen else [0]:
        if chosen:
            ann.ann().nprobe = nprobe
        out["recall_by_nprobe"][nprobe] = [list(astuple(vectors.recall_at(ann, q, 10))) for q in (dense_q, probe)]
print(json.dumps(out))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", default="1000,10000,100000", help="corpus sizes, in chunks")
    parser.add_argument("--search-only", type=int, default=1_000_000, help="chunks for the search-only run (0: none)")
    parser.add_argument("--ann-chunks", type=int, default=200_000, help="chunks for the IVF recall run")
    parser.add_argument("--code", type=Path, action="append", default=[], help="another checkout to measure too")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--runs", type=int, default=3, help="cold asks and warm runs per size (their median)")
    parser.add_argument("--search-only-from", type=Path, help="skip the table; search-only from this index")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    gold = ROOT / "tests" / "eval" / "heldout.jsonl"
    questions = [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    sizes = [SEED_CHUNKS] + [int(s) for s in args.chunks.split(",") if s]
    print(f"Scale benchmark {time.strftime('%Y-%m-%d %H:%M')} on {machine()}; fake embedder; "
          f"time, peak RSS\n", flush=True)
    largest = args.search_only_from
    for code in [] if largest else [ROOT] + [c.resolve() for c in args.code]:
        results = []
        for size in sizes:
            seeds = corpus(args.work, size)  # a copy, the seeds alone at SEED_CHUNKS: an update here removes one
            index_dir = args.work / f"index-{code.name}-{size}" / "index"
            results.append(measure(code, seeds, index_dir, questions, args.runs))
            load = Path("/proc/loadavg").read_text().split()[0]
            print(f"… {code.name}: {results[-1]['chunks']} chunks measured (load average {load})",
                  file=sys.stderr, flush=True)
            results[-1]["load"] = load
            if code == ROOT:
                largest = index_dir
        print(table(f"code: {code.name}", results) + "\n", flush=True)
    if args.search_only and largest is not None:
        n = json.loads((largest / "manifest.json").read_text(encoding="utf-8"))["counts"]["chunks"]
        copies = max(1, round(args.search_only / n))
        ann_copies = max(1, min(copies, math.ceil(args.ann_chunks / n)))
        out, wall, rss, _ = run(ROOT, [str(largest), str(copies), str(ann_copies),
                                       json.dumps(questions[:30], ensure_ascii=False)], SEARCH_ONLY)
        r = json.loads(out)
        print(f"| search only ({copies} copies of the largest corpus, vectors jittered) | |\n|---|---|\n"
              f"| lexical top-50 at {r['chunks']:,} chunks | {r['lexical'] * 1000:.1f} ms |\n"
              f"| dense top-50 at {r['chunks']:,} chunks, exact | {r['exact'] * 1000:.1f} ms |\n"
              + ivf_rows(r, rss))


def ivf_rows(r: dict, rss: float) -> str:
    """The search-only table's IVF rows: speed at the build's nprobe, recall at it and below, build cost."""
    at = f"{r['ann_chunks']:,} chunks"
    if not r["ann_used"]:
        return f"| dense top-50 at {at}, exact (below the ANN threshold) | {r['ann'] * 1000:.2f} ms |"
    ivf = r["ivf"]
    calibrated = ", ".join(f"{kind} {value:.3f}" for kind, value in ivf["recall_knn"].items())
    return (f"| dense top-50 at {at}, IVF-Flat ({ivf['lists']} lists, nprobe {ivf['nprobe']} chosen by the build) | "
            f"{r['ann'] * 1000:.2f} ms (exact: {r['ann_exact'] * 1000:.1f} ms) |\n"
            + "".join(f"| IVF recall@10 against exact, {at}, nprobe {nprobe}: k-nn (ann-benchmarks) / plain | "
                      f"30 questions {q[1]:.3f} / {q[0]:.3f}; passage-like probes {p[1]:.3f} / {p[0]:.3f} |\n"
                      for nprobe, (q, p) in r["recall_by_nprobe"].items())
            + f"| the build's calibration, k-nn recall@10 at nprobe {ivf['nprobe']} (target {ivf['target']}) | "
              f"{calibrated} ({ivf['probes']} probes of each kind) |\n"
            + f"| rows saved + IVF build (train on {ivf['trained_on']:,} rows, add, calibrate), {at} | "
              f"{r['ann_build']:.1f} s (run's peak RSS {rss:.0f} MB) |")


if __name__ == "__main__":
    main()
