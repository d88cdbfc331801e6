"""The index on disk: a directory a person can read, checked on load (`index.publish` writes it atomically).

Layout of one build (`var/index` is a symlink to the published one):
    var/index.builds/<id>/manifest.json   schema, model, tokenizer, seed hashes, counts,
                                          sha256 of each file below
                         /articles.jsonl  one article a line: metadata + text
                         /chunks.jsonl    one chunk a line: text, section, spans
                         /bm25.json       BM25 statistics
                         /vectors.faiss   one vector per chunk, in chunks.jsonl order
                         /facts.jsonl     one figure a line: place, year, indicator, value, citation

`load` resolves the link once and reads every file from that one build, checking
each against its checksum, so a damaged file is an error naming the fix, never
a silently wrong answer. A link that moves while it reads (a concurrent publish)
makes it read the new build instead.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from index import bm25, vectors
from index.facts import Fact
from index.records import Article, Chunk

SCHEMA_VERSION = 2  # 2: manifest holds "files", the sha256 of each data file
FACTS = "facts.jsonl"
DATA_FILES = ("articles.jsonl", "chunks.jsonl", "bm25.json", "vectors.faiss", FACTS)
# Added after schema 2 without a schema change: an index that lacks it was built by older rules (its
# pipeline version says so, and `gzqa index update` adds it, reusing the vectors), it is not damaged.
OPTIONAL_FILES = (FACTS,)
FILES = ("manifest.json",) + DATA_FILES
FIX = "run 'gzqa index build --force'"


def where(index_dir: Path) -> str:
    """' --index-dir DIR' when the index is not the default one, for a fix a user can paste."""
    from index import DEFAULT_INDEX

    return "" if Path(index_dir).resolve() == Path(DEFAULT_INDEX).resolve() else f" --index-dir {index_dir}"


class IndexProblem(Exception):
    """Base of the errors a user can fix by rebuilding; the message names the command."""


class IndexMissing(IndexProblem):
    """No index at the given path (never built, or the link is gone)."""


class IndexCorrupt(IndexProblem):
    """The index is there but unreadable, damaged or inconsistent."""


class IndexStale(IndexProblem):
    """The index is whole but was built by another schema, model or set of rules than this code's."""


def file_sha256(path: Path) -> str:
    """A file → the sha256 of its bytes, as hex (the manifest's "files" and the check on load)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_jsonl(path: Path, records: list[dict]) -> None:
    """Records → `path`, one JSON object a line (UTF-8, Chinese unescaped)."""
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """A JSON-lines file → its records, in order (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@dataclass
class StoredIndex:
    """The embedded backend of `index.api.Index`: manifest, articles, chunks, BM25 statistics, faiss vectors."""

    path: Path
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    bm25: object
    vectors: object
    _encoder: object = field(default=None, repr=False)
    _last_query: tuple[str, object] | None = field(default=None, repr=False)
    _facts: tuple[Fact, ...] = field(default=(), repr=False)

    def facts(self) -> tuple[Fact, ...]:
        """Every figure the articles state, in article and reading order (facts.jsonl)."""
        return self._facts

    def terms(self, row: int) -> dict[str, int]:
        """The indexed tokens of chunk `row` (term → count)."""
        return self.bm25.doc_freqs[row]

    def idf(self, term: str) -> float:
        """BM25Plus idf of `term` (0.0 when no chunk holds it)."""
        return self.bm25.idf.get(term, 0.0)

    def lexical(self, terms, k: int) -> list[tuple[int, float]]:
        """(row, BM25 score) of the best `k` chunks holding at least one of `terms`."""
        return bm25.rank(self.bm25, list(terms), k)

    def dense(self, text: str, k: int) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` chunks nearest to `text`; the last question's vector is kept for a retry."""
        if self._last_query is None or self._last_query[0] != text:
            self._last_query = (text, self.query_encoder().query(text))
        return vectors.search(self.vectors, self._last_query[1], k)

    @property
    def model(self) -> dict:
        """The manifest's model entry: name, path, fingerprint, dim, query engine."""
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
        raise IndexMissing(f"no index in {index_dir} — run 'gzqa index build{where(index_dir)}'")
    if not index_dir.is_dir():
        raise IndexMissing(f"{index_dir} is a file, not an index — give --index-dir the index link (default "
                           f"var/index), or move the file away and run 'gzqa index build{where(index_dir)}'")
    if not index_dir.is_symlink() and not (index_dir / "manifest.json").exists():
        raise IndexMissing(f"{index_dir} is a folder without an index (no manifest.json) — give --index-dir the "
                           f"index link (default var/index), or move the folder away and run "
                           f"'gzqa index build{where(index_dir)}'")
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
        if name in OPTIONAL_FILES and name not in manifest["files"]:
            continue
        try:
            intact = file_sha256(path / name) == manifest["files"].get(name)
        except OSError as err:
            raise IndexCorrupt(f"index in {index_dir} lacks {name} ({err.strerror}) — {FIX}") from err
        if not intact:
            raise IndexCorrupt(f"index in {index_dir} is damaged ({name} does not match its checksum) — {FIX}")
    try:
        articles = {a["source"]: Article.from_json(a) for a in read_jsonl(path / "articles.jsonl")}
        chunks = [Chunk.from_json(c) for c in read_jsonl(path / "chunks.jsonl")]
        model = bm25.load(path / "bm25.json")
        vecs = vectors.load(path / "vectors.faiss")
        facts = tuple(load_facts(path / FACTS)) if FACTS in manifest["files"] else ()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        raise IndexCorrupt(f"index in {index_dir} is damaged ({err.__class__.__name__}: {str(err)[:80]}) — {FIX}") from err
    counts = manifest["counts"]
    if not (len(chunks) == counts.get("chunks") == model.corpus_size == len(model.doc_freqs) == vecs.ntotal
            and len(articles) == counts.get("articles")
            and vecs.d == manifest["model"].get("dim", vecs.d)):
        raise IndexCorrupt(f"index in {index_dir} is inconsistent (chunk, BM25 and vector counts differ) — {FIX}")
    return StoredIndex(path, manifest, articles, chunks, model, vecs, _facts=facts)


def load_facts(path: Path) -> list[Fact]:
    """facts.jsonl → its facts, in order."""
    return [Fact.from_json(f) for f in read_jsonl(path)]
