"""The index on disk: a directory a person can read, published atomically, checked on load.

Layout (`var/index` by default):
    var/index            symlink → var/index.builds/<build id>/  (swapped atomically)
    var/index.builds/<id>/manifest.json   schema, model, tokenizer, seed hashes, counts
                         /articles.jsonl  one article a line: metadata + text
                         /chunks.jsonl    one chunk a line: text, section, spans
                         /bm25.json       BM25 statistics
                         /vectors.faiss   one vector per chunk, in chunks.jsonl order
    var/index.lock       held while an update runs (updates queue, never interleave)

A build is written into `<id>.tmp`, fsynced, renamed, and only then does the
symlink move: a reader sees the old index or the new one, never half of one.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from index import bm25, vectors
from index.records import Chunk

SCHEMA_VERSION = 1
FILES = ("manifest.json", "articles.jsonl", "chunks.jsonl", "bm25.json", "vectors.faiss")
FIX = "run 'gzqa index build --force'"


class IndexProblem(Exception):
    """Base of the errors a user can fix by rebuilding; the message names the command."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


def builds_dir(index_dir: Path) -> Path:
    return index_dir.parent / f"{index_dir.name}.builds"


@contextlib.contextmanager
def update_lock(index_dir: Path):
    """Exclusive lock for writers; a second writer waits for the first to finish."""
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(index_dir.parent / f"{index_dir.name}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def new_build_dir(index_dir: Path) -> Path:
    """A fresh, empty `<id>.tmp` directory to write a build into."""
    base = builds_dir(index_dir)
    base.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    path = base / f"{build_id}.tmp"
    path.mkdir()
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp_dir: Path, index_dir: Path) -> Path:
    """Seal a finished build and point `index_dir` at it in one atomic rename."""
    for name in FILES:
        with open(tmp_dir / name, "rb") as handle:
            os.fsync(handle.fileno())
    final = tmp_dir.with_suffix("")
    tmp_dir.rename(final)
    _fsync_dir(final.parent)
    if index_dir.exists() and not index_dir.is_symlink():
        raise IndexCorrupt(f"{index_dir} is a plain directory, not an index link — move it away and {FIX}")
    link = index_dir.parent / f".{index_dir.name}.link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    os.replace(link, index_dir)
    _fsync_dir(index_dir.parent)
    return final


def collect_garbage(index_dir: Path, keep: int = 2) -> None:
    """Remove unfinished builds and all but the newest `keep` finished ones (call under the lock)."""
    base = builds_dir(index_dir)
    if not base.is_dir():
        return
    current = index_dir.resolve() if index_dir.is_symlink() else None
    finished = sorted(p for p in base.iterdir() if p.is_dir() and p.suffix != ".tmp")
    doomed = [p for p in base.iterdir() if p.suffix == ".tmp"] + finished[:-keep]
    for path in doomed:
        if path.resolve() != current:
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

            self._encoder = query_encoder(self.model)
        return self._encoder


def read_manifest(index_dir: Path) -> dict:
    """The manifest of the published index, checked for presence and schema version."""
    index_dir = Path(index_dir)
    if not index_dir.exists():
        raise IndexMissing(f"no index in {index_dir} — run 'gzqa index build'")
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise IndexCorrupt(f"index manifest in {index_dir} unreadable ({err.__class__.__name__}) — {FIX}") from err
    if manifest.get("schema_version") != SCHEMA_VERSION:
        raise IndexStale(f"index in {index_dir} has schema version {manifest.get('schema_version')}, "
                         f"this gzqa reads version {SCHEMA_VERSION} — {FIX}")
    return manifest


def load(index_dir: Path) -> StoredIndex:
    """The published index, fully read and cross-checked; a clear error if anything is off."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    path = index_dir.resolve()  # pin this build: a concurrent publish cannot mix files
    try:
        articles = {a["source"]: a for a in read_jsonl(path / "articles.jsonl")}
        chunks = [Chunk.from_json(c) for c in read_jsonl(path / "chunks.jsonl")]
        model = bm25.load(path / "bm25.json")
        vecs = vectors.load(path / "vectors.faiss")
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexCorrupt(f"index in {index_dir} is damaged ({err.__class__.__name__}: {str(err)[:80]}) — {FIX}") from err
    counts = manifest.get("counts", {})
    if not (len(chunks) == counts.get("chunks") == model.corpus_size == vecs.ntotal
            and len(articles) == counts.get("articles")
            and vecs.d == manifest["model"].get("dim", vecs.d)):
        raise IndexCorrupt(f"index in {index_dir} is inconsistent (chunk, BM25 and vector counts differ) — {FIX}")
    return StoredIndex(path, manifest, articles, chunks, model, vecs)
