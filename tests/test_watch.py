"""`gzqa index watch` reports what goes wrong and keeps watching; `gzqa index update` fails in one line."""
from __future__ import annotations

import fcntl
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from index import publish, store
from index.embed import FAKE
from tests.conftest import ROOT
from tests.test_update import BAIYUN_2025, SHENZHEN_2026, gzqa


class Watch:
    """`gzqa index watch` in a subprocess, its stdout and stderr lines collected as they come."""

    def __init__(self, seeds: Path, index_dir: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "ui.cli", "index", "watch", "--seeds", str(seeds),
                                      "--index-dir", str(index_dir), "--model", FAKE, "--interval", "0.1",
                                      "--settle", "0.5"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=lambda s=s, to=to: to.extend(s), daemon=True)
                        for s, to in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for reader in self.readers:
            reader.start()

    def wait_for(self, lines: list[str], text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [line for line in list(lines) if text in line]
            if found:
                return found[-1]
            assert self.proc.poll() is None, f"watch died: rc={self.proc.returncode} {self.err}"
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {timeout}s: out={self.out} err={self.err}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # never leave a watcher behind, even when the test fails
            self.proc.wait()
            raise
        for reader in self.readers:
            reader.join(timeout=5)
        return code


def test_watch_reports_errors_and_refusals_and_keeps_watching(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()  # a plain directory where the index link belongs: every update fails
    watch = Watch(seeds_copy, index_dir)
    try:
        line = watch.wait_for(watch.err, "plain directory")
        assert line.startswith("gzqa: ") and "move it away" in line and "still watching" in line
        (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")  # a change: tried again
        time.sleep(1.5)
        assert watch.proc.poll() is None and watch.out == []
        assert sum("plain directory" in line for line in watch.err) == 1  # told once, not on every retry

        shutil.rmtree(index_dir)  # the fix, then a new file: the next update goes through
        (seeds_copy / "白云区 2025.docx").write_bytes(b"PK\x03\x04" + bytes(64))
        assert watch.wait_for(watch.out, "updated:").startswith("updated: 6 articles")
        refused = watch.wait_for(watch.err, "refused 白云区 2025.docx")
        assert "not a .txt file — skipped" in refused
        assert "005_baiyun_2025.txt" in store.load(index_dir).articles

        lock = index_dir.parent / f"{index_dir.name}.lock"
        with open(lock, "a+") as held:  # another update is running
            fcntl.flock(held, fcntl.LOCK_EX)
            (seeds_copy / "shenzhen_2026.txt").write_text(SHENZHEN_2026, encoding="utf-8")
            busy = watch.wait_for(watch.err, "another update")
            assert busy.startswith("gzqa: ") and "still watching" in busy
            assert len(watch.out) == 1  # nothing built beside the running update
            fcntl.flock(held, fcntl.LOCK_UN)
        watch.wait_for(watch.out, "updated: 7 articles")
        assert store.load(index_dir).articles["shenzhen_2026.txt"].city.value == "深圳市"
    finally:
        code = watch.stop(signal.SIGTERM)
    assert code == 0 and "stopped watching" in watch.err[-1]
    assert not any("Traceback" in line for line in watch.err), watch.err
    assert len(watch.out) == 2 and sum("refused" in line for line in watch.err) == 1  # each refusal told once


def test_watch_builds_a_missing_index_and_stops_on_ctrl_c(seeds_copy: Path, tmp_path: Path):
    watch = Watch(seeds_copy, tmp_path / "index")
    try:
        watch.wait_for(watch.out, "updated: 5 articles")  # no index yet: the first poll builds one
    finally:
        code = watch.stop(signal.SIGINT)
    assert code == 0 and not any("Traceback" in line for line in watch.err), watch.err


def test_update_error_after_progress_is_one_line_naming_the_fix(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    publish.builds_dir(index_dir).write_text("not a folder")  # found only when the build is written
    run = gzqa("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir), "--model", FAKE)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1 and run.stdout == "" and "Traceback" not in run.stderr
    assert all(line.startswith("… ") for line in lines[:-1]) and "writing index" in lines[-2]
    assert lines[-1].startswith("gzqa: ") and "index.builds" in lines[-1] and "move it away" in lines[-1]
