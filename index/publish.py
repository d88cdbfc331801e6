"""Publishing a build: one writer at a time, a fresh folder, an atomic symlink swap, old builds collected.

Layout next to the index link (`var/index` by default; what a build holds is in `index.store`):
    var/index            symlink → var/index.builds/<build id>/  (swapped atomically)
    var/index.builds/    one folder per build; `<id>.tmp` while it is being written
    var/index.lock       held while an update runs (updates queue, never interleave)

A build is written into `<id>.tmp`, fsynced, renamed, and only then does the
symlink move: a reader sees the old index or the new one, never half of one.
A writer killed at any point leaves a whole build published (the old one, or
the new one once the link has moved); the next update, under the lock, removes
what the killed one left behind.

Test hook: with GZQA_TEST_PAUSE_AT=<stage>, an update prints "gzqa-test: paused
at <stage>" on stderr and sleeps GZQA_TEST_PAUSE_SECONDS (default 60) there, so a
test can kill -9 it at a known point. Stages, in order: locked (lock held, nothing
written), written (build complete in `<id>.tmp`), renamed (build sealed, link not
moved), published (link moved, old builds not yet collected).
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import sys
import time
from pathlib import Path
from collections.abc import Callable, Collection

from index.store import IndexCorrupt, where


class IndexBusy(Exception):
    """Another update holds the lock, and the caller chose not to wait (a rebuild would not help)."""


def pause(stage: str) -> None:
    """Test hook (see the module docstring): sleep at `stage` when GZQA_TEST_PAUSE_AT names it."""
    if os.environ.get("GZQA_TEST_PAUSE_AT") == stage:
        print(f"gzqa-test: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("GZQA_TEST_PAUSE_SECONDS", "60")))


def builds_dir(index_dir: Path) -> Path:
    """The index link's path → the folder its builds live in (`var/index` → `var/index.builds`)."""
    return index_dir.parent / f"{index_dir.name}.builds"


@contextlib.contextmanager
def update_lock(index_dir: Path, wait: bool = True, on_wait: Callable[[], None] = lambda: None):
    """Exclusive lock for writers; a second writer waits for the first to finish (`on_wait` tells it so).

    With `wait=False` a held lock raises IndexBusy instead, for a caller with
    better things to do than queue (`gzqa index watch` tries again later).
    """
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = index_dir.parent / f"{index_dir.name}.lock"
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise IndexBusy(f"another update of {index_dir} is running (it holds {lock}) — "
                                f"wait for it to finish, or stop it") from None
            on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_build_dir(index_dir: Path) -> Path:
    """A fresh, empty `<id>.tmp` directory to write a build into; ids sort in creation order."""
    base = builds_dir(index_dir)
    base.mkdir(parents=True, exist_ok=True)
    now = time.time_ns()
    build_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now // 10**9)) + f"-{now % 10**9:09d}-{os.getpid()}"
    path = base / f"{build_id}.tmp"
    path.mkdir()
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_link(index_dir: Path) -> None:
    """Refuse to publish over something that is not an index link (say, a copied index directory)."""
    if index_dir.exists() and not index_dir.is_symlink():
        what = "a plain directory" if index_dir.is_dir() else "a file"
        raise IndexCorrupt(f"{index_dir} is {what}, not an index link — move it away and run "
                           f"'gzqa index build{where(index_dir)}', or choose another --index-dir")


def publish(tmp_dir: Path, index_dir: Path, durable: Collection[str] = ()) -> Path:
    """Seal a finished build and point `index_dir` at it in one atomic rename.

    `durable`: files (relative to the build) linked from a published build, whose
    bytes were made durable when that build was published: not synced again (at
    ≈ 15 ms a file here, the base's 17 files cost more than the rest of adding an article).
    """
    check_link(index_dir)
    for path in sorted(tmp_dir.rglob("*"), reverse=True):  # a part's folder after its files
        if path.is_dir():
            _fsync_dir(path)
        elif path.relative_to(tmp_dir).as_posix() not in durable:
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(tmp_dir)
    final = tmp_dir.with_suffix("")
    tmp_dir.rename(final)
    _fsync_dir(final.parent)
    pause("renamed")
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    os.replace(link, index_dir)
    _fsync_dir(index_dir.parent)
    return final


def collect_garbage(index_dir: Path, keep: int = 2) -> None:
    """Keep the published build and the `keep - 1` newest builds older than it; remove the rest.

    The rest: unfinished `.tmp` builds, finished builds newer than the published
    one and stray link files (all three left by a writer killed mid-update), and
    old builds. Call under the lock.
    """
    for stray in index_dir.parent.glob(f".{index_dir.name}.link-*"):
        stray.unlink(missing_ok=True)
    base = builds_dir(index_dir).resolve()
    if not base.is_dir():
        return
    current = index_dir.resolve() if index_dir.is_symlink() else None
    finished = sorted(p for p in base.iterdir() if p.is_dir() and p.suffix != ".tmp")
    if current in finished:
        finished = finished[:finished.index(current) + 1]
    kept = finished[-keep:]
    for path in base.iterdir():
        if path not in kept and path != current:
            shutil.rmtree(path, ignore_errors=True)
