"""What one large upload costs: index an article of `--mb` MB the way the web app does (a child `gzqa index update`).

    .venv/bin/python scripts/upload_cost.py [--mb 1] [--index-dir var/index] [--seeds seeds]

Copies the seeds and the published index to a temporary folder (the real ones are
untouched), adds one article of distinct sentences (rewritten from the seeds, so
no vector is reused), runs the update exactly as the index tab does
(`ui.indexing.IndexJob`, at lower priority) and prints one JSON line: size,
chunks, seconds, chunks/s, the child's peak RSS and this process's RSS before and
after (it stays where it was: the model lived in the child).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def large_article(seeds: Path, size: int) -> str:
    """≈ `size` bytes of article text: the seeds' paragraphs, each numbered so no two chunks are the same text."""
    paragraphs = [p.strip() for path in sorted(seeds.glob("*.txt"))
                  for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 20]
    out, n, total = ["# 广州某区召开高质量发展大会（长文测试）", ""], 0, 0
    while total < size:
        line = f"第{n + 1}段：{paragraphs[n % len(paragraphs)]}"
        out += [line, ""]
        total += len(line.encode("utf-8")) + 2
        n += 1
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1.0)
    parser.add_argument("--index-dir", default=str(ROOT / "var" / "index"))
    parser.add_argument("--seeds", default=str(ROOT / "seeds"))
    parser.add_argument("--nice", type=int, default=0, help="the build's niceness (the web app uses "
                                                             "ui.indexing.NICE; 0 measures the cost itself)")
    args = parser.parse_args()
    from ui.indexing import IndexJob

    with tempfile.TemporaryDirectory() as scratch:
        seeds, index_dir = Path(scratch) / "seeds", Path(scratch) / "index"
        shutil.copytree(args.seeds, seeds)
        shutil.copytree(Path(args.index_dir).resolve(), builds_copy := Path(scratch) / "index.builds" /
                        Path(args.index_dir).resolve().name)
        index_dir.symlink_to(builds_copy)
        text = large_article(seeds, int(args.mb * 1024 * 1024))
        (seeds / "large_upload.txt").write_text(text, encoding="utf-8")
        before = rss_mib()
        started = time.monotonic()
        job = IndexJob(seeds, index_dir, nice=args.nice)
        for event in job.events():
            if event["event"] == "embedded" and event["done"] % 640 == 0:
                print(f"… {event['done']}/{event['total']} after {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
            done = event
        seconds = time.monotonic() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        child_peak, child_cpu = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    result = {"upload_bytes": len(text.encode("utf-8")), "outcome": done["event"],
              "chunks_embedded": done.get("embedded"), "seconds": round(seconds, 1),
              "chunks_per_second": round((done.get("embedded") or 0) / seconds, 1),
              "index_process_cpu_seconds": round(child_cpu), "nice": args.nice,
              "index_process_peak_rss_mib": round(child_peak), "this_process_rss_mib_before": round(before),
              "this_process_rss_mib_after": round(rss_mib())}
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if done["event"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
