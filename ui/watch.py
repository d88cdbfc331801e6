"""`gzqa index watch`: poll seeds/, update once files have settled, and carry on whatever an update meets.

A file being copied or uploaded changes from one poll to the next; waiting until
the seeds have not changed for `settle` seconds gives one update per arrival, of
the whole file. An update that fails (a plain directory where the index link
belongs, a full disk, another update holding the lock) is reported on stderr,
once, and tried again: a watcher that dies on the first problem watches nothing.
stdout carries one line per update that changed the index; stderr the rest.
"""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

RETRY_SECONDS = 30.0  # after a failed update; a change to the seeds retries sooner


def say(line: str) -> None:
    """One line on stderr, flushed at once (stdout is for updates only)."""
    print(line, file=sys.stderr, flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def watch(seeds: Path, index_dir: Path, model: str | None = None, interval: float = 2.0,
          settle: float = 3.0) -> int:
    """Keep the index at `index_dir` up to date with `seeds` until Ctrl-C or SIGTERM; returns 0 then."""
    try:
        from index.build import update
        from index.load import fingerprint
        from index.publish import IndexBusy
        from ui.errors import error_line, user_errors

        signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop is a Ctrl-C too
        signal.signal(signal.SIGINT, _interrupt)  # even when started from a script that ignores Ctrl-C for its children
        say(f"watching {seeds} every {interval}s (Ctrl-C to stop)")
        expected = user_errors()
        seen, changed_at, retry_at, reported, refused = None, None, None, None, set()
        while True:
            clock = time.monotonic()
            try:
                now = fingerprint(seeds)
                if now != seen:
                    seen, changed_at = now, clock
                settled = changed_at is not None and clock - changed_at >= settle
                if not (settled or (retry_at is not None and clock >= retry_at)):
                    time.sleep(interval)
                    continue
                changed_at = retry_at = None
                report = update(seeds, index_dir, model=model, wait=False)
            except Exception as err:  # noqa: BLE001 - reported, and tried again: the watch goes on
                if isinstance(err, expected):
                    line = error_line(err)
                else:
                    line = (f"gzqa: update failed ({type(err).__name__}: {' '.join(str(err).split())}) — "
                            f"run 'gzqa index update' to see why")
                if line != reported:  # a lasting problem is told once, not every retry
                    say(f"{line} (still watching; will try again)")
                reported = line
                retry_at = time.monotonic() + (settle if isinstance(err, IndexBusy) else RETRY_SECONDS)
            else:
                reported = None
                if not report.up_to_date:
                    print(f"updated: {report.articles} articles, {report.chunks} chunks, "
                          f"embedded {report.embedded}", flush=True)
                now_refused = {(r.source, r.reason) for r in report.rejected}
                for source, reason in sorted(now_refused - refused):
                    say(f"refused {source}: {reason}")
                refused = now_refused
            time.sleep(interval)
    except KeyboardInterrupt:
        say(f"stopped watching {seeds}")
        return 0
