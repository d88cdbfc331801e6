"""The index on disk: a directory a person can read, published atomically, checked on load.

Layout (`var/index` by default):
    var/index            symlink → var/index.builds/<build id>/  (swapped atomically)
    var/index.builds/<id>/manifest.json   schema, model, tokenizer, seed hashes, counts,
                                          sha256 of each file below
                         /articles.jsonl  one article a line: metadata + text
                         /chunks.jsonl    one chunk a line: text, section, spans
                         /bm25.json       BM25 statistics
                         /vectors.faiss   one vector per chunk, in chunks.jsonl order
    var/index.lock       held while an update runs (updates queue, never interleave)

A build is written into `<id>.tmp`, fsynced, renamed, and only then does the
symlink move: a reader sees the old index or the new one, never half of one.
`load` resolves the link once and reads every file from that one build, checking
each against its checksum, so a damaged file is an error naming the fix, never
a silently wrong answer. A writer killed at any point leaves a whole build
published (the old one, or the new one once the link has moved); the next
update, under the lock, removes what the killed one left behind.

Test hook: with GZQA_TEST_PAUSE_AT=<stage>, an update prints "gzqa-test: paused
at <stage>" on stderr and sleeps GZQA_TEST_PAUSE_SECONDS (default 60) there, so a
test can kill -9 it at a known point. Stages, in order: locked (lock held, nothing
written), written (build complete in `<id>.tmp`), renamed (build sealed, link not
moved), published (link moved, old builds not yet collected).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from index import bm25, vectors
from index.records import Chunk

SCHEMA_VERSION = 2  # 2: manifest holds "files", the sha256 of each data file
DATA_FILES = ("articles.jsonl", "chunks.jsonl", "bm25.json", "vectors.faiss")
FILES = ("manifest.json",) + DATA_FILES
FIX = "run 'gzqa index build --force'"


class IndexProblem(Exception):
    """Base of the errors a user can fix by rebuilding; the message names the command."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


class IndexBusy(Exception):
    """Another update holds the lock, and the caller chose not to wait (a rebuild would not help)."""


def pause(stage: str) -> None:
    """Test hook (see the module docstring): sleep at `stage` when GZQA_TEST_PAUSE_AT names it."""
    if os.environ.get("GZQA_TEST_PAUSE_AT") == stage:
        print(f"gzqa-test: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("GZQA_TEST_PAUSE_SECONDS", "60")))


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def builds_dir(index_dir: Path) -> Path:
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
        raise IndexCorrupt(f"{index_dir} is a plain directory, not an index link — move it away and {FIX}")


def publish(tmp_dir: Path, index_dir: Path) -> Path:
    """Seal a finished build and point `index_dir` at it in one atomic rename."""
    check_link(index_dir)
    for name in FILES:
        with open(tmp_dir / name, "rb") as handle:
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


def write_jsonl(path: Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class StoredIndex:
    """A loaded index: its manifest, articles (with text), chunks, BM25 model and vectors."""

    path: Path
    manifest: dict
    articles: dict[str, dict]
    chunks: list[Chunk]
    bm25: object
    vectors: object
    _encoder: object = field(default=None, repr=False)

    @property
    def model(self) -> dict:
        return self.manifest["model"]

    def query_encoder(self):
        """The question encoder this index was built for (loaded once, on first use)."""
        if self._encoder is None:
            from index.embed import query_encoder

            encoder = query_encoder(self.model)
            if self.vectors.ntotal and encoder.dim != self.vectors.d:
                raise IndexStale(f"index in {self.path} holds {self.vectors.d}-dimensional vectors but its model "
                                 f"{self.model.get('name')} gives {encoder.dim} — {FIX}")
            self._encoder = encoder
        return self._encoder


MANIFEST_PARTS = {"model": dict, "counts": dict, "seeds": dict, "files": dict}


def read_manifest(index_dir: Path, build: Path | None = None) -> dict:
    """The manifest of the published index (or of `build`, the build it links to), checked for shape and schema."""
    index_dir = Path(index_dir)
    if not index_dir.exists():
        raise IndexMissing(f"no index in {index_dir} — run 'gzqa index build'")
    try:
        manifest = json.loads(((build or index_dir) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise IndexCorrupt(f"index manifest in {index_dir} unreadable ({err.__class__.__name__}) — {FIX}") from err
    if not isinstance(manifest, dict):
        raise IndexCorrupt(f"index manifest in {index_dir} is not a JSON object — {FIX}")
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexStale(f"index in {index_dir} has schema version {manifest.get('schema_version')}, "
                         f"this gzqa reads version {SCHEMA_VERSION} — {FIX}")
    lacking = [k for k, kind in MANIFEST_PARTS.items() if not isinstance(manifest.get(k), kind)]
    if lacking:
        raise IndexCorrupt(f"index manifest in {index_dir} lacks {', '.join(lacking)} — {FIX}")
    return manifest


def load(index_dir: Path, check_rules: bool = True) -> StoredIndex:
    """The published index, fully read from one build and cross-checked; a clear error if anything is off.

    `check_rules`: refuse an index built by other chunking/tokenizing rules than this code's (IndexStale).
    """
    index_dir = Path(index_dir)
    for attempt in range(3):
        build = index_dir.resolve()  # pin one build: a concurrent publish cannot mix files
        try:
            stored = _load_build(index_dir, build)
            if check_rules:
                from index.pipeline import pipeline_version

                built_by, now = stored.manifest.get("pipeline_version"), pipeline_version()
                if built_by != now:
                    raise IndexStale(f"index in {index_dir} was built by older rules ({built_by}; now {now}) — "
                                     "run 'gzqa index update'")
            return stored
        except IndexProblem:
            if attempt == 2 or index_dir.resolve() == build:
                raise
            # the link moved while reading (and an old build may be gone): read the new one


def _load_build(index_dir: Path, path: Path) -> StoredIndex:
    manifest = read_manifest(index_dir, path)
    for name in DATA_FILES:
        try:
            intact = file_sha256(path / name) == manifest["files"].get(name)
        except OSError as err:
            raise IndexCorrupt(f"index in {index_dir} lacks {name} ({err.strerror}) — {FIX}") from err
        if not intact:
            raise IndexCorrupt(f"index in {index_dir} is damaged ({name} does not match its checksum) — {FIX}")
    try:
        articles = {a["source"]: a for a in read_jsonl(path / "articles.jsonl")}
        chunks = [Chunk.from_json(c) for c in read_jsonl(path / "chunks.jsonl")]
        model = bm25.load(path / "bm25.json")
        vecs = vectors.load(path / "vectors.faiss")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexCorrupt(f"index in {index_dir} is damaged ({err.__class__.__name__}: {str(err)[:80]}) — {FIX}") from err
    counts = manifest["counts"]
    if not (len(chunks) == counts.get("chunks") == model.corpus_size == len(model.doc_freqs) == vecs.ntotal
            and len(articles) == counts.get("articles")
            and vecs.d == manifest["model"].get("dim", vecs.d)):
        raise IndexCorrupt(f"index in {index_dir} is inconsistent (chunk, BM25 and vector counts differ) — {FIX}")
    return StoredIndex(path, manifest, articles, chunks, model, vecs)
