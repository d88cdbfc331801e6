"""Index updates for the web app, each in its own process: progress with chunks/s and ETA, cancellable.

The child is `gzqa index update --json` (its JSON lines are the progress). A
build loads the embedding model (torch: ≈ 1 GB resident for the real model, more
for a large upload); in a child process all of it goes back to the system when
the build ends. Cancelling is a SIGTERM: an update killed at any point leaves the
previous index serving and the next update clears what it left (`index.publish`).
The server's threads keep answering from the published index meanwhile; the
child runs at a lower priority (`NICE`), so a question waiting for the CPU comes
first. No gradio here: `ui.web` shows the lines.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from index.build import BuildReport
from index.records import Rejected

NICE = 10  # niceness of the build: questions first; alone on the machine it still gets every idle core
ROOT = Path(__file__).resolve().parent.parent  # the child imports this very checkout's index/ qa/ ui/


class IndexJob:
    """One `gzqa index update` in a child process; `events()` follows it, `cancel()` stops it."""

    def __init__(self, seeds_dir: Path, index_dir: Path, force: bool = False, model: str | None = None,
                 nice: int = NICE):
        command = [sys.executable, "-m", "ui.cli", "index", "update", "--json",
                   "--seeds", str(seeds_dir), "--index-dir", str(index_dir)]
        command += ["--force"] if force else []
        command += ["--model", model] if model else []
        path = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
        self.cancelled = False
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
                                        env=env, preexec_fn=lambda: os.nice(nice))
        self._stderr: list[str] = []
        self._reader = threading.Thread(target=lambda: self._stderr.extend(self.process.stderr), daemon=True)
        self._reader.start()

    def cancel(self) -> bool:
        """Stop the build (SIGTERM); False when it had already ended."""
        if self.process.poll() is not None:
            return False
        self.cancelled = True
        self.process.send_signal(signal.SIGTERM)
        return True

    def running(self) -> bool:
        return self.process.poll() is None

    def events(self) -> Iterator[dict]:
        """The child's JSON events as they come, then one closing event: done, failed or cancelled."""
        done = None
        for line in self.process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "done":
                done = event
            else:
                yield event
        code = self.process.wait()
        self._reader.join(timeout=5)
        if done is not None and code == 0:
            yield done
        elif self.cancelled:
            yield {"event": "cancelled"}
        else:
            said = [line.strip() for line in self._stderr if line.startswith("gzqa: ")]
            yield {"event": "failed", "error": said[-1] if said else f"the update process exited with {code}"}


def report(event: dict) -> BuildReport:
    """A "done" event → the BuildReport it describes (for `ui.html.build_summary`)."""
    return BuildReport(Path(event["index_path"]), event["articles"], event["chunks"], event["embedded"],
                       event["reused"], tuple(event["added"]), tuple(event["changed"]), tuple(event["removed"]),
                       tuple(Rejected(**r) for r in event["rejected"]), event["seconds"], event["up_to_date"])


def duration(seconds: float) -> str:
    """Seconds → "1 分 17 秒" / "42 秒"."""
    seconds = max(0, round(seconds))
    return f"{seconds // 60} 分 {seconds % 60} 秒" if seconds >= 60 else f"{seconds} 秒"


def embedding_line(done: int, total: int, seconds: float) -> str:
    """Embedding progress → "计算向量 640/2276 段 · 21.3 段/秒 · 预计还需 1 分 17 秒"."""
    rate = done / seconds if seconds > 0 else 0.0
    eta = f"预计还需 {duration((total - done) / rate)}" if rate > 0 and done < total else "即将写入索引"
    return f"计算向量 {done}/{total} 段 · {rate:.1f} 段/秒 · {eta}"
